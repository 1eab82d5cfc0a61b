#include "chat/message.h"

#include <fstream>
#include <sstream>
#include <string>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace chat {
namespace {

absl::Time At(int y, int mo, int d, int h, int mi, int s) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s), absl::UTCTimeZone());
}

TEST(MessageTest, BannerMatchesGoldenFileByteForByte) {
  std::ifstream golden("testdata/banner.txt", std::ios::binary);
  ASSERT_TRUE(golden.good()) << "testdata/banner.txt missing from runfiles";
  std::stringstream contents;
  contents << golden.rdbuf();
  EXPECT_EQ(kBanner, contents.str());
}

TEST(MessageTest, BannerHasSeventeenLinesWithoutTrailingSpaces) {
  int lines = 0;
  for (size_t i = 0; i < kBanner.size(); ++i) {
    if (kBanner[i] != '\n') continue;
    ++lines;
    EXPECT_NE(kBanner[i - 1], ' ') << "trailing space on line " << lines;
  }
  EXPECT_EQ(lines, 17);  // greeting + 16-line penguin
  EXPECT_EQ(kBanner.back(), '\n');
}

TEST(MessageTest, NamePromptHasTrailingSpaceAndNoNewline) {
  EXPECT_EQ(kNamePrompt, "[ENTER YOUR NAME]: ");
}

TEST(MessageTest, FormatsElapsedTimeInWholeSeconds) {
  EXPECT_EQ(FormatElapsed(absl::ZeroDuration()), "0s");
  EXPECT_EQ(FormatElapsed(absl::Milliseconds(999)), "0s");
  EXPECT_EQ(FormatElapsed(-absl::Seconds(5)), "0s");  // a clock step back
  EXPECT_EQ(FormatElapsed(absl::Seconds(45)), "45s");
  EXPECT_EQ(FormatElapsed(absl::Seconds(192) + absl::Milliseconds(700)), "3m12s");
  EXPECT_EQ(FormatElapsed(absl::Hours(1) + absl::Seconds(5)), "1h5s");
  EXPECT_EQ(FormatElapsed(absl::Hours(50) + absl::Minutes(3)), "50h3m");
}

TEST(MessageTest, FormatsTimestamp) {
  EXPECT_EQ(FormatTimestamp(At(2026, 1, 2, 3, 4, 5), absl::UTCTimeZone()),
            "2026-01-02 03:04:05");
}

TEST(MessageTest, TimestampUsesGivenZone) {
  const absl::TimeZone plus_two = absl::FixedTimeZone(2 * 60 * 60);
  EXPECT_EQ(FormatTimestamp(At(2026, 12, 31, 23, 0, 0), plus_two), "2027-01-01 01:00:00");
}

TEST(MessageTest, FormatsChatLineAndPrompt) {
  const absl::Time t = At(2020, 1, 20, 15, 48, 41);
  EXPECT_EQ(FormatChatLine(t, absl::UTCTimeZone(), "Lee", "Hello, everyone!"),
            "[2020-01-20 15:48:41][Lee]:Hello, everyone!");
  EXPECT_EQ(FormatPrompt(t, absl::UTCTimeZone(), "Lee"), "[2020-01-20 15:48:41][Lee]:");
}

TEST(MessageTest, FormatsNotices) {
  EXPECT_EQ(FormatJoinNotice("Yenlik"), "Yenlik has joined our chat...");
  EXPECT_EQ(FormatLeaveNotice("Yenlik"), "Yenlik has left our chat...");
}

TEST(MessageTest, TimestampFormatterMatchesFormatTimestamp) {
  TimestampFormatter formatter(absl::UTCTimeZone());
  const absl::Time t = At(2026, 11, 23, 18, 30, 0);
  for (const absl::Duration d :
       {absl::ZeroDuration(), absl::Milliseconds(999), absl::Seconds(1), absl::Seconds(1),
        absl::Hours(-30), absl::Milliseconds(-1), absl::Seconds(86400 * 400)}) {
    EXPECT_EQ(formatter.Format(t + d), FormatTimestamp(t + d, absl::UTCTimeZone()));
  }
  EXPECT_EQ(formatter.Format(At(1969, 12, 31, 23, 59, 59) + absl::Milliseconds(500)),
            "1969-12-31 23:59:59");
}

TEST(MessageTest, FormatsCommandOutput) {
  const absl::Time t = At(2020, 1, 20, 15, 48, 41);
  EXPECT_EQ(FormatRenameNotice("alice", "alicia"), "alice changed their name to alicia");
  EXPECT_EQ(FormatEmote(t, absl::UTCTimeZone(), "alice", "waves"),
            "[2020-01-20 15:48:41] * alice waves");
  EXPECT_EQ(FormatPrivateMessage(t, absl::UTCTimeZone(), "alice", "psst"),
            "[2020-01-20 15:48:41][alice -> you]:psst");
}

}  // namespace
}  // namespace chat
