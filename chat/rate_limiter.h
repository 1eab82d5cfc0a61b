// chat/rate_limiter.h: a token bucket, driven by an injected time.
//
// Defines:
//   RateLimiter - allows `rate` events per second on average, `burst` at once.

#ifndef CHAT_RATE_LIMITER_H_
#define CHAT_RATE_LIMITER_H_

#include "absl/time/time.h"

namespace chat {

// RateLimiter is a token bucket: it holds up to `burst` tokens, refills at `rate` per
// second, and each allowed event takes one. A rate of 0 disables limiting. Time is passed
// in, so tests need no clock at all; a clock stepping backwards refills nothing.
//
// Not thread-safe: one limiter belongs to one connection's reader.
class RateLimiter {
 public:
  RateLimiter(double rate_per_second, double burst, absl::Time now);

  // RateLimiter::Allow() takes a token if one is available at `now`.
  bool Allow(absl::Time now);

  bool enabled() const { return rate_ > 0; }

 private:
  const double rate_;
  const double burst_;
  double tokens_;
  absl::Time last_;
};

}  // namespace chat

#endif  // CHAT_RATE_LIMITER_H_
