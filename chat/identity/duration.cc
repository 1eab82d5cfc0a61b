#include "chat/identity/duration.h"

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace chat::identity {
namespace {

struct Unit {
  char letter;
  int64_t seconds;
};

// Largest first, so formatting picks the largest exact unit.
constexpr Unit kUnits[] = {
    {'w', 7 * 24 * 3600}, {'d', 24 * 3600}, {'h', 3600}, {'m', 60}, {'s', 1},
};

absl::Status Invalid(std::string_view why) {
  return absl::InvalidArgumentError(why);
}

constexpr char kShape[] = "Duration must be a number and a unit, like 30s, 10m, 2h, 7d or 2w.";

}  // namespace

absl::StatusOr<absl::Duration> ParseModerationDuration(std::string_view text) {
  if (text.size() < 2) return Invalid(kShape);
  const char letter = text.back();
  int64_t unit_seconds = 0;
  for (const Unit& unit : kUnits) {
    if (unit.letter == letter) unit_seconds = unit.seconds;
  }
  if (unit_seconds == 0) return Invalid(kShape);
  const std::string_view digits = text.substr(0, text.size() - 1);
  const int64_t max_seconds = absl::ToInt64Seconds(kMaxModerationDuration);
  int64_t value = 0;
  bool too_long = false;
  for (const char c : digits) {
    if (c < '0' || c > '9') return Invalid(kShape);
    // Keep scanning after the value is too long, so "99999999999999999999x" is reported
    // as a bad unit rather than as too long.
    if (!too_long) {
      value = value * 10 + (c - '0');
      if (value > max_seconds) too_long = true;  // max_seconds * 10 fits in int64_t
    }
  }
  if (too_long || value > max_seconds / unit_seconds) {
    return Invalid("Duration is too long (at most 10 years; leave it out for a permanent one).");
  }
  if (value == 0) return Invalid("Duration must be more than zero.");
  return absl::Seconds(value * unit_seconds);
}

std::string FormatModerationDuration(absl::Duration duration) {
  if (duration == absl::InfiniteDuration()) return "forever";
  const int64_t seconds = absl::ToInt64Seconds(duration);
  if (seconds <= 0) return "0s";
  for (const Unit& unit : kUnits) {
    if (seconds % unit.seconds == 0) {
      return absl::StrCat(seconds / unit.seconds, std::string(1, unit.letter));
    }
  }
  return absl::StrCat(seconds, "s");  // unreachable: every count of seconds divides by 1
}

std::string FormatUntil(absl::Time until) {
  if (until == absl::InfiniteFuture()) return "permanently";
  const absl::TimeZone utc = absl::UTCTimeZone();
  const bool whole_minute = absl::ToUnixSeconds(until) % 60 == 0;
  return absl::StrCat("until ",
                      absl::FormatTime(whole_minute ? "%Y-%m-%d %H:%M" : "%Y-%m-%d %H:%M:%S",
                                       until, utc),
                      " UTC");
}

}  // namespace chat::identity
