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
      Pairs({"v", "1", "k", "p", "to", "bob", "n", "evil", "t", "0", "x", "a\r\nb\xff"}));
  ASSERT_TRUE(entry.ok());
  EXPECT_EQ(entry->text.find('\n'), std::string::npos);
  // A name nobody could have chosen here is refused outright, not drawn after sanitising.
  EXPECT_FALSE(DecodeInboxEntry(
                   Pairs({"v", "1", "k", "p", "to", "bob", "n", "ev\x1b[2Jil", "t", "0", "x", "a"}))
                   .ok());
}

// Names pass ValidateName() (chat/name.h) as if chosen here: none could draw a forged
// frame ("[alice -> you]:" inside a name) or pass for someone else.
TEST(InboxCodecTest, RefusesNamesNobodyCouldHaveHere) {
  for (const std::string name : {"alice -> you]:hi", "[alice]", "a\u200bb", "/op", "a b"}) {
    EXPECT_FALSE(
        DecodeInboxEntry(Pairs({"v", "1", "k", "p", "to", "bob", "n", name, "t", "0"})).ok())
        << name;
    EXPECT_FALSE(DecodeInboxEntry(Pairs({"v", "1", "k", "k", "to", name, "t", "0"})).ok())
        << name;
  }
}

// A private message says its sender's session, a /reply its recipient's; both bounded.
TEST(InboxCodecTest, SessionIds) {
  InboxEntry reply{InboxEntry::Kind::kPrivate, "bob", "alice", "a:1", "hi", absl::UnixEpoch()};
  reply.from_session = 7;
  reply.to_session = 18'446'744'073'709'551'615u;
  std::vector<std::string> argv;
  EncodeInboxEntry(reply, &argv);
  EXPECT_EQ(*DecodeInboxEntry(Pairs(argv)), reply);
  const std::vector<std::string> bad = {"0", "-1", "x", "18446744073709551616",
                                        std::string(21, '1')};
  for (const std::string& id : bad) {
    EXPECT_FALSE(
        DecodeInboxEntry(Pairs({"v", "1", "k", "p", "to", "b", "n", "a", "t", "0", "s", id})).ok())
        << id;
    EXPECT_FALSE(
        DecodeInboxEntry(Pairs({"v", "1", "k", "p", "to", "b", "n", "a", "t", "0", "r", id})).ok())
        << id;
  }
}

}  // namespace
}  // namespace chat::cluster
