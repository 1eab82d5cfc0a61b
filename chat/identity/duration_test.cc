#include "chat/identity/duration.h"

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace chat::identity {
namespace {

TEST(ParseModerationDurationTest, EachUnit) {
  EXPECT_EQ(*ParseModerationDuration("30s"), absl::Seconds(30));
  EXPECT_EQ(*ParseModerationDuration("10m"), absl::Minutes(10));
  EXPECT_EQ(*ParseModerationDuration("2h"), absl::Hours(2));
  EXPECT_EQ(*ParseModerationDuration("7d"), absl::Hours(7 * 24));
  EXPECT_EQ(*ParseModerationDuration("2w"), absl::Hours(14 * 24));
  EXPECT_EQ(*ParseModerationDuration("007m"), absl::Minutes(7));
}

TEST(ParseModerationDurationTest, RefusesMalformed) {
  for (const char* text :
       {"", "s", "m", "10", "10x", "10M", "1h30m", "-5m", "+5m", " 5m", "5m ", "5 m", "1.5h",
        "５m", "0x10s", "10ms", "forever"}) {
    absl::StatusOr<absl::Duration> parsed = ParseModerationDuration(text);
    ASSERT_FALSE(parsed.ok()) << '"' << text << '"';
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(parsed.status().message(),
              "Duration must be a number and a unit, like 30s, 10m, 2h, 7d or 2w.")
        << text;
  }
}

TEST(ParseModerationDurationTest, RefusesZero) {
  for (const char* text : {"0s", "0w", "000m"}) {
    absl::StatusOr<absl::Duration> parsed = ParseModerationDuration(text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.status().message(), "Duration must be more than zero.");
  }
}

TEST(ParseModerationDurationTest, AtMostTenYears) {
  EXPECT_EQ(*ParseModerationDuration("3653d"), kMaxModerationDuration);
  EXPECT_EQ(*ParseModerationDuration("521w"), absl::Hours(24 * 7 * 521));
  for (const char* text : {"3654d", "522w", "87673h", "99999999999999999999999999s",
                           "9223372036854775807s", "9223372036854775808w"}) {
    absl::StatusOr<absl::Duration> parsed = ParseModerationDuration(text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.status().message(),
              "Duration is too long (at most 10 years; leave it out for a permanent one).");
  }
}

TEST(FormatModerationDurationTest, LargestExactUnit) {
  EXPECT_EQ(FormatModerationDuration(absl::Hours(14 * 24)), "2w");
  EXPECT_EQ(FormatModerationDuration(absl::Hours(36)), "36h");
  EXPECT_EQ(FormatModerationDuration(absl::Minutes(90)), "90m");
  EXPECT_EQ(FormatModerationDuration(absl::Seconds(45)), "45s");
  EXPECT_EQ(FormatModerationDuration(absl::Seconds(61)), "61s");
  EXPECT_EQ(FormatModerationDuration(absl::Milliseconds(2500)), "2s");
  EXPECT_EQ(FormatModerationDuration(absl::ZeroDuration()), "0s");
  EXPECT_EQ(FormatModerationDuration(-absl::Hours(1)), "0s");
  EXPECT_EQ(FormatModerationDuration(absl::InfiniteDuration()), "forever");
}

TEST(FormatModerationDurationTest, RoundTrips) {
  for (int64_t seconds : {1, 59, 60, 3599, 3600, 86400, 604800, 1209600 + 1}) {
    const absl::Duration d = absl::Seconds(seconds);
    EXPECT_EQ(*ParseModerationDuration(FormatModerationDuration(d)), d) << seconds;
  }
  EXPECT_EQ(*ParseModerationDuration(FormatModerationDuration(kMaxModerationDuration)),
            kMaxModerationDuration);
}

TEST(FormatUntilTest, UtcMinutesAndPermanent) {
  absl::Time t;
  std::string error;
  ASSERT_TRUE(absl::ParseTime(absl::RFC3339_full, "2026-11-28T14:00:00Z", &t, &error)) << error;
  EXPECT_EQ(FormatUntil(t), "until 2026-11-28 14:00 UTC");
  EXPECT_EQ(FormatUntil(t + absl::Seconds(7)), "until 2026-11-28 14:00:07 UTC");
  EXPECT_EQ(FormatUntil(absl::InfiniteFuture()), "permanently");
}

}  // namespace
}  // namespace chat::identity
