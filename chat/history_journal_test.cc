#include "chat/history_journal.h"

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "chat/core/lobby.h"
#include "chat/netcat/renderer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace chat {
namespace {

using ::testing::ElementsAre;

std::string TempPath(std::string_view name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return absl::StrCat(dir != nullptr ? dir : "/tmp", "/", name);
}

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

TEST(HistoryJournalTest, LinesSurviveARestartInEveryRoom) {
  const std::string path = TempPath("journal_restart");
  const absl::Time t = absl::FromUnixSeconds(1'800'000'000);
  {
    Lobby lobby(100, 10);
    absl::StatusOr<std::unique_ptr<HistoryJournal>> journal =
        HistoryJournal::Open(path, {}, 100, lobby, nullptr);
    ASSERT_TRUE(journal.ok()) << journal.status();
    // Rooms built after Open journal through it.
    Lobby writing(100, 10, journal->get());
    auto alice = std::make_shared<Silent>();
    const Joiner joiner{1, alice.get(), alice, 0, {}, nullptr};
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
