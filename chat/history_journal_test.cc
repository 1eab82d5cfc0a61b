#include "chat/history_journal.h"

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "chat/core/lobby.h"
#include "chat/netcat/renderer.h"
#include "chat/testing/test_files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace chat {
namespace {

using ::testing::ElementsAre;

using testing::TempPath;

// The room's history as a net-cat client in UTC would be replayed it.
std::vector<std::string> Lines(const Room& room) {
  NetcatRenderer renderer(absl::UTCTimeZone());
  std::vector<std::string> lines;
  for (const EventPtr& event : room.History()) {
    lines.emplace_back();
    renderer.AppendLine(*event, &lines.back());
  }
  return lines;
}

class Silent : public RoomMember, public Waker {
 public:
  std::string DisplayName() const override { return "silent"; }
  void OnFellBehind() override {}
  void Wake() override {}
};

std::shared_ptr<Event> Said(absl::Time t, std::string text, Event::Kind kind = Event::Kind::kChat) {
  return MakeEvent(kind, t, "alice", std::move(text), 1);
}

// A journal on `path` and a lobby whose rooms write through it, with one member to act.
struct JournalWriter {
  explicit JournalWriter(const std::string& path)
      : journal(HistoryJournal::Open(path, {}, 100, read_back, nullptr)) {}
  Lobby read_back{100, 10};  // what Open() restores into; unused here
  absl::StatusOr<std::unique_ptr<HistoryJournal>> journal;
  // Rooms built after Open journal through it.
  Lobby lobby{100, 10, journal.ok() ? journal->get() : nullptr};
  std::shared_ptr<Silent> alice = std::make_shared<Silent>();
  Joiner joiner{1, alice.get(), alice, 0, {}, nullptr};
};

TEST(HistoryJournalTest, LinesSurviveARestartInEveryRoom) {
  const std::string path = TempPath("journal_restart");
  const absl::Time t = absl::FromUnixSeconds(1'800'000'000);
  {
    JournalWriter w(path);
    ASSERT_TRUE(w.journal.ok()) << w.journal.status();
    Lobby& writing = w.lobby;
    const Joiner& joiner = w.joiner;
    RoomEntry general = writing.Join("general", joiner, Said(t, "", Event::Kind::kJoin));
    general.room->Post(Said(t, "hello\tworld \\ \xFF"));
    RoomEntry dev = writing.Move(general.room, general.position.membership, "dev", joiner,
                                 Said(t, "", Event::Kind::kLeave), Said(t, "", Event::Kind::kJoin));
    dev.room->Post(Said(t + absl::Seconds(1), "waves", Event::Kind::kEmote));
    dev.room->Post(Said(t + absl::Seconds(1), "bob", Event::Kind::kRename));  // not journaled
    writing.Leave(dev.room, dev.position.membership, Said(t, "", Event::Kind::kLeave));
  }
  Lobby restored(100, 10);
  HistoryJournal::Stats stats;
  absl::StatusOr<std::unique_ptr<HistoryJournal>> journal =
      HistoryJournal::Open(path, {}, 100, restored, &stats);
  ASSERT_TRUE(journal.ok()) << journal.status();
  EXPECT_EQ(stats.records_loaded, 2);
  EXPECT_EQ(stats.rooms, 2);
  EXPECT_THAT(Lines(restored.default_room()),
              ElementsAre("[2027-01-15 08:00:00][alice]:hello\tworld \\ \xFF"));
  ASSERT_NE(restored.Find("dev"), nullptr);
  EXPECT_THAT(Lines(*restored.Find("dev")), ElementsAre("[2027-01-15 08:00:01] * alice waves"));
}

TEST(HistoryJournalTest, RestoresNoMoreRoomsThanTheLobbyAllowsNewestFirst) {
  const std::string path = TempPath("journal_max_rooms");
  const absl::Time t = absl::FromUnixSeconds(1'800'000'000);
  {
    JournalWriter w(path);
    ASSERT_TRUE(w.journal.ok()) << w.journal.status();
    // "old" was last used before "recent", whatever the order of names or of creation.
    for (const auto& [room, when] : {std::pair{"zzz-recent", 3}, {"old", 1}, {"aaa-middle", 2}}) {
      RoomEntry entry = w.lobby.Join(room, w.joiner, Said(t, "", Event::Kind::kJoin));
      entry.room->Post(Said(t + absl::Seconds(when), room));
      w.lobby.Leave(entry.room, entry.position.membership, Said(t, "", Event::Kind::kLeave));
    }
  }
  Lobby restored(100, 3);  // "general" and two more
  HistoryJournal::Stats stats;
  absl::StatusOr<std::unique_ptr<HistoryJournal>> journal =
      HistoryJournal::Open(path, {}, 100, restored, &stats);
  ASSERT_TRUE(journal.ok()) << journal.status();
  EXPECT_EQ(stats.rooms, 2);
  EXPECT_EQ(stats.rooms_skipped, 1);
  EXPECT_NE(restored.Find("zzz-recent"), nullptr);
  EXPECT_NE(restored.Find("aaa-middle"), nullptr);
  EXPECT_EQ(restored.Find("old"), nullptr);
  EXPECT_EQ(restored.List().size(), 3u);
}

TEST(HistoryJournalTest, KeepsOnlyTheNewestLinesPerRoom) {
  const std::string path = TempPath("journal_limit");
  const absl::Time t = absl::FromUnixSeconds(1'800'000'000);
  {
    Lobby lobby(100, 10);
    auto journal = HistoryJournal::Open(path, {}, 100, lobby, nullptr);
    ASSERT_TRUE(journal.ok());
    for (int i = 0; i < 5; ++i) {
      const std::string text = absl::StrCat("line ", i);
      (*journal)->Record("general", *MakeEvent(Event::Kind::kChat, t, "bob", text));
    }
  }
  Lobby restored(/*history_limit=*/2, 10);
  auto journal = HistoryJournal::Open(path, {}, 2, restored, nullptr);
  ASSERT_TRUE(journal.ok());
  EXPECT_THAT(Lines(restored.default_room()),
              ElementsAre("[2027-01-15 08:00:00][bob]:line 3", "[2027-01-15 08:00:00][bob]:line 4"));
}

TEST(HistoryJournalTest, ChatTextThatLooksLikeAnEmoteMarkerCannotExistAfterSanitising) {
  history::HistoryRecord chat{"general", absl::UnixEpoch(), "eve", "ACTION waves"};
  EXPECT_EQ(EventFromRecord(chat)->kind, Event::Kind::kChat);
  EXPECT_EQ(EventFromRecord(chat)->text, "ACTION waves");
  history::HistoryRecord emote{"general", absl::UnixEpoch(), "eve", "\x01" "ACTION waves"};
  EXPECT_EQ(EventFromRecord(emote)->kind, Event::Kind::kEmote);
  EXPECT_EQ(EventFromRecord(emote)->text, "waves");
}

TEST(HistoryJournalTest, UnusableFileIsAnError) {
  Lobby lobby(100, 10);
  EXPECT_FALSE(HistoryJournal::Open("/nonexistent-dir/history", {}, 100, lobby, nullptr)
                   .ok());
}

}  // namespace
}  // namespace chat
