#include "chat/moderation.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace chat {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

TEST(MuteListTest, AMuteLastsUntilItsEndOrItsRemoval) {
  MuteList mutes(10);
  ASSERT_EQ(mutes.Add("bob", Mute{"Bob", kNow + absl::Minutes(10), "alice", ""}, kNow),
            MuteList::AddResult::kAdded);
  ASSERT_TRUE(mutes.Find("bob", kNow + absl::Minutes(9)).has_value());
  EXPECT_EQ(mutes.Find("bob", kNow)->by, "alice");
  EXPECT_FALSE(mutes.Find("bob", kNow + absl::Minutes(10)).has_value());
  EXPECT_FALSE(mutes.Find("carol", kNow).has_value());
  EXPECT_TRUE(mutes.Remove("bob", kNow));
  EXPECT_FALSE(mutes.Find("bob", kNow).has_value());
  EXPECT_FALSE(mutes.Remove("bob", kNow));
}

TEST(MuteListTest, FullOnlyOfMutesInForce) {
  MuteList mutes(2);
  ASSERT_EQ(mutes.Add("a", Mute{"a", kNow + absl::Minutes(1), "op", ""}, kNow),
            MuteList::AddResult::kAdded);
  ASSERT_EQ(mutes.Add("b", Mute{"b", absl::InfiniteFuture(), "op", ""}, kNow),
            MuteList::AddResult::kAdded);
  EXPECT_EQ(mutes.Add("c", Mute{"c", absl::InfiniteFuture(), "op", ""}, kNow),
            MuteList::AddResult::kFull);
  // Re-muting one already there needs no room.
  EXPECT_EQ(mutes.Add("b", Mute{"b", kNow + absl::Hours(1), "op", ""}, kNow),
            MuteList::AddResult::kAdded);
  // Once a's mute has ended, its place is free.
  EXPECT_EQ(mutes.Add("c", Mute{"c", absl::InfiniteFuture(), "op", ""}, kNow + absl::Minutes(2)),
            MuteList::AddResult::kAdded);
  EXPECT_TRUE(mutes.Find("c", kNow + absl::Minutes(2)).has_value());
}

TEST(MuteListTest, ListsMutesInForceSoonestToEndFirst) {
  MuteList mutes(10);
  ASSERT_EQ(mutes.Add("c", Mute{"c", absl::InfiniteFuture(), "op", "spam"}, kNow),
            MuteList::AddResult::kAdded);
  ASSERT_EQ(mutes.Add("b", Mute{"b", kNow + absl::Hours(1), "op", ""}, kNow),
            MuteList::AddResult::kAdded);
  ASSERT_EQ(mutes.Add("a", Mute{"a", kNow + absl::Minutes(1), "op", ""}, kNow),
            MuteList::AddResult::kAdded);
  std::vector<Mute> listed = mutes.List(kNow);
  ASSERT_EQ(listed.size(), 3u);
  EXPECT_EQ(listed[0].name, "a");
  EXPECT_EQ(listed[1].name, "b");
  EXPECT_EQ(listed[2].name, "c");
  EXPECT_EQ(listed[2].reason, "spam");
  EXPECT_EQ(mutes.List(kNow + absl::Minutes(1)).size(), 2u);  // a's has ended
}

TEST(MuteListTest, ZeroMeansNoBound) {
  MuteList mutes(0);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(mutes.Add(std::to_string(i), Mute{"x", absl::InfiniteFuture(), "op", ""}, kNow),
              MuteList::AddResult::kAdded);
  }
  EXPECT_EQ(mutes.List(kNow).size(), 100u);
}

TEST(ModerationTest, FlagOperatorsByKey) {
  Moderation moderation({"alice"}, 10);
  EXPECT_TRUE(moderation.IsFlagOperator("alice"));
  EXPECT_FALSE(moderation.IsFlagOperator("bob"));
}

TEST(AddressArgumentKeyTest, AddressesAndNames) {
  EXPECT_EQ(AddressArgumentKey("192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(AddressArgumentKey("2001:db8:1:2:3:4:5:6"), AddressArgumentKey("2001:db8:1:2::9"));
  EXPECT_TRUE(AddressArgumentKey("2001:db8::1").has_value());
  EXPECT_FALSE(AddressArgumentKey("bob").has_value());
  EXPECT_FALSE(AddressArgumentKey("1.2.3").has_value());
}

}  // namespace
}  // namespace chat
