#include "chat/admission_gate.h"

#include <atomic>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace chat {
namespace {

TEST(AdmissionGateTest, AdmitsUpToCapacity) {
  AdmissionGate gate(3);
  EXPECT_TRUE(gate.Acquire());
  EXPECT_TRUE(gate.Acquire());
  EXPECT_TRUE(gate.Acquire());
  EXPECT_EQ(gate.in_use(), 3);
  EXPECT_FALSE(gate.blocked());
}

TEST(AdmissionGateTest, FullGateBlocksUntilASlotIsReleased) {
  AdmissionGate gate(1);
  ASSERT_TRUE(gate.Acquire());
  std::atomic<bool> admitted = false;
  std::jthread second([&] {
    EXPECT_TRUE(gate.Acquire());
    admitted = true;
  });
  // The gate reports the acceptor as blocked; it cannot have been admitted yet.
  ASSERT_TRUE(gate.AwaitBlocked(absl::Seconds(30)));
  EXPECT_FALSE(admitted.load());
  gate.Release();
  second.join();
  EXPECT_TRUE(admitted.load());
  EXPECT_EQ(gate.in_use(), 1);
}

TEST(AdmissionGateTest, CloseWakesABlockedAcquire) {
  AdmissionGate gate(1);
  ASSERT_TRUE(gate.Acquire());
  std::jthread waiter([&] { EXPECT_FALSE(gate.Acquire()); });
  ASSERT_TRUE(gate.AwaitBlocked(absl::Seconds(30)));
  gate.Close();
  waiter.join();
  EXPECT_FALSE(gate.Acquire());
  EXPECT_EQ(gate.in_use(), 1);
}

TEST(AdmissionGateTest, ReportsWhenItBlocksAndUnblocks) {
  std::vector<bool> reports;  // written under the gate's lock, read after the join
  AdmissionGate gate(1, [&](bool blocked) { reports.push_back(blocked); });
  ASSERT_TRUE(gate.Acquire());
  std::jthread second([&] { EXPECT_TRUE(gate.Acquire()); });
  ASSERT_TRUE(gate.AwaitBlocked(absl::Seconds(30)));
  gate.Release();
  second.join();
  EXPECT_EQ(reports, (std::vector<bool>{true, false}));
}

TEST(AdmissionGateTest, AwaitAllReleased) {
  AdmissionGate gate(2);
  ASSERT_TRUE(gate.Acquire());
  EXPECT_FALSE(gate.AwaitAllReleased(absl::ZeroDuration()));
  std::thread releaser([&] { gate.Release(); });
  EXPECT_TRUE(gate.AwaitAllReleased(absl::InfiniteDuration()));
  releaser.join();
}

}  // namespace
}  // namespace chat
