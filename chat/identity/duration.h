// chat/identity/duration.h: how long a moderation action (a ban, a mute) lasts, as people
// type and read it.
//
// Defines:
//   kMaxModerationDuration  - the longest duration a moderator may give (about 10 years).
//   ParseModerationDuration - "30s", "10m", "2h", "7d", "2w" -> absl::Duration.
//   FormatModerationDuration - the inverse, in the largest unit that is exact.
//   FormatUntil             - "until 2026-11-28 14:00 UTC", or "permanently".

#ifndef CHAT_IDENTITY_DURATION_H_
#define CHAT_IDENTITY_DURATION_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace chat::identity {

// Longer than this is a typo (`/ban bob 99999w`) or a wish for "forever", which is what
// leaving the duration out means.
inline constexpr absl::Duration kMaxModerationDuration = absl::Hours(24 * 3653);

// ParseModerationDuration() reads a positive whole number of ASCII digits followed by one
// lower-case unit: s (seconds), m (minutes), h (hours), d (days), w (weeks). Nothing else
// is accepted: no sign, no spaces, no fractions, no compound "1h30m" (write "90m"), no
// "M" (minutes or months?). Refused with InvalidArgument and one sentence a moderator can
// act on: empty, no unit or an unknown one, zero, or longer than kMaxModerationDuration
// (including numbers too large for any integer type).
absl::StatusOr<absl::Duration> ParseModerationDuration(std::string_view text);

// FormatModerationDuration() writes a duration in the largest unit that divides it
// exactly ("2w", "36h", "90m", "45s"), so that for every whole number of seconds d in
// (0, kMaxModerationDuration], ParseModerationDuration(FormatModerationDuration(d)) == d.
// Sub-second parts are dropped; zero or less is "0s"; absl::InfiniteDuration() is
// "forever".
std::string FormatModerationDuration(absl::Duration duration);

// FormatUntil() says when something ends, for a notice: "until 2026-11-28 14:00 UTC"
// (seconds are shown only when not zero), or "permanently" for absl::InfiniteFuture().
// Always UTC: the server's time zone means nothing to the person reading it.
std::string FormatUntil(absl::Time until);

}  // namespace chat::identity

#endif  // CHAT_IDENTITY_DURATION_H_
