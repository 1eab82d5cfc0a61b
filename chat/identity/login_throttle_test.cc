#include "chat/identity/login_throttle.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace chat::identity {
namespace {

using Kind = LoginThrottle::Verdict::Kind;

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);
constexpr char kAddress[] = "198.51.100.7";

TEST(LoginThrottleTest, FirstFailuresAreFreeThenDelaysDouble) {
  LoginThrottle throttle;  // defaults: 3 free, 1 s doubling to 60 s, 10 -> 15 min lockout
  absl::Time now = kT0;
  EXPECT_TRUE(throttle.Check(kAddress, now).allowed());
  EXPECT_TRUE(throttle.RecordFailure(kAddress, now).allowed());
  EXPECT_TRUE(throttle.RecordFailure(kAddress, now).allowed());
  // The third failure: the next attempt waits 1 s.
  LoginThrottle::Verdict verdict = throttle.RecordFailure(kAddress, now);
  EXPECT_EQ(verdict.kind, Kind::kWait);
  EXPECT_EQ(verdict.wait, absl::Seconds(1));
  EXPECT_EQ(throttle.Check(kAddress, now + absl::Milliseconds(400)).wait,
            absl::Milliseconds(600));
  now += absl::Seconds(1);
  EXPECT_TRUE(throttle.Check(kAddress, now).allowed());
  // Each further failure doubles the wait: 2, 4, 8, 16, 32 s.
  for (int seconds : {2, 4, 8, 16, 32}) {
    verdict = throttle.RecordFailure(kAddress, now);
    EXPECT_EQ(verdict.kind, Kind::kWait);
    EXPECT_EQ(verdict.wait, absl::Seconds(seconds));
    now += verdict.wait;
    EXPECT_TRUE(throttle.Check(kAddress, now).allowed());
  }
  // Another address is not affected.
  EXPECT_TRUE(throttle.Check("198.51.100.8", now).allowed());
}

TEST(LoginThrottleTest, DelayIsCapped) {
  LoginThrottleOptions options;
  options.lockout_after = 0;
  options.window = absl::Hours(24 * 365);
  LoginThrottle throttle(options);
  absl::Time now = kT0;
  LoginThrottle::Verdict verdict;
  for (int i = 0; i < 100; ++i) {
    verdict = throttle.RecordFailure(kAddress, now);
    now += verdict.wait;
  }
  EXPECT_EQ(verdict.kind, Kind::kWait);
  EXPECT_EQ(verdict.wait, absl::Seconds(60));
}

TEST(LoginThrottleTest, LockoutAfterTenFailuresInTheWindow) {
  LoginThrottle throttle;
  absl::Time now = kT0;
  LoginThrottle::Verdict verdict;
  for (int i = 0; i < 9; ++i) {
    verdict = throttle.RecordFailure(kAddress, now);
    ASSERT_NE(verdict.kind, Kind::kLockedOut) << i;
    now += verdict.wait;
  }
  verdict = throttle.RecordFailure(kAddress, now);
  EXPECT_EQ(verdict.kind, Kind::kLockedOut);
  EXPECT_EQ(verdict.wait, absl::Minutes(15));
  EXPECT_EQ(throttle.Check(kAddress, now + absl::Minutes(14)).kind, Kind::kLockedOut);
  EXPECT_EQ(throttle.Check(kAddress, now + absl::Minutes(14)).wait, absl::Minutes(1));
  // After the lockout the address starts over with its free attempts.
  now += absl::Minutes(15);
  EXPECT_TRUE(throttle.Check(kAddress, now).allowed());
  EXPECT_TRUE(throttle.RecordFailure(kAddress, now).allowed());
}

TEST(LoginThrottleTest, FailuresOutsideTheWindowAreForgotten) {
  LoginThrottle throttle;
  absl::Time now = kT0;
  throttle.RecordFailure(kAddress, now);
  throttle.RecordFailure(kAddress, now);
  now += absl::Minutes(15);
  // Two more, a window later: still within the free three.
  EXPECT_TRUE(throttle.RecordFailure(kAddress, now).allowed());
  EXPECT_TRUE(throttle.RecordFailure(kAddress, now).allowed());
  EXPECT_EQ(throttle.RecordFailure(kAddress, now).kind, Kind::kWait);
}

TEST(LoginThrottleTest, SuccessResets) {
  LoginThrottle throttle;
  for (int i = 0; i < 3; ++i) throttle.RecordFailure(kAddress, kT0);
  EXPECT_EQ(throttle.Check(kAddress, kT0).kind, Kind::kWait);
  throttle.RecordSuccess(kAddress);
  EXPECT_TRUE(throttle.Check(kAddress, kT0).allowed());
  EXPECT_EQ(throttle.tracked(), 0u);
  EXPECT_TRUE(throttle.RecordFailure(kAddress, kT0).allowed());
}

TEST(LoginThrottleTest, ZeroTurnsLimitsOff) {
  LoginThrottleOptions options;
  options.slow_after = 0;
  options.lockout_after = 0;
  LoginThrottle throttle(options);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(throttle.RecordFailure(kAddress, kT0).allowed()) << i;
  }
  EXPECT_TRUE(throttle.Check(kAddress, kT0).allowed());

  LoginThrottleOptions lockout_only;
  lockout_only.slow_after = 0;
  lockout_only.lockout_after = 2;
  LoginThrottle strict(lockout_only);
  EXPECT_TRUE(strict.RecordFailure(kAddress, kT0).allowed());
  EXPECT_EQ(strict.RecordFailure(kAddress, kT0).kind, Kind::kLockedOut);
}

TEST(LoginThrottleTest, MemoryIsBoundedOldestForgottenFirst) {
  LoginThrottleOptions options;
  options.max_tracked = 3;
  LoginThrottle throttle(options);
  for (int i = 0; i < 3; ++i) throttle.RecordFailure("a", kT0);  // "a" is waiting
  throttle.RecordFailure("b", kT0);
  throttle.RecordFailure("c", kT0);
  throttle.RecordFailure("a", kT0 + absl::Seconds(1));  // "a" is now the most recent
  throttle.RecordFailure("d", kT0 + absl::Seconds(1));  // forgets "b", the oldest
  EXPECT_EQ(throttle.tracked(), 3u);
  EXPECT_EQ(throttle.Check("a", kT0 + absl::Seconds(1)).kind, Kind::kWait);
  for (int i = 0; i < 1000; ++i) throttle.RecordFailure(absl::StrCat("10.0.", i), kT0);
  EXPECT_EQ(throttle.tracked(), 3u);
}

TEST(LoginThrottleTest, IdleEntriesAreDropped) {
  LoginThrottle throttle;
  throttle.RecordFailure(kAddress, kT0);
  EXPECT_EQ(throttle.tracked(), 1u);
  EXPECT_TRUE(throttle.Check(kAddress, kT0 + absl::Minutes(15)).allowed());
  EXPECT_EQ(throttle.tracked(), 0u);
}

}  // namespace
}  // namespace chat::identity
