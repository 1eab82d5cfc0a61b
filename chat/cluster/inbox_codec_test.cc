#include "chat/cluster/inbox_codec.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace chat::cluster {
namespace {

std::vector<StreamField> Pairs(const std::vector<std::string>& argv) {
  std::vector<StreamField> fields;
  for (size_t i = 0; i + 1 < argv.size(); i += 2) fields.emplace_back(argv[i], argv[i + 1]);
  return fields;
}

TEST(InboxCodecTest, RoundTrip) {
  const InboxEntry message{InboxEntry::Kind::kPrivate, "Bob", "alice", "a:1", "hi there",
                           absl::FromUnixMillis(1'800'000'000'123)};
  std::vector<std::string> argv;
  EncodeInboxEntry(message, &argv);
  EXPECT_EQ(*DecodeInboxEntry(Pairs(argv)), message);
  const InboxEntry kick{InboxEntry::Kind::kKick, "mallory", "", "a:1", "You were kicked by op.",
                        absl::FromUnixMillis(5)};
  argv.clear();
  EncodeInboxEntry(kick, &argv);
  EXPECT_EQ(*DecodeInboxEntry(Pairs(argv)), kick);
}

TEST(InboxCodecTest, RefusesWhatItCannotTrust) {
  const std::vector<std::vector<std::string>> bad = {
      {},
      {"v", "2", "k", "p", "to", "b", "n", "a", "t", "0"},             // unknown version
      {"v", "1", "k", "z", "to", "b", "n", "a", "t", "0"},             // unknown kind
      {"v", "1", "k", "p", "to", "", "n", "a", "t", "0"},              // no recipient
      {"v", "1", "k", "p", "to", "b", "n", "", "t", "0"},              // no sender
      {"v", "1", "k", "p", "to", "b", "n", "a", "t", "-1"},            // bad time
      {"v", "1", "k", "p", "to", "b", "to", "c", "n", "a", "t", "0"},  // a field twice
      {"v", "1", "k", "p", "to", "b", "n", "a", "t", "0", "x", std::string(65 * 1024, 'x')},
  };
  for (const auto& argv : bad) EXPECT_FALSE(DecodeInboxEntry(Pairs(argv)).ok());
  // A kick needs no sender; unknown fields are a later version's.
  EXPECT_TRUE(
      DecodeInboxEntry(Pairs({"v", "1", "k", "k", "to", "b", "t", "0", "new", "field"})).ok());
}

TEST(InboxCodecTest, SanitisesAsIfTypedHere) {
  absl::StatusOr<InboxEntry> entry = DecodeInboxEntry(
      Pairs({"v", "1", "k", "p", "to", "bob", "n", "ev\x1b[2Jil", "t", "0", "x", "a\r\nb\xff"}));
  ASSERT_TRUE(entry.ok());
  EXPECT_EQ(entry->from.find('\x1b'), std::string::npos);
  EXPECT_EQ(entry->text.find('\n'), std::string::npos);
}

}  // namespace
}  // namespace chat::cluster
