#include "chat/cluster/identity_records.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace chat::cluster {
namespace {

using identity::Account;
using identity::Ban;
using identity::Topic;

std::vector<RecordField> Pairs(const std::vector<std::string>& argv) {
  std::vector<RecordField> fields;
  for (size_t i = 0; i + 1 < argv.size(); i += 2) fields.emplace_back(argv[i], argv[i + 1]);
  return fields;
}

const absl::Time kT0 = absl::FromUnixMicros(1'800'000'000'123'456);

TEST(IdentityRecordsTest, RoundTrip) {
  const Account account{"alice", "Alice", "$argon2id$x", true, kT0};
  std::vector<std::string> argv;
  EncodeAccount(account, &argv);
  EXPECT_EQ(*DecodeAccount("alice", Pairs(argv)), account);

  for (absl::Time until : {absl::InfiniteFuture(), kT0 + absl::Hours(1)}) {
    const Ban ban{7, "eve", "203.0.113.0/24", until, "spam", "alice", kT0};
    argv.clear();
    EncodeBan(ban, &argv);
    EXPECT_EQ(*DecodeBan(7, Pairs(argv)), ban);
  }
  const Topic topic{"hello", "bob", kT0};
  argv.clear();
  EncodeTopic(topic, &argv);
  EXPECT_EQ(*DecodeTopic(Pairs(argv)), topic);
}

TEST(IdentityRecordsTest, RefusesWhatItCannotTrust) {
  const std::vector<std::vector<std::string>> bad_accounts = {
      {},                                                      // nothing
      {"n", "a", "h", "x", "o", "1"},                          // no created
      {"n", "a", "h", "x", "o", "2", "c", "0"},                // operator not 0/1
      {"n", "a", "h", "x", "o", "1", "c", " 5"},               // blank in a number
      {"n", "a", "h", "x", "o", "1", "c", "99999999999999999999"},  // out of range
      {"n", "a", "h", std::string(600, 'h'), "o", "1", "c", "0"},   // hash too long
      {"n", "a", "n", "b", "h", "x", "o", "1", "c", "0"},      // a field twice
  };
  for (const auto& argv : bad_accounts) {
    EXPECT_TRUE(absl::IsDataLoss(DecodeAccount("k", Pairs(argv)).status()));
  }
  std::vector<std::string> ok = {"n", "a", "h", "x", "o", "1", "c", "0"};
  EXPECT_TRUE(DecodeAccount("k", Pairs(ok)).ok());
  EXPECT_FALSE(DecodeAccount("", Pairs(ok)).ok());
  ok.insert(ok.end(), {"future", "field"});  // unknown fields are a later version's
  EXPECT_TRUE(DecodeAccount("k", Pairs(ok)).ok());

  EXPECT_FALSE(DecodeBan(1, Pairs({"nk", "", "ak", "", "u", "", "r", "", "b", "", "c", "0"})).ok());
  EXPECT_FALSE(DecodeBan(0, Pairs({"nk", "a", "ak", "", "u", "", "r", "", "b", "", "c", "0"})).ok());
  EXPECT_FALSE(DecodeBan(1, Pairs({"nk", "a", "ak", "", "u", "x", "r", "", "b", "", "c", "0"})).ok());
}

TEST(IdentityRecordsTest, SanitisesWhatPeopleRead) {
  const std::vector<std::string> argv = {"x", "hi\x1b[31m\xff", "b", "bob\r\n", "t", "0"};
  absl::StatusOr<Topic> topic = DecodeTopic(Pairs(argv));
  ASSERT_TRUE(topic.ok());
  EXPECT_EQ(topic->text.find('\x1b'), std::string::npos);
  EXPECT_EQ(topic->set_by.find('\n'), std::string::npos);
}

}  // namespace
}  // namespace chat::cluster
