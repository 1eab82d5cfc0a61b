#include "chat/rate_limiter.h"

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace chat {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

TEST(RateLimiterTest, AllowsABurstThenRefillsAtTheRate) {
  RateLimiter limiter(/*rate_per_second=*/2, /*burst=*/3, kT0);
  EXPECT_TRUE(limiter.Allow(kT0));
  EXPECT_TRUE(limiter.Allow(kT0));
  EXPECT_TRUE(limiter.Allow(kT0));
  EXPECT_FALSE(limiter.Allow(kT0));
  EXPECT_FALSE(limiter.Allow(kT0 + absl::Milliseconds(400)));  // 0.8 token
  EXPECT_TRUE(limiter.Allow(kT0 + absl::Milliseconds(500)));   // 1 token
  EXPECT_FALSE(limiter.Allow(kT0 + absl::Milliseconds(500)));
}

TEST(RateLimiterTest, NeverHoldsMoreThanTheBurst) {
  RateLimiter limiter(10, 2, kT0);
  const absl::Time later = kT0 + absl::Hours(1);
  EXPECT_TRUE(limiter.Allow(later));
  EXPECT_TRUE(limiter.Allow(later));
  EXPECT_FALSE(limiter.Allow(later));
}

TEST(RateLimiterTest, SteadyRateIsSustained) {
  RateLimiter limiter(20, 1, kT0);
  for (int i = 1; i <= 1000; ++i) {
    EXPECT_TRUE(limiter.Allow(kT0 + absl::Milliseconds(50 * i))) << i;
  }
}

TEST(RateLimiterTest, ClockGoingBackwardsRefillsNothing) {
  RateLimiter limiter(1, 1, kT0);
  EXPECT_TRUE(limiter.Allow(kT0));
  EXPECT_FALSE(limiter.Allow(kT0 - absl::Hours(1)));
  EXPECT_FALSE(limiter.Allow(kT0 + absl::Milliseconds(999)));
  EXPECT_TRUE(limiter.Allow(kT0 + absl::Seconds(1)));
}

TEST(RateLimiterTest, ZeroRateDisablesLimiting) {
  RateLimiter limiter(0, 0, kT0);
  EXPECT_FALSE(limiter.enabled());
  for (int i = 0; i < 10000; ++i) EXPECT_TRUE(limiter.Allow(kT0));
}

}  // namespace
}  // namespace chat
