#include "chat/history_journal.h"

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "chat/lobby.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace chat {
namespace {

using ::testing::ElementsAre;

std::string TempPath(std::string_view name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return absl::StrCat(dir != nullptr ? dir : "/tmp", "/", name);
}

std::vector<std::string> Lines(const Room& room) {
  std::vector<std::string> lines;
  for (const SharedText& line : room.History()) lines.push_back(*line);
  return lines;
}

class Silent : public Participant {
 public:
  void DeliverEvent(const SharedText&) override {}
  void DeliverWelcome(const std::vector<SharedText>&) override {}
  std::string DisplayName() const override { return "silent"; }
};

TEST(HistoryJournalTest, LinesSurviveARestartInEveryRoom) {
  const std::string path = TempPath("journal_restart");
  const absl::Time t = absl::FromUnixSeconds(1'800'000'000);
  {
    Lobby lobby(100, 10);
    absl::StatusOr<std::unique_ptr<HistoryJournal>> journal =
        HistoryJournal::Open(path, {}, 100, absl::UTCTimeZone(), lobby, nullptr);
    ASSERT_TRUE(journal.ok()) << journal.status();
    // Rooms built after Open journal through it.
    Lobby writing(100, 10, journal->get());
    Silent alice;
    std::shared_ptr<Room> general = writing.Join("general", &alice, MakeShared("joined"));
    const SpokenLine hello{t, "alice", "hello\tworld \\ \xFF", false};
    general->Broadcast(&alice, MakeShared("ignored: the journal keeps the parts"), &hello);
    std::shared_ptr<Room> dev = writing.Move(general, "dev", &alice, MakeShared("left"), MakeShared("joined"));
    const SpokenLine wave{t + absl::Seconds(1), "alice", "waves", true};
    dev->Broadcast(&alice, MakeShared("ignored"), &wave);
    writing.Leave(dev, &alice, MakeShared("left"));
  }
  Lobby restored(100, 10);
  HistoryJournal::Stats stats;
  absl::StatusOr<std::unique_ptr<HistoryJournal>> journal =
      HistoryJournal::Open(path, {}, 100, absl::UTCTimeZone(), restored, &stats);
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
    auto journal = HistoryJournal::Open(path, {}, 100, absl::UTCTimeZone(), lobby, nullptr);
    ASSERT_TRUE(journal.ok());
    for (int i = 0; i < 5; ++i) {
      const std::string text = absl::StrCat("line ", i);
      (*journal)->Record("general", SpokenLine{t, "bob", text, false});
    }
  }
  Lobby restored(/*history_limit=*/2, 10);
  auto journal = HistoryJournal::Open(path, {}, 2, absl::UTCTimeZone(), restored, nullptr);
  ASSERT_TRUE(journal.ok());
  EXPECT_THAT(Lines(restored.default_room()),
              ElementsAre("[2027-01-15 08:00:00][bob]:line 3", "[2027-01-15 08:00:00][bob]:line 4"));
}

TEST(HistoryJournalTest, ChatTextThatLooksLikeAnEmoteMarkerCannotExistAfterSanitising) {
  history::HistoryRecord chat{"general", absl::UnixEpoch(), "eve", "ACTION waves"};
  EXPECT_EQ(FormatRestoredLine(chat, absl::UTCTimeZone()), "[1970-01-01 00:00:00][eve]:ACTION waves");
  history::HistoryRecord emote{"general", absl::UnixEpoch(), "eve", "\x01" "ACTION waves"};
  EXPECT_EQ(FormatRestoredLine(emote, absl::UTCTimeZone()), "[1970-01-01 00:00:00] * eve waves");
}

TEST(HistoryJournalTest, UnusableFileIsAnError) {
  Lobby lobby(100, 10);
  EXPECT_FALSE(HistoryJournal::Open("/nonexistent-dir/history", {}, 100, absl::UTCTimeZone(),
                                    lobby, nullptr)
                   .ok());
}

}  // namespace
}  // namespace chat
