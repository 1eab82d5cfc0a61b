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

// Guesses checked at the same time (several connections of one address) each count
// before their hash: with one free failure, the second concurrent guess must wait.
TEST(LoginThrottleTest, ReservationsCountBeforeTheOutcome) {
  LoginThrottleOptions options;
  options.slow_after = 1;
  LoginThrottle throttle(options);
  EXPECT_TRUE(throttle.Reserve(kAddress, kT0).allowed());
  const LoginThrottle::Verdict second = throttle.Reserve(kAddress, kT0);
  EXPECT_EQ(second.kind, Kind::kWait);
  EXPECT_EQ(second.wait, absl::Seconds(1));
  // The first was wrong: the verdict for the next is the usual one.
  EXPECT_EQ(throttle.ConfirmFailure(kAddress, kT0).kind, Kind::kWait);
  EXPECT_EQ(throttle.Check(kAddress, kT0 + absl::Seconds(1)).kind, Kind::kAllow);
}

TEST(LoginThrottleTest, ARefundedReservationCostsNothingAndSuccessClearsAll) {
  LoginThrottleOptions options;
  options.slow_after = 1;
  LoginThrottle throttle(options);
  EXPECT_TRUE(throttle.Reserve(kAddress, kT0).allowed());
  throttle.Refund(kAddress);  // never checked (the server was busy)
  EXPECT_TRUE(throttle.Reserve(kAddress, kT0).allowed());
  throttle.RecordSuccess(kAddress);
  EXPECT_EQ(throttle.tracked(), 0u);
  EXPECT_TRUE(throttle.Reserve(kAddress, kT0).allowed());
}

// The lockout is decided when a failure is confirmed; meanwhile no further guess goes
// beside the one that may reach it, and the right password still wins.
TEST(LoginThrottleTest, LockoutIsDecidedByConfirmedFailures) {
  LoginThrottleOptions options;
  options.slow_after = 0;
  options.lockout_after = 2;
  LoginThrottle throttle(options);
  EXPECT_TRUE(throttle.Reserve(kAddress, kT0).allowed());
  EXPECT_TRUE(throttle.ConfirmFailure(kAddress, kT0).allowed());
  EXPECT_TRUE(throttle.Reserve(kAddress, kT0).allowed());
  EXPECT_EQ(throttle.Reserve(kAddress, kT0).kind, Kind::kWait);
  const LoginThrottle::Verdict locked = throttle.ConfirmFailure(kAddress, kT0);
  EXPECT_EQ(locked.kind, Kind::kLockedOut);
  EXPECT_EQ(locked.wait, absl::Minutes(15));
  EXPECT_EQ(throttle.Reserve(kAddress, kT0 + absl::Minutes(1)).kind, Kind::kLockedOut);

  LoginThrottle second(options);
  EXPECT_TRUE(second.Reserve(kAddress, kT0).allowed());
  EXPECT_TRUE(second.ConfirmFailure(kAddress, kT0).allowed());
  EXPECT_TRUE(second.Reserve(kAddress, kT0).allowed());
  second.RecordSuccess(kAddress);  // the second guess was right
  EXPECT_TRUE(second.Check(kAddress, kT0).allowed());
}

}  // namespace
}  // namespace chat::identity
