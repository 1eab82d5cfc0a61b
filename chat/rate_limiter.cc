#include "chat/rate_limiter.h"

#include <algorithm>

namespace chat {

RateLimiter::RateLimiter(double rate_per_second, double burst, absl::Time now)
    : rate_(rate_per_second), burst_(std::max(burst, 1.0)), tokens_(burst_), last_(now) {}

bool RateLimiter::Allow(absl::Time now) {
  if (rate_ <= 0) return true;
  if (now > last_) {
    tokens_ = std::min(burst_, tokens_ + absl::ToDoubleSeconds(now - last_) * rate_);
    last_ = now;
  }
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

}  // namespace chat
