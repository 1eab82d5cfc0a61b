#include "chat/name_registry.h"

#include <atomic>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace chat {
namespace {

TEST(NameRegistryTest, NamesAreUniqueUntilReleased) {
  NameRegistry names;
  EXPECT_TRUE(names.Claim("alice"));
  EXPECT_FALSE(names.Claim("alice"));
  EXPECT_TRUE(names.Claim("Alice"));  // byte-exact comparison
  names.Release("alice");
  EXPECT_TRUE(names.Claim("alice"));
  EXPECT_EQ(names.size(), 2u);
}

TEST(NameRegistryTest, ExactlyOneConcurrentClaimWins) {
  NameRegistry names;
  std::atomic<int> winners = 0;
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      if (names.Claim("popular")) ++winners;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(winners.load(), 1);
}

}  // namespace
}  // namespace chat
