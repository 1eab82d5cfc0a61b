#include "chat/cluster/presence.h"

#include <hiredis/hiredis.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "chat/cluster/keys.h"
#include "chat/cluster/stream_codec.h"
#include "chat/name.h"
#include "chat/testing/fake_clock.h"
#include "chat/testing/presence_user.h"
#include "chat/testing/redis_server.h"
#include "gtest/gtest.h"

namespace chat::cluster {
namespace {

using testing::Alice;
const absl::Time kStart = testing::kPresenceStart;

class PresenceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start().ok());
    raw_ = std::make_unique<RedisConnection>(RedisAddress{"127.0.0.1", redis_.port()},
                                             absl::Seconds(2));
    ASSERT_TRUE(raw_->Connect().ok());
  }

  std::unique_ptr<Presence> Make(const std::string& id, absl::Duration lease = absl::Seconds(60)) {
    PresenceOptions options;
    options.address = {"127.0.0.1", redis_.port()};
    options.instance_id = id;
    options.timeout = absl::Seconds(2);
    options.lease = lease;
    options.clock = &clock_;
    return std::make_unique<Presence>(options);
  }

  std::string Get(const std::string& key) {
    absl::StatusOr<ReplyPtr> reply = raw_->Command({"GET", key});
    return reply.ok() ? std::string(ReplyText(**reply)) : "<error>";
  }
  long long Integer(const std::vector<std::string>& argv) {
    absl::StatusOr<ReplyPtr> reply = raw_->Command(argv);
    return reply.ok() ? (*reply)->integer : -2;
  }

  testing::RedisServer redis_;
  std::unique_ptr<RedisConnection> raw_;  // the test's own view of Redis
  testing::FakeClock clock_{kStart};
};

TEST_F(PresenceTest, ANameHeldByOneInstanceIsTakenForAnother) {
  auto a = Make("a");
  auto b = Make("b");
  const std::string key = NameKey("alice");
  EXPECT_EQ(a->Claim(key, "alice"), ClaimResult::kClaimed);
  EXPECT_EQ(Get(NameLeaseKey(key)), "a");
  EXPECT_EQ(b->Claim(key, "ALICE"), ClaimResult::kTaken);
  EXPECT_EQ(a->held(), 1u);
  EXPECT_EQ(b->held(), 0u);

  a->Release(key);
  EXPECT_EQ(a->held(), 0u);
  EXPECT_EQ(Integer({"EXISTS", NameLeaseKey(key)}), 0);
  EXPECT_EQ(b->Claim(key, "ALICE"), ClaimResult::kClaimed);
  EXPECT_EQ(Get(NameLeaseKey(key)), "b");
}

TEST_F(PresenceTest, ALateReleaseNeverFreesSomeoneElsesName) {
  auto a = Make("a");
  const std::string key = NameKey("alice");
  ASSERT_EQ(a->Claim(key, "alice"), ClaimResult::kClaimed);
  // a's lease ran out in an outage and b took the name lawfully.
  ASSERT_TRUE(raw_->Command({"SET", NameLeaseKey(key), "b"}).ok());
  a->Release(key);
  EXPECT_EQ(Get(NameLeaseKey(key)), "b");
}

TEST_F(PresenceTest, RedisUnreachableRefusesTheClaim) {
  auto a = Make("a");
  ASSERT_EQ(a->Claim(NameKey("bob"), "bob"), ClaimResult::kClaimed);  // pools a connection
  redis_.Stop();
  EXPECT_EQ(a->Claim(NameKey("alice"), "alice"), ClaimResult::kUnavailable);
  EXPECT_FALSE(a->Beat());
  SharedNames::Listing listing = a->ListElsewhere();
  EXPECT_TRUE(listing.unavailable);

  // Back (empty: a restart without persistence): the stale pooled connection is replaced
  // and the heartbeat takes back what it held.
  ASSERT_TRUE(redis_.Restart().ok());
  ASSERT_TRUE(raw_->Connect().ok());
  EXPECT_EQ(a->Claim(NameKey("alice"), "alice"), ClaimResult::kClaimed);
  EXPECT_EQ(Integer({"EXISTS", NameLeaseKey(NameKey("bob"))}), 0);
  EXPECT_TRUE(a->Beat());
  EXPECT_EQ(Get(NameLeaseKey(NameKey("bob"))), "a");
  EXPECT_EQ(Get(InstanceKey("a")), "a");
}

