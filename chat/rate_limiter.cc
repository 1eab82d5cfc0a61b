#include "chat/rate_limiter.h"

#include <algorithm>

namespace chat {
namespace {

// Refills are floating-point sums, so waiting exactly TimeUntilAvailable() can leave the
// bucket a rounding error short; a millionth of a token is not worth refusing over.
constexpr double kSlack = 1e-6;

}  // namespace

RateLimiter::RateLimiter(double rate_per_second, double burst, absl::Time now)
    : rate_(rate_per_second), burst_(std::max(burst, 1.0)), tokens_(burst_), last_(now) {}

double RateLimiter::TokensAt(absl::Time now) const {
  if (now <= last_) return tokens_;
  return std::min(burst_, tokens_ + absl::ToDoubleSeconds(now - last_) * rate_);
}

bool RateLimiter::TryTake(double n, absl::Time now) {
  if (rate_ <= 0) return true;
  if (now > last_) {
    tokens_ = TokensAt(now);
    last_ = now;
  }
  if (tokens_ + kSlack < Needed(n)) return false;
  tokens_ -= n;
  return true;
}

void RateLimiter::GiveBack(double n) {
  if (rate_ <= 0) return;
  tokens_ = std::min(burst_, tokens_ + n);
}

absl::Duration RateLimiter::TimeUntilAvailable(double n, absl::Time now) const {
  if (rate_ <= 0) return absl::ZeroDuration();
  const double missing = Needed(n) - TokensAt(now);
  if (missing <= kSlack) return absl::ZeroDuration();
  // A clock that stepped backwards is still behind last_; the wait counts from last_.
  const absl::Duration behind = now < last_ ? last_ - now : absl::ZeroDuration();
  return behind + absl::Seconds(missing / rate_);
}

absl::Time RateLimiter::FullAt() const {
  if (rate_ <= 0) return absl::InfinitePast();
  if (tokens_ >= burst_) return last_;
  return last_ + absl::Seconds((burst_ - tokens_) / rate_);
}

}  // namespace chat
