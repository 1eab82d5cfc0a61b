#include "chat/name_registry.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace chat {
namespace {

class RecordingParticipant : public Recipient {
 public:
  void DeliverPrivate(EventPtr event) override { events.push_back(event->text); }
  std::vector<std::string> events;
};

EventPtr Private(std::string text) {
  return MakeEvent(Event::Kind::kPrivate, absl::UnixEpoch(), "someone", std::move(text));
}

TEST(NameRegistryTest, NamesAreUniqueUntilReleased) {
  NameRegistry names;
  RecordingParticipant a, b;
  EXPECT_TRUE(names.Claim("alice", &a));
  EXPECT_FALSE(names.Claim("alice", &b));
  EXPECT_TRUE(names.Claim("Alice", &b));  // byte-exact comparison
  names.Release("alice");
  EXPECT_TRUE(names.Claim("alice", &a));
  EXPECT_EQ(names.size(), 2u);
}

TEST(NameRegistryTest, ExactlyOneConcurrentClaimWins) {
  NameRegistry names;
  RecordingParticipant p;
  std::atomic<int> winners = 0;
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      if (names.Claim("popular", &p)) ++winners;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(winners.load(), 1);
}

TEST(NameRegistryTest, RenameIsAtomicAndRefusesTakenNames) {
  NameRegistry names;
  RecordingParticipant a, b;
  ASSERT_TRUE(names.Claim("alice", &a));
  ASSERT_TRUE(names.Claim("bob", &b));
  EXPECT_FALSE(names.Rename("alice", "bob"));
  EXPECT_TRUE(names.Rename("alice", "carol"));
  EXPECT_TRUE(names.Claim("alice", &b));  // the old name is free again
  EXPECT_TRUE(names.DeliverTo("carol", Private("to carol")));
  EXPECT_THAT(a.events, ::testing::ElementsAre("to carol"));
  EXPECT_FALSE(names.Rename("nobody", "dave"));
}

TEST(NameRegistryTest, DeliverToFindsTheOwner) {
  NameRegistry names;
  RecordingParticipant a;
  ASSERT_TRUE(names.Claim("alice", &a));
  EXPECT_TRUE(names.DeliverTo("alice", Private("psst")));
  EXPECT_FALSE(names.DeliverTo("bob", Private("lost")));
  names.Release("alice");
  EXPECT_FALSE(names.DeliverTo("alice", Private("gone")));
  EXPECT_THAT(a.events, ::testing::ElementsAre("psst"));
}

}  // namespace
}  // namespace chat