TEST_F(PresenceTest, TheHeartbeatRenewsLeasesAndTheInstance) {
  auto a = Make("a", absl::Seconds(60));
  const std::string key = NameKey("alice");
  ASSERT_EQ(a->Claim(key, "alice"), ClaimResult::kClaimed);
  ASSERT_EQ(Integer({"PEXPIRE", NameLeaseKey(key), "5000"}), 1);
  ASSERT_TRUE(a->Beat());
  EXPECT_GT(Integer({"PTTL", NameLeaseKey(key)}), 5000);
  EXPECT_GT(Integer({"PTTL", InstanceKey("a")}), 5000);
  EXPECT_EQ(Integer({"SISMEMBER", InstancesKey(), "a"}), 1);
  // Stopping says goodbye: no heartbeat, no presence, nothing for anyone to reap.
  a->Stop();
  EXPECT_EQ(Integer({"EXISTS", InstanceKey("a")}), 0);
  EXPECT_EQ(Integer({"SISMEMBER", InstancesKey(), "a"}), 0);
}

TEST_F(PresenceTest, ANameTakenElsewhereSinceAnOutageIsLostHere) {
  auto a = Make("a");
  std::vector<std::string> lost;
  a->Start(nullptr, [&](const std::string& name) { lost.push_back(name); });
  const std::string key = NameKey("Alice");
  ASSERT_EQ(a->Claim(key, "Alice"), ClaimResult::kClaimed);
  ASSERT_TRUE(raw_->Command({"SET", NameLeaseKey(key), "b"}).ok());
  ASSERT_TRUE(a->Beat());
  EXPECT_EQ(lost, std::vector<std::string>{"Alice"});
  EXPECT_EQ(a->held(), 0u);
  EXPECT_EQ(Get(NameLeaseKey(key)), "b");
  ASSERT_TRUE(a->Beat());
  EXPECT_EQ(lost.size(), 1u);  // once
}

TEST_F(PresenceTest, OthersSeeWhoIsWhere) {
  auto a = Make("a");
  auto b = Make("b");
  ASSERT_TRUE(a->Beat());
  ASSERT_TRUE(b->Beat());
  const std::string key = NameKey("Alice");
  ASSERT_EQ(a->Claim(key, "Alice"), ClaimResult::kClaimed);
  a->Publish(key, Alice());

  SharedNames::Listing listing = b->ListElsewhere();
  EXPECT_FALSE(listing.unavailable);
  EXPECT_FALSE(listing.truncated);
  ASSERT_EQ(listing.users.size(), 1u);
  EXPECT_EQ(listing.users[0].name, "Alice");
  EXPECT_EQ(listing.users[0].room, "general");
  EXPECT_TRUE(a->ListElsewhere().users.empty());  // not itself

  std::optional<UserInfo> found = b->FindElsewhere(NameKey("ALICE"));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->name, "Alice");
  EXPECT_EQ(found->away, "lunch");
  EXPECT_FALSE(a->FindElsewhere(key).has_value());  // its own are found in its registry
  EXPECT_FALSE(b->FindElsewhere(NameKey("bob")).has_value());

  // A record filed under another name's key is nobody's.
  ASSERT_TRUE(raw_->Command({"SET", NameLeaseKey(NameKey("mallory")), "a"}).ok());
  ASSERT_TRUE(raw_->Command({"HSET", PresenceKey("a"), NameKey("mallory"),
                            EncodePresence(Alice())}).ok());
  EXPECT_FALSE(b->FindElsewhere(NameKey("mallory")).has_value());

  // Gone from the listing with the name.
  a->Release(key);
  EXPECT_FALSE(b->FindElsewhere(key).has_value());
}

// A write Redis refuses (here the presence hash's key holds a string, as anyone with
// access to Redis could make it) must not leave its other replies on the pooled
// connection: the next claim would read one of them as its own answer.
TEST_F(PresenceTest, ARefusedPublishLeavesNoReplyBehindForTheNextCommand) {
  auto a = Make("a");
  const std::string alice = NameKey("Alice");
  ASSERT_EQ(a->Claim(alice, "Alice"), ClaimResult::kClaimed);  // pools one connection
  ASSERT_TRUE(raw_->Command({"SET", PresenceKey("a"), "not a hash"}).ok());
  a->Publish(alice, Alice());  // HSET: WRONGTYPE; PEXPIRE: 1
  const std::string bob = NameKey("bob");
  EXPECT_EQ(a->Claim(bob, "bob"), ClaimResult::kClaimed);
  EXPECT_EQ(Get(NameLeaseKey(bob)), "a");
  EXPECT_EQ(a->Claim(NameKey("carol"), "carol"), ClaimResult::kClaimed);
}

TEST_F(PresenceTest, TheHeartbeatRewritesPresenceFromTheRegistry) {
  auto a = Make("a");
  const std::string key = NameKey("Alice");
  std::vector<std::pair<std::string, UserInfo>> users;
  a->Start([&] { return users; }, nullptr);
  ASSERT_EQ(a->Claim(key, "Alice"), ClaimResult::kClaimed);
  UserInfo info = Alice();
  info.room = "dev";
  users = {{key, info}, {NameKey("nobody"), Alice()}};  // the second holds no name here
  // Junk an outage may have left, or anyone wrote.
  ASSERT_TRUE(raw_->Command({"HSET", PresenceKey("a"), "ghost", "x"}).ok());
  ASSERT_TRUE(a->Beat());
  EXPECT_EQ(Integer({"HLEN", PresenceKey("a")}), 1);
  absl::StatusOr<ReplyPtr> record = raw_->Command({"HGET", PresenceKey("a"), key});
  ASSERT_TRUE(record.ok());
  absl::StatusOr<UserInfo> decoded = DecodePresence(ReplyText(**record));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->room, "dev");
  EXPECT_GT(Integer({"PTTL", PresenceKey("a")}), 60'000);  // outlives the heartbeat
}

