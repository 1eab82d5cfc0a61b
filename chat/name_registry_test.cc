#include "chat/name_registry.h"

#include <algorithm>
#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "chat/name.h"
#include "chat/testing/fake_shared_names.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace chat {
namespace {

class RecordingParticipant : public Recipient {
 public:
  void DeliverPrivate(EventPtr event) override { events.push_back(event->text); }
  UserInfo Describe() const override {
    UserInfo info;
    info.name = "ignored: the registry's spelling wins";
    info.away = away;
    return info;
  }
  std::vector<std::string> events;
  std::string away;
};

EventPtr Private(std::string text) {
  return MakeEvent(Event::Kind::kPrivate, absl::UnixEpoch(), "someone", std::move(text));
}

TEST(NameRegistryTest, NamesAreUniqueUntilReleased) {
  NameRegistry names;
  RecordingParticipant a, b;
  EXPECT_TRUE(names.Claim("alice", &a));
  EXPECT_FALSE(names.Claim("alice", &b));
  // Names used to compare byte for byte and this was accepted; now it is the same name.
  EXPECT_FALSE(names.Claim("Alice", &b));
  EXPECT_TRUE(names.Claim("bob", &b));
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

// A session may hold a new name (id 0) while it checks it may have it, then rename onto
// it: the name is never free in between. Someone else's claim is no reservation.
TEST(NameRegistryTest, RenameOntoTheOwnersReservation) {
  NameRegistry names;
  RecordingParticipant a, b;
  ASSERT_TRUE(names.Claim("alice", &a, 7));
  ASSERT_TRUE(names.Claim("zed", &a));  // a's reservation
  EXPECT_FALSE(names.Claim("zed", &b));
  EXPECT_TRUE(names.Rename("alice", "zed"));
  EXPECT_EQ(names.size(), 1u);
  ASSERT_TRUE(names.FindById(7).has_value());
  EXPECT_EQ(names.FindById(7)->name, "zed");
  ASSERT_TRUE(names.Claim("bob", &b));
  EXPECT_FALSE(names.Rename("zed", "bob"));
  ASSERT_TRUE(names.Claim("carol", &b, 9));  // an id: a login, not a reservation
  ASSERT_TRUE(names.Claim("dave", &a, 0));
  EXPECT_FALSE(names.Rename("carol", "dave"));  // dave is a's, not b's
}

TEST(NameRegistryTest, LookAlikesOfAClaimedNameAreTaken) {
  NameRegistry names;
  RecordingParticipant a, b;
  ASSERT_TRUE(names.Claim("admin", &a));
  EXPECT_FALSE(names.Claim("\xD0\xB0" "dmin", &b));  // Cyrillic а
  EXPECT_FALSE(names.Claim("ADMIN", &b));
  EXPECT_FALSE(names.Claim("\xEF\xBD\x81\xEF\xBD\x84\xEF\xBD\x8D\xEF\xBD\x89\xEF\xBD\x8E",
                           &b));  // full-width ａｄｍｉｎ
  EXPECT_FALSE(names.Claim("adrnin", &b));  // rn looks like m
  ASSERT_TRUE(names.Claim("Zo\xC3\xAB", &b));
  EXPECT_FALSE(names.Claim("Zoe\xCC\x88", &a));  // the same Zoë, decomposed
  EXPECT_EQ(names.size(), 2u);
}

TEST(NameRegistryTest, ExactlyOneOfManyLookAlikesWins) {
  NameRegistry names;
  RecordingParticipant p;
  const std::vector<std::string> spellings = {"alice", "Alice", "ALICE", "\xD0\xB0lice",
                                              "al\xD1\x96" "ce", "aLiCe", "alic\xD0\xB5",
                                              "\xEF\xBD\x81lice"};
  std::atomic<int> winners = 0;
  std::vector<std::thread> threads;
  for (const std::string& spelling : spellings) {
    threads.emplace_back([&, spelling] {
      if (names.Claim(spelling, &p)) ++winners;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(winners.load(), 1);
  EXPECT_EQ(names.size(), 1u);
}

TEST(NameRegistryTest, RenameToANewSpellingOfYourOwnName) {
  NameRegistry names;
  RecordingParticipant a, b;
  ASSERT_TRUE(names.Claim("alice", &a));
  ASSERT_TRUE(names.Claim("bob", &b));
  EXPECT_TRUE(names.Rename("alice", "Alice"));
  EXPECT_FALSE(names.Rename("alice", "ALICE"));  // "alice" is no longer how it is spelled
  EXPECT_TRUE(names.Rename("Alice", "ALICE"));
  EXPECT_FALSE(names.Rename("bob", "Alice"));    // a look-alike of someone else
  EXPECT_FALSE(names.Rename("bob", "\xD0\xB0lice"));
  EXPECT_TRUE(names.Rename("bob", "BOB"));
  EXPECT_EQ(names.size(), 2u);
  names.Release("alice");  // not how it is spelled now: nothing is freed
  EXPECT_FALSE(names.Claim("alice", &b));
  names.Release("ALICE");
  EXPECT_TRUE(names.Claim("alice", &b));
}

TEST(NameRegistryTest, DeliverToFindsTheOwnerByKey) {
  NameRegistry names;
  RecordingParticipant a;
  ASSERT_TRUE(names.Claim("alice", &a));
  EXPECT_TRUE(names.DeliverTo("ALICE", Private("loud")));
  EXPECT_TRUE(names.DeliverTo("\xD0\xB0lice", Private("cyrillic")));
  EXPECT_THAT(a.events, ::testing::ElementsAre("loud", "cyrillic"));
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

TEST(NameRegistryTest, FindDescribesTheOwnerByKey) {
  NameRegistry names;
  RecordingParticipant a;
  a.away = "lunch";
  ASSERT_TRUE(names.Claim("alice", &a, /*id=*/7));
  const std::optional<UserInfo> found = names.Find("ALICE");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->name, "alice");
  EXPECT_EQ(found->id, 7u);
  EXPECT_EQ(found->away, "lunch");
  EXPECT_FALSE(found->registered);
  EXPECT_FALSE(names.Find("bob").has_value());
}

TEST(NameRegistryTest, FindByIdFollowsRenamesUntilReleased) {
  NameRegistry names;
  RecordingParticipant a, b;
  ASSERT_TRUE(names.Claim("alice", &a, 7));
  ASSERT_TRUE(names.Claim("bob", &b));  // no id: not findable by one
  EXPECT_FALSE(names.FindById(0).has_value());
  ASSERT_TRUE(names.Rename("alice", "carol"));
  ASSERT_TRUE(names.FindById(7).has_value());
  EXPECT_EQ(names.FindById(7)->name, "carol");
  ASSERT_TRUE(names.Rename("carol", "Carol"));  // a new spelling, the same key
  EXPECT_EQ(names.FindById(7)->name, "Carol");
  UserInfo to;
  EXPECT_TRUE(names.DeliverToId(7, Private("by id"), &to));
  EXPECT_EQ(to.name, "Carol");
  EXPECT_THAT(a.events, ::testing::ElementsAre("by id"));
  names.Release("Carol");
  EXPECT_FALSE(names.FindById(7).has_value());
  EXPECT_FALSE(names.DeliverToId(7, Private("gone")));
  // Someone else under the old name is someone else.
  ASSERT_TRUE(names.Claim("Carol", &b, 8));
  EXPECT_FALSE(names.FindById(7).has_value());
}

TEST(NameRegistryTest, DeliverToSaysWhoReceivedIt) {
  NameRegistry names;
  RecordingParticipant a;
  a.away = "lunch";
  ASSERT_TRUE(names.Claim("alice", &a, 7));
  UserInfo to;
  EXPECT_TRUE(names.DeliverTo("ALICE", Private("hi"), &to));
  EXPECT_EQ(to.name, "alice");
  EXPECT_EQ(to.away, "lunch");
}

using testing::FakeSharedNames;

TEST(NameRegistryTest, SharedNamesDecideAfterTheLocalClaim) {
  NameRegistry names;
  FakeSharedNames cluster;
  names.Share(&cluster);
  RecordingParticipant a, b;
  cluster.elsewhere.insert(NameKey("carol"));
  EXPECT_EQ(names.TryClaim("Carol", &a, 1), ClaimResult::kTaken);
  EXPECT_FALSE(names.Find("carol").has_value());  // undone here too
  EXPECT_FALSE(names.FindById(1).has_value());
  cluster.down = true;
  EXPECT_EQ(names.TryClaim("alice", &a, 1), ClaimResult::kUnavailable);
  EXPECT_EQ(names.size(), 0u);
  cluster.down = false;
  EXPECT_EQ(names.TryClaim("alice", &a, 1), ClaimResult::kClaimed);
  // Taken here: the cluster is not even asked.
  EXPECT_EQ(names.TryClaim("ALICE", &b, 2), ClaimResult::kTaken);
  EXPECT_THAT(cluster.Calls(), ::testing::ElementsAre("claim alice"));
  names.Release("alice");
  EXPECT_THAT(cluster.Calls(), ::testing::ElementsAre("claim alice", "release " + NameKey("alice")));
  names.Release("alice");  // not held: nothing passed on
  EXPECT_EQ(cluster.Calls().size(), 2u);
}

TEST(NameRegistryTest, SharedRenamesClaimTheNewNameFirst) {
  NameRegistry names;
  FakeSharedNames cluster;
  names.Share(&cluster);
  RecordingParticipant a;
  ASSERT_TRUE(names.Claim("alice", &a, 1));
  cluster.elsewhere.insert(NameKey("carol"));
  EXPECT_EQ(names.TryRename("alice", "carol"), ClaimResult::kTaken);
  EXPECT_EQ(names.FindById(1)->name, "alice");
  EXPECT_FALSE(names.Find("carol").has_value());
  cluster.down = true;
  EXPECT_EQ(names.TryRename("alice", "dave"), ClaimResult::kUnavailable);
  EXPECT_EQ(names.FindById(1)->name, "alice");
  // A new spelling of one's own name is one's own already.
  EXPECT_EQ(names.TryRename("alice", "Alice"), ClaimResult::kClaimed);
  cluster.down = false;
  cluster.ClearCalls();
  EXPECT_EQ(names.TryRename("Alice", "dave"), ClaimResult::kClaimed);
  EXPECT_EQ(names.FindById(1)->name, "dave");
  EXPECT_THAT(cluster.Calls(), ::testing::ElementsAre("claim dave", "release " + NameKey("alice")));
  // Onto a reservation (claimed, so the cluster holds it already): no second claim.
  ASSERT_TRUE(names.Claim("erin", &a, 0));
  cluster.ClearCalls();
  EXPECT_EQ(names.TryRename("dave", "erin"), ClaimResult::kClaimed);
  EXPECT_THAT(cluster.Calls(), ::testing::ElementsAre("release " + NameKey("dave")));
}

TEST(NameRegistryTest, DescribeAllListsUsersNotReservations) {
  NameRegistry names;
  RecordingParticipant a, b;
  a.away = "lunch";
  ASSERT_TRUE(names.Claim("Alice", &a, 1));
  ASSERT_TRUE(names.Claim("bob", &b, 2));
  ASSERT_TRUE(names.Claim("bobby", &b, 0));  // b's reservation
  std::vector<std::pair<std::string, UserInfo>> all = names.DescribeAll();
  ASSERT_EQ(all.size(), 2u);
  std::sort(all.begin(), all.end(),
            [](const auto& x, const auto& y) { return x.second.name < y.second.name; });
  EXPECT_EQ(all[0].first, NameKey("alice"));
  EXPECT_EQ(all[0].second.name, "Alice");
  EXPECT_EQ(all[0].second.away, "lunch");
  EXPECT_EQ(all[1].second.name, "bob");
}

}  // namespace
}  // namespace chat
