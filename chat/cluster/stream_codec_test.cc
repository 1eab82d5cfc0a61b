#include "chat/cluster/stream_codec.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace chat::cluster {
namespace {

std::vector<StreamField> Fields(const std::vector<std::string>& argv) {
  std::vector<StreamField> fields;
  for (size_t i = 0; i + 1 < argv.size(); i += 2) fields.emplace_back(argv[i], argv[i + 1]);
  return fields;
}

TEST(StreamCodecTest, RoundTripsEveryRoomKind) {
  for (Event::Kind kind : {Event::Kind::kChat, Event::Kind::kEmote, Event::Kind::kJoin,
                           Event::Kind::kLeave, Event::Kind::kRename, Event::Kind::kModeration}) {
    auto event = MakeEvent(kind, absl::FromUnixMillis(1700000000123), "alice", "hi\tthere", 42);
    std::vector<std::string> argv;
    EncodeEvent(*event, "host:1", &argv);
    absl::StatusOr<std::shared_ptr<Event>> back = DecodeEvent(Fields(argv), "host:1");
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ((*back)->kind, kind);
    EXPECT_EQ((*back)->time, event->time);
    EXPECT_EQ((*back)->name, "alice");
    EXPECT_EQ((*back)->text, "hi\tthere");
    EXPECT_EQ((*back)->origin, 42u);
  }
}

TEST(StreamCodecTest, OtherInstancesMembersAreNobodyHere) {
  auto event = MakeEvent(Event::Kind::kChat, absl::UnixEpoch(), "bob", "x", 7);
  std::vector<std::string> argv;
  EncodeEvent(*event, "a:1", &argv);
  absl::StatusOr<std::shared_ptr<Event>> back = DecodeEvent(Fields(argv), "b:2");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ((*back)->origin, 0u);  // member 7 here is someone else
}

TEST(StreamCodecTest, SanitisesWhatAnotherProcessWrote) {
  absl::StatusOr<std::shared_ptr<Event>> back = DecodeEvent(
      Fields({"v", "1", "k", "c", "t", "0", "n", "ev\x1b[2Jil", "x", "a\rb\x1b]0;x\a", "i", "z",
              "o", "1"}),
      "me");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ((*back)->name, "ev[2Jil");
  EXPECT_EQ((*back)->text, "ab]0;x");
}

TEST(StreamCodecTest, RefusesMalformedEntries) {
  const std::vector<std::string> good = {"v", "1", "k", "c", "t", "5", "n", "a", "x", "t",
                                         "i", "i", "o", "1"};
  ASSERT_TRUE(DecodeEvent(Fields(good), "i").ok());
  auto with = [&](size_t index, std::string value) {
    std::vector<std::string> argv = good;
    argv[index] = std::move(value);
    return DecodeEvent(Fields(argv), "i").ok();
  };
  EXPECT_FALSE(with(1, "2"));                                  // unknown version
  EXPECT_FALSE(with(3, "p"));                                  // private: never in a room
  EXPECT_FALSE(with(3, "cc"));
  EXPECT_FALSE(with(5, "-1"));                                 // time
  EXPECT_FALSE(with(5, "99999999999999999999999"));
  EXPECT_FALSE(with(7, ""));                                   // empty name
  EXPECT_FALSE(with(7, "\x1b"));                               // nothing left once sanitised
  EXPECT_FALSE(with(7, std::string(kMaxNameBytes + 1, 'a')));
  EXPECT_FALSE(with(9, std::string(kMaxTextBytes + 1, 'a')));
  // Within the bounds as bytes, beyond them once each invalid byte became U+FFFD.
  EXPECT_FALSE(with(7, std::string(kMaxNameBytes, '\xff')));
  EXPECT_FALSE(with(9, std::string(kMaxTextBytes, '\xff')));
  EXPECT_FALSE(with(13, "x"));                                 // origin
  EXPECT_FALSE(with(13, "-3"));
  std::vector<std::string> repeated = good;
  repeated.insert(repeated.end(), {"n", "b"});
  EXPECT_FALSE(DecodeEvent(Fields(repeated), "i").ok());
  std::vector<std::string> missing(good.begin(), good.end() - 2);
  EXPECT_FALSE(DecodeEvent(Fields(missing), "i").ok());
  std::vector<std::string> many = good;
  for (size_t i = 0; i < kMaxFields; ++i) many.insert(many.end(), {"unknown", "y"});
  EXPECT_FALSE(DecodeEvent(Fields(many), "i").ok());
  std::vector<std::string> extra = good;
  extra.insert(extra.end(), {"later", "field"});  // a later version's field is ignored
  EXPECT_TRUE(DecodeEvent(Fields(extra), "i").ok());
}

TEST(StreamCodecTest, StreamKeysShareEverySpellingOfARoom) {
  EXPECT_EQ(RoomStreamKey("Dev"), RoomStreamKey("dev"));
  EXPECT_NE(RoomStreamKey("dev"), RoomStreamKey("ops"));
  EXPECT_EQ(RoomStreamKey("general").rfind("tcpchat:room:", 0), 0u);
}

TEST(StreamCodecTest, StreamIdsParseAndOrder) {
  ASSERT_TRUE(StreamId::Parse("1-2").has_value());
  EXPECT_EQ(StreamId::Parse("1700000000000-15")->ToString(), "1700000000000-15");
  EXPECT_TRUE(*StreamId::Parse("1-9") < *StreamId::Parse("2-0"));
  EXPECT_TRUE(*StreamId::Parse("2-1") < *StreamId::Parse("2-10"));
  for (const char* bad : {"", "1", "-1", "1-", "a-1", "1-+2", " 1-2", "1-2-3", "1--2",
                          "99999999999999999999999-1"}) {
    EXPECT_FALSE(StreamId::Parse(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace chat::cluster
