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

TEST(RateLimiterTest, TakesSeveralTokensAllOrNothing) {
  RateLimiter limiter(/*rate_per_second=*/10, /*burst=*/100, kT0);
  EXPECT_TRUE(limiter.TryTake(60, kT0));
  EXPECT_FALSE(limiter.TryTake(41, kT0));  // 40 left: nothing is taken
  EXPECT_TRUE(limiter.TryTake(40, kT0));
  EXPECT_FALSE(limiter.Allow(kT0));
  EXPECT_TRUE(limiter.TryTake(0, kT0));
  EXPECT_TRUE(limiter.TryTake(5, kT0 + absl::Milliseconds(500)));
}

TEST(RateLimiterTest, TellsHowLongUntilTokensAreAvailable) {
  RateLimiter limiter(/*rate_per_second=*/2, /*burst=*/10, kT0);
  EXPECT_EQ(limiter.TimeUntilAvailable(10, kT0), absl::ZeroDuration());
  ASSERT_TRUE(limiter.TryTake(10, kT0));
  EXPECT_EQ(limiter.TimeUntilAvailable(1, kT0), absl::Milliseconds(500));
  EXPECT_EQ(limiter.TimeUntilAvailable(7, kT0), absl::Milliseconds(3500));
  const absl::Time later = kT0 + absl::Seconds(1);  // 2 tokens back
  EXPECT_EQ(limiter.TimeUntilAvailable(7, later), absl::Milliseconds(2500));
  // Asking does not take anything, and the answer is exact: waiting that long suffices.
  EXPECT_FALSE(limiter.TryTake(7, later + absl::Milliseconds(2499)));
  EXPECT_TRUE(limiter.TryTake(7, later + absl::Milliseconds(2500)));
}

TEST(RateLimiterTest, WaitingTheAnnouncedTimeAlwaysSucceeds) {
  // Rates and sizes whose quotients are not exact in binary floating point.
  RateLimiter limiter(/*rate_per_second=*/30.0 / 60, /*burst=*/7, kT0);
  absl::Time now = kT0;
  for (int i = 0; i < 200; ++i) {
    const double n = 1 + i % 3 + 0.1 * (i % 7);
    const absl::Duration wait = limiter.TimeUntilAvailable(n, now);
    now += wait;
    ASSERT_TRUE(limiter.TryTake(n, now)) << i << " after " << wait;
  }
}

TEST(RateLimiterTest, ARequestLargerThanTheBurstWaitsForAFullBucketAndGoesIntoDebt) {
  RateLimiter limiter(/*rate_per_second=*/100, /*burst=*/100, kT0);
  ASSERT_TRUE(limiter.TryTake(50, kT0));
  EXPECT_FALSE(limiter.TryTake(250, kT0));
  EXPECT_EQ(limiter.TimeUntilAvailable(250, kT0), absl::Milliseconds(500));  // until full
  const absl::Time full = kT0 + absl::Milliseconds(500);
  EXPECT_TRUE(limiter.TryTake(250, full));
  // 150 tokens of debt: the long-run rate holds, so one more token is 1.51 s away.
  EXPECT_EQ(limiter.TimeUntilAvailable(1, full), absl::Milliseconds(1510));
  EXPECT_FALSE(limiter.Allow(full + absl::Milliseconds(1500)));
  EXPECT_TRUE(limiter.Allow(full + absl::Milliseconds(1510)));
}

TEST(RateLimiterTest, RetryTimeCountsFromTheLastRefillWhenTheClockWentBack) {
  RateLimiter limiter(/*rate_per_second=*/1, /*burst=*/1, kT0);
  ASSERT_TRUE(limiter.Allow(kT0));
  EXPECT_EQ(limiter.TimeUntilAvailable(1, kT0 - absl::Seconds(5)), absl::Seconds(6));
}

TEST(RateLimiterTest, FullAtIsWhenTheBucketHasRefilled) {
  RateLimiter limiter(/*rate_per_second=*/4, /*burst=*/8, kT0);
  EXPECT_EQ(limiter.FullAt(), kT0);
  ASSERT_TRUE(limiter.TryTake(6, kT0 + absl::Seconds(1)));
  EXPECT_EQ(limiter.FullAt(), kT0 + absl::Milliseconds(2500));
  EXPECT_EQ(RateLimiter(0, 0, kT0).FullAt(), absl::InfinitePast());
}

TEST(RateLimiterTest, ZeroRateNeverWaits) {
  RateLimiter limiter(0, 0, kT0);
  EXPECT_TRUE(limiter.TryTake(1e12, kT0));
  EXPECT_EQ(limiter.TimeUntilAvailable(1e12, kT0), absl::ZeroDuration());
}

}  // namespace
}  // namespace chat
