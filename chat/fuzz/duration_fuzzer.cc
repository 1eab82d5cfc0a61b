// Fuzz target for moderation durations (`/ban NAME 2h`): text a moderator types, parsed
// by chat/identity/duration.
//
// Checks properties, not just crashes:
//   - an accepted duration is a positive whole number of seconds, at most
//     kMaxModerationDuration, and the text is ASCII digits and one unit letter;
//   - formatting it and parsing that gives it back exactly (so what /bans shows can be
//     typed again), and formatting is stable;
//   - a refusal is InvalidArgument with a one-line message.
//
// Built as a libFuzzer binary under --config=fuzz (clang); in every other configuration
// fuzz_corpus_main.cc replays testdata/fuzz/duration so the corpus is a regression test.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "chat/identity/duration.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using chat::identity::FormatModerationDuration;
  using chat::identity::kMaxModerationDuration;
  using chat::identity::ParseModerationDuration;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const absl::StatusOr<absl::Duration> parsed = ParseModerationDuration(text);
  if (!parsed.ok()) {
    Check(parsed.status().code() == absl::StatusCode::kInvalidArgument);
    Check(!parsed.status().message().empty());
    Check(parsed.status().message().find('\n') == std::string_view::npos);
    return 0;
  }
  const absl::Duration d = *parsed;
  Check(d > absl::ZeroDuration() && d <= kMaxModerationDuration);
  Check(d == absl::Seconds(absl::ToInt64Seconds(d)));
  Check(text.size() >= 2);
  for (size_t i = 0; i + 1 < text.size(); ++i) Check(text[i] >= '0' && text[i] <= '9');
  Check(std::string_view("smhdw").find(text.back()) != std::string_view::npos);
  const std::string formatted = FormatModerationDuration(d);
  const absl::StatusOr<absl::Duration> again = ParseModerationDuration(formatted);
  Check(again.ok() && *again == d);
  Check(FormatModerationDuration(*again) == formatted);
  Check(formatted.size() <= text.size());  // the largest exact unit is never longer
  return 0;
}
