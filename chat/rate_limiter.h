// chat/rate_limiter.h: a token bucket, driven by an injected time.
//
// Defines:
//   RateLimiter - allows `rate` events per second on average, `burst` at once.

#ifndef CHAT_RATE_LIMITER_H_
#define CHAT_RATE_LIMITER_H_

#include "absl/time/time.h"

namespace chat {

// RateLimiter is a token bucket: it holds up to `burst` tokens, refills at `rate` per
// second, and each allowed event takes one (or `n`, for events with a size, e.g. bytes).
// A rate of 0 disables limiting. Time is passed in, so tests need no clock at all; a
// clock stepping backwards refills nothing.
//
// A request for more than `burst` tokens could never be met if it had to wait for them,
// so it waits only for a full bucket and then takes all `n`, leaving the bucket in debt:
// the long-run rate still holds exactly, and a configuration whose burst is smaller than
// the largest request slows such requests down instead of refusing them for ever.
//
// Not thread-safe: the owner serialises calls (one connection's reader, or a lock).
class RateLimiter {
 public:
  RateLimiter(double rate_per_second, double burst, absl::Time now);

  // RateLimiter::Allow() takes a token if one is available at `now`.
  bool Allow(absl::Time now) { return TryTake(1, now); }

  // RateLimiter::TryTake() takes `n` tokens if they are all available at `now` (all or
  // nothing). n > burst: see the class comment.
  bool TryTake(double n, absl::Time now);

  // RateLimiter::GiveBack() returns `n` tokens taken for something that then did not
  // happen (never beyond a full bucket).
  void GiveBack(double n);

  // RateLimiter::TimeUntilAvailable() is how long from `now` until TryTake(n) would
  // succeed if nothing else were taken meanwhile; zero if it would succeed now.
  absl::Duration TimeUntilAvailable(double n, absl::Time now) const;

  // RateLimiter::FullAt() is the instant the bucket holds `burst` tokens again if nothing
  // is taken meanwhile (InfinitePast when disabled). Until then, forgetting this bucket
  // and starting a fresh, full one would hand out tokens it has not earned.
  absl::Time FullAt() const;

  bool enabled() const { return rate_ > 0; }

 private:
  // The tokens the bucket would hold at `now`.
  double TokensAt(absl::Time now) const;
  // The tokens a request for `n` waits for.
  double Needed(double n) const { return n < burst_ ? n : burst_; }

  const double rate_;
  const double burst_;
  double tokens_;
  absl::Time last_;
};

}  // namespace chat

#endif  // CHAT_RATE_LIMITER_H_
