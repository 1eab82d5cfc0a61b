#include "chat/identity/password.h"

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace chat::identity {
namespace {

const PasswordOptions kFast = PasswordOptions::FastForTests();

TEST(PasswordTest, HashIsArgon2idWithSaltAndVerifies) {
  absl::StatusOr<std::string> hash = HashPassword("correct horse", kFast);
  ASSERT_TRUE(hash.ok()) << hash.status();
  EXPECT_TRUE(absl::StartsWith(*hash, "$argon2id$v=19$m=8,t=1,p=1$")) << *hash;
  EXPECT_FALSE(absl::StrContains(*hash, "correct horse"));
  EXPECT_TRUE(VerifyPassword("correct horse", *hash));
  EXPECT_FALSE(VerifyPassword("correct horsE", *hash));
  EXPECT_FALSE(VerifyPassword("correct horse ", *hash));
  EXPECT_FALSE(VerifyPassword("", *hash));

  // A fresh salt each time: equal passwords do not give equal hashes.
  absl::StatusOr<std::string> again = HashPassword("correct horse", kFast);
  ASSERT_TRUE(again.ok());
  EXPECT_NE(*hash, *again);
  EXPECT_TRUE(VerifyPassword("correct horse", *again));
}

// However many clients are typing passwords, no more hashes than the limit hold their
// memory at once.
TEST(PasswordTest, NoMoreHashesRunAtOnceThanTheLimit) {
  LimitConcurrentHashing(1);
  {
    std::vector<std::jthread> clients;
    for (int i = 0; i < 8; ++i) {
      clients.emplace_back([] {
        for (int n = 0; n < 5; ++n) {
          absl::StatusOr<std::string> hash = HashPassword("correct horse", kFast);
          ASSERT_TRUE(hash.ok());
          EXPECT_TRUE(VerifyPassword("correct horse", *hash));
        }
      });
    }
  }
  EXPECT_EQ(PeakConcurrentHashes(), 1);
  LimitConcurrentHashing(2);
}

// Waits (politely) until `slots` has `n` callers queued.
void AwaitWaiting(const HashingSlots& slots, int n) {
  while (slots.waiting() != n) absl::SleepFor(absl::Milliseconds(1));
}

// A client that gives its slot back and asks again at once (a /register or login loop)
// queues behind whoever was already waiting: it cannot keep the slot to itself.
TEST(HashingSlotsTest, FirstComeFirstServed) {
  HashingSlots slots(1, absl::ZeroDuration());
  ASSERT_TRUE(slots.Acquire());
  absl::Mutex mu;
  std::vector<std::string> order;
  std::jthread waiter([&] {
    ASSERT_TRUE(slots.Acquire());
    {
      absl::MutexLock lock(&mu);
      order.push_back("waiter");
    }
    slots.Release();
  });
  AwaitWaiting(slots, 1);
  for (int round = 0; round < 20; ++round) {  // the hog, again and again
    slots.Release();
    ASSERT_TRUE(slots.Acquire());
    absl::MutexLock lock(&mu);
    order.push_back("hog");
  }
  slots.Release();
  waiter.join();
  ASSERT_FALSE(order.empty());
  EXPECT_EQ(order.front(), "waiter");
}

// A caller gives up after the wait limit; its place in the queue holds up nobody after.
TEST(HashingSlotsTest, BoundedWaitGivesUpAndLeavesTheQueue) {
  HashingSlots slots(1, absl::Milliseconds(1));
  ASSERT_TRUE(slots.Acquire());
  EXPECT_FALSE(slots.Acquire());  // the only slot is held throughout
  EXPECT_EQ(slots.waiting(), 0);
  // Unbounded callers (tools) still wait their turn.
  std::jthread patient([&] {
    ASSERT_TRUE(slots.Acquire(/*bounded=*/false));
    slots.Release();
  });
  AwaitWaiting(slots, 1);
  slots.Release();
  patient.join();
  ASSERT_TRUE(slots.Acquire());
  slots.Release();
  EXPECT_EQ(slots.peak(), 1);
}

// When the process-wide slots are all taken for longer than the wait limit, hashing and
// checking say "busy" (DeadlineExceeded) and do nothing.
TEST(PasswordTest, BusySlotsAreReportedNotWaitedForForever) {
  absl::StatusOr<std::string> hash = HashPassword("correct horse", kFast);
  ASSERT_TRUE(hash.ok());
  LimitConcurrentHashing(1);
  LimitHashingWait(absl::Milliseconds(1));
  ASSERT_TRUE(HashingSlots::Global().Acquire());
  EXPECT_TRUE(absl::IsDeadlineExceeded(HashPassword("correct horse", kFast).status()));
  EXPECT_TRUE(absl::IsDeadlineExceeded(TryVerifyPassword("correct horse", *hash).status()));
  HashingSlots::Global().Release();
  EXPECT_EQ(TryVerifyPassword("correct horse", *hash).value_or(false), true);
  EXPECT_EQ(TryVerifyPassword("correct horsE", *hash).value_or(true), false);
  LimitHashingWait(absl::Seconds(10));
  LimitConcurrentHashing(2);
}

TEST(PasswordTest, AnyBytesArePartOfThePassword) {
  const std::string with_nul("pass\0word", 9);
  absl::StatusOr<std::string> hash = HashPassword(with_nul, kFast);
  ASSERT_TRUE(hash.ok());
  EXPECT_TRUE(VerifyPassword(with_nul, *hash));
  EXPECT_FALSE(VerifyPassword("pass", *hash));
}

TEST(PasswordTest, OverlongPasswordsNeverVerifyAndCostNoHash) {
  const std::string overlong(kMaxPasswordBytes + 1, 'x');
  // HashPassword does not check lengths; an account made this way is still refused.
  absl::StatusOr<std::string> hash = HashPassword(overlong, kFast);
  ASSERT_TRUE(hash.ok()) << hash.status();
  LimitConcurrentHashing(2);  // also restarts PeakConcurrentHashes()
  EXPECT_FALSE(VerifyPassword(overlong, *hash));
  absl::StatusOr<bool> tried = TryVerifyPassword(std::string(64 * 1024, 'x'), *hash);
  ASSERT_TRUE(tried.ok()) << tried.status();
  EXPECT_FALSE(*tried);
  EXPECT_EQ(PeakConcurrentHashes(), 0);
  const std::string longest(kMaxPasswordBytes, 'x');
  absl::StatusOr<std::string> longest_hash = HashPassword(longest, kFast);
  ASSERT_TRUE(longest_hash.ok()) << longest_hash.status();
  EXPECT_TRUE(VerifyPassword(longest, *longest_hash));
}

TEST(PasswordTest, MalformedHashesNeverVerify) {
  for (const std::string& bad :
       {std::string(), std::string("$argon2id$"), std::string("plaintext"),
        std::string(200, 'x'), std::string("$argon2id$v=19$m=8,t=1,p=1$\0", 28)}) {
    EXPECT_FALSE(VerifyPassword("plaintext", bad));
    EXPECT_TRUE(NeedsRehash(bad, kFast));
  }
}

TEST(PasswordTest, NeedsRehashWhenCostsChange) {
  absl::StatusOr<std::string> hash = HashPassword("correct horse", kFast);
  ASSERT_TRUE(hash.ok());
  EXPECT_FALSE(NeedsRehash(*hash, kFast));
  EXPECT_TRUE(NeedsRehash(*hash, PasswordOptions::Interactive()));
  PasswordOptions more_ops = kFast;
  more_ops.ops_limit += 1;
  EXPECT_TRUE(NeedsRehash(*hash, more_ops));
}

// One hash with the real costs, to know that the default is usable (it takes ~0.1 s).
TEST(PasswordTest, InteractiveCostsWork) {
  absl::StatusOr<std::string> hash = HashPassword("correct horse", PasswordOptions::Interactive());
  ASSERT_TRUE(hash.ok()) << hash.status();
  EXPECT_TRUE(absl::StartsWith(*hash, "$argon2id$v=19$m=19456,t=2,p=1$")) << *hash;
  EXPECT_TRUE(VerifyPassword("correct horse", *hash));
  EXPECT_FALSE(NeedsRehash(*hash, PasswordOptions::Interactive()));
}

TEST(PasswordTest, CostsOutOfRangeAreAnError) {
  PasswordOptions broken = kFast;
  broken.ops_limit = 0;
  EXPECT_FALSE(HashPassword("correct horse", broken).ok());
}

TEST(ValidatePasswordTest, LengthOnly) {
  EXPECT_EQ(ValidatePassword("short"), "Password is too short (at least 8 bytes).");
  EXPECT_EQ(ValidatePassword("1234567"), "Password is too short (at least 8 bytes).");
  EXPECT_EQ(ValidatePassword("12345678"), std::nullopt);
  EXPECT_EQ(ValidatePassword("with spaces ok"), std::nullopt);
  EXPECT_EQ(ValidatePassword(std::string(256, 'a')), std::nullopt);
  EXPECT_EQ(ValidatePassword(std::string(257, 'a')),
            "Password is too long (at most 256 bytes).");
}

}  // namespace
}  // namespace chat::identity