TEST_F(PresenceTest, ListingSkipsTheDeadAndBadRecordsAndIsBounded) {
  PresenceOptions options;
  options.address = {"127.0.0.1", redis_.port()};
  options.instance_id = "b";
  options.max_listed = 3;
  Presence b(options);
  auto a = Make("a");
  ASSERT_TRUE(a->Beat());
  ASSERT_TRUE(raw_->Command({"HSET", PresenceKey("a"), "junk", "1\nnot a name\n"}).ok());
  for (int i = 0; i < 5; ++i) {
    UserInfo info = Alice();
    info.name = absl::StrCat("user", i);
    ASSERT_TRUE(raw_->Command({"HSET", PresenceKey("a"), NameKey(info.name),
                              EncodePresence(info)}).ok());
  }
  SharedNames::Listing listing = b.ListElsewhere();
  EXPECT_TRUE(listing.truncated);
  EXPECT_LE(listing.users.size(), 3u);
  EXPECT_GE(listing.users.size(), 2u);  // at most one of the three read was junk

  // An instance in the set with no heartbeat is dead: not listed.
  ASSERT_TRUE(raw_->Command({"SADD", InstancesKey(), "zombie"}).ok());
  ASSERT_TRUE(raw_->Command({"HSET", PresenceKey("zombie"), NameKey("zed"),
                            EncodePresence(Alice())}).ok());
  ASSERT_TRUE(raw_->Command({"DEL", InstanceKey("a")}).ok());
  EXPECT_TRUE(b.ListElsewhere().users.empty());
}

TEST_F(PresenceTest, OneSurvivorAnnouncesTheLeavesOfADeadInstance) {
  auto a = Make("a");
  auto b = Make("b");
  auto c = Make("c");
  ASSERT_TRUE(a->Beat());
  const std::string key = NameKey("Alice");
  ASSERT_EQ(a->Claim(key, "Alice"), ClaimResult::kClaimed);
  a->Publish(key, Alice());
  // kill -9: nothing said goodbye; the heartbeat key expires.
  ASSERT_TRUE(raw_->Command({"DEL", InstanceKey("a")}).ok());

  ASSERT_TRUE(b->Beat());
  ASSERT_TRUE(c->Beat());
  ASSERT_TRUE(b->Beat());
  absl::StatusOr<ReplyPtr> entries = raw_->Command({"XRANGE", RoomStreamKey("general"), "-", "+"});
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ((*entries)->elements, 1u);  // once, whoever did it
  const redisReply* fields = (*entries)->element[0]->element[1];
  std::vector<StreamField> pairs;
  for (size_t i = 0; i + 1 < fields->elements; i += 2) {
    pairs.emplace_back(ReplyText(*fields->element[i]), ReplyText(*fields->element[i + 1]));
  }
  absl::StatusOr<std::shared_ptr<Event>> event = DecodeEvent(pairs, "b");
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ((*event)->kind, Event::Kind::kLeave);
  EXPECT_EQ((*event)->name, "Alice");
  EXPECT_EQ((*event)->time, kStart);
  EXPECT_EQ((*event)->origin, 0u);
  EXPECT_EQ(Integer({"EXISTS", PresenceKey("a")}), 0);
  EXPECT_EQ(Integer({"SISMEMBER", InstancesKey(), "a"}), 0);
  // The lease is left to expire on its own.
  EXPECT_EQ(Get(NameLeaseKey(key)), "a");
}

TEST_F(PresenceTest, ARestartedInstanceAnnouncesWhatItsPreviousLifeLeftBehind) {
  // Instance a was killed with alice on it, and comes back (same id) before anyone reaped.
  ASSERT_TRUE(raw_->Command({"HSET", PresenceKey("a"), NameKey("Alice"),
                             EncodePresence(Alice())}).ok());
  auto a = Make("a");
  a->Start(nullptr, nullptr);
  absl::StatusOr<ReplyPtr> entries = raw_->Command({"XLEN", RoomStreamKey("general")});
  ASSERT_TRUE(entries.ok());
  EXPECT_EQ((*entries)->integer, 1);
  EXPECT_EQ(Integer({"EXISTS", PresenceKey("a")}), 0);  // nobody listed until they log in
  EXPECT_EQ(Get(InstanceKey("a")), "a");
}

}  // namespace
}  // namespace chat::cluster
