#include "chat/core/render_cache.h"

#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace chat {
namespace {

const char kJson = 0;  // a renderer kind's key: any unique address
const char kOther = 0;

// The first drawing stays; another key or context finds nothing and keeps nothing.
TEST(RenderCacheTest, KeepsTheFirstDrawingForItsKeyAndContext) {
  RenderCache cache;
  EXPECT_EQ(cache.Find(&kJson, "general"), nullptr);
  cache.Keep(&kJson, "general", "first");
  cache.Keep(&kJson, "general", "second");
  cache.Keep(&kJson, "dev", "{dev}");
  ASSERT_NE(cache.Find(&kJson, "general"), nullptr);
  EXPECT_EQ(*cache.Find(&kJson, "general"), "first");
  EXPECT_EQ(cache.Find(&kOther, "general"), nullptr);
  EXPECT_EQ(cache.Find(&kJson, "dev"), nullptr);
}

TEST(RenderCacheTest, ACopyStartsEmpty) {
  RenderCache cache;
  cache.Keep(&kJson, "general", "bytes");
  const RenderCache copy(cache);
  EXPECT_EQ(copy.Find(&kJson, "general"), nullptr);
  RenderCache assigned;
  assigned = cache;
  EXPECT_EQ(assigned.Find(&kJson, "general"), nullptr);
  EXPECT_NE(cache.Find(&kJson, "general"), nullptr);
}

// Many writers drawing the same event at once: exactly one drawing is kept, and every
// reader sees it whole (TSan checks the publication).
TEST(RenderCacheTest, WritersRacingToKeepAllSeeOneWholeDrawing) {
  for (int round = 0; round < 20; ++round) {
    RenderCache cache;
    constexpr int kThreads = 8;
    std::vector<std::string> seen(kThreads);
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&cache, &seen, i] {
        const std::string mine = "drawing " + std::to_string(i) + std::string(100, 'x');
        if (cache.Find(&kJson, "general") == nullptr) cache.Keep(&kJson, "general", mine);
        seen[i] = *cache.Find(&kJson, "general");
      });
    }
    for (std::thread& thread : threads) thread.join();
    for (const std::string& bytes : seen) EXPECT_EQ(bytes, seen[0]);
    EXPECT_EQ(seen[0].size(), std::string("drawing 0").size() + 100);
  }
}

}  // namespace
}  // namespace chat
