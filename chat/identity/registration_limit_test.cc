#include "chat/identity/registration_limit.h"

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace chat::identity {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

TEST(RegistrationLimitTest, AFewADayPerAddress) {
  RegistrationLimit limit({/*per_day=*/3, /*max_tracked=*/100});
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limit.TryTake("192.0.2.1", kT0));
  absl::Duration wait;
  EXPECT_FALSE(limit.TryTake("192.0.2.1", kT0, &wait));
  EXPECT_EQ(wait, absl::Hours(8));  // one refills every 24h / 3
  EXPECT_EQ(limit.Wait("192.0.2.1", kT0 + absl::Hours(2)), absl::Hours(6));
  EXPECT_EQ(limit.Wait("192.0.2.2", kT0), absl::ZeroDuration());  // another address
  EXPECT_TRUE(limit.TryTake("192.0.2.2", kT0));
  EXPECT_TRUE(limit.TryTake("192.0.2.1", kT0 + absl::Hours(8)));
  EXPECT_FALSE(limit.TryTake("192.0.2.1", kT0 + absl::Hours(8)));
}

TEST(RegistrationLimitTest, ARefundedRegistrationCanBeMadeAgain) {
  RegistrationLimit limit({/*per_day=*/2, /*max_tracked=*/100});
  EXPECT_TRUE(limit.TryTake("192.0.2.1", kT0));
  EXPECT_TRUE(limit.TryTake("192.0.2.1", kT0));
  EXPECT_FALSE(limit.TryTake("192.0.2.1", kT0));
  limit.Refund("192.0.2.1");
  EXPECT_TRUE(limit.TryTake("192.0.2.1", kT0));
  EXPECT_FALSE(limit.TryTake("192.0.2.1", kT0));
  // Refunds never fill a bucket beyond its size, nor make up an address.
  for (int i = 0; i < 5; ++i) limit.Refund("192.0.2.1");
  limit.Refund("192.0.2.9");
  EXPECT_TRUE(limit.TryTake("192.0.2.1", kT0));
  EXPECT_TRUE(limit.TryTake("192.0.2.1", kT0));
  EXPECT_FALSE(limit.TryTake("192.0.2.1", kT0));
  EXPECT_EQ(limit.tracked(), 1u);
}

TEST(RegistrationLimitTest, ZeroIsOff) {
  RegistrationLimit limit({/*per_day=*/0, /*max_tracked=*/100});
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(limit.TryTake("192.0.2.1", kT0));
  EXPECT_EQ(limit.Wait("192.0.2.1", kT0), absl::ZeroDuration());
  EXPECT_EQ(limit.tracked(), 0u);
}

TEST(RegistrationLimitTest, RemembersABoundedNumberOfAddresses) {
  RegistrationLimit limit({/*per_day=*/1, /*max_tracked=*/2});
  EXPECT_TRUE(limit.TryTake("192.0.2.1", kT0));
  EXPECT_TRUE(limit.TryTake("192.0.2.2", kT0));
  EXPECT_TRUE(limit.TryTake("192.0.2.3", kT0));
  EXPECT_EQ(limit.tracked(), 2u);
  // Buckets full again are the first to go.
  EXPECT_TRUE(limit.TryTake("192.0.2.4", kT0 + absl::Hours(24)));
  EXPECT_EQ(limit.tracked(), 1u);
}

}  // namespace
}  // namespace chat::identity
