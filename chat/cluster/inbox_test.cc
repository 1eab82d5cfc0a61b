#include "chat/cluster/inbox.h"

#include <hiredis/hiredis.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "chat/cluster/keys.h"
#include "chat/cluster/redis_client.h"
#include "chat/name.h"
#include "chat/name_registry.h"
#include "chat/testing/fake_clock.h"
#include "chat/testing/redis_server.h"
#include "gtest/gtest.h"

namespace chat::cluster {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);
// How long a test waits for something that must happen; never an expectation on timing.
constexpr absl::Duration kPatience = absl::Seconds(60);

// A connected user as the registry sees it: records what reaches it.
class FakeUser final : public Recipient {
 public:
  void DeliverPrivate(EventPtr event) override {
    absl::MutexLock lock(&mu_);
    events_.push_back(std::move(event));
  }
  void Kick(std::string goodbye) override {
    absl::MutexLock lock(&mu_);
    goodbyes_.push_back(std::move(goodbye));
  }
  // Wait until it holds `n` private messages (or kicks); false if they never come.
  bool AwaitEvents(size_t n) { return AwaitSize(&FakeUser::events_, n); }
  bool AwaitKicks(size_t n) { return AwaitSize(&FakeUser::goodbyes_, n); }
  EventPtr event(size_t i) {
    absl::MutexLock lock(&mu_);
    return events_.at(i);
  }
  std::string goodbye(size_t i) {
    absl::MutexLock lock(&mu_);
    return goodbyes_.at(i);
  }

 private:
  template <typename T>
  bool AwaitSize(std::vector<T> FakeUser::*items, size_t n) {
    absl::MutexLock lock(&mu_);
    auto enough = [&] {
      mu_.AssertHeld();
      return (this->*items).size() >= n;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), kPatience);
  }

  absl::Mutex mu_;
  std::vector<EventPtr> events_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> goodbyes_ ABSL_GUARDED_BY(mu_);
};

class InboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start().ok());
    raw_ = std::make_unique<RedisConnection>(RedisAddress{"127.0.0.1", redis_.port()},
                                             absl::Seconds(10));
    ASSERT_TRUE(raw_->Connect().ok());
    a_ = MakeInbox("a", &names_a_);
    b_ = MakeInbox("b", &names_b_);
    a_->Start();
    b_->Start();
  }

  std::unique_ptr<Inbox> MakeInbox(std::string id, NameRegistry* names) {
    InboxOptions options;
    options.address = {"127.0.0.1", redis_.port()};
    options.instance_id = std::move(id);
    options.timeout = absl::Seconds(10);
    options.block = absl::Milliseconds(100);
    options.backoff_max = absl::Milliseconds(200);
    options.is_protected = [this](std::string_view key) {
      absl::MutexLock lock(&protected_mu_);
      return protected_keys_.contains(std::string(key));
    };
    return std::make_unique<Inbox>(options, names, &clock_);
  }
  // What the name leases and heartbeats (another part of the cluster) say: `name` is on
  // `instance`, which is alive.
  void Lease(std::string_view name, std::string_view instance) {
    LeaseOnly(name, instance);
    ASSERT_TRUE(raw_->Command({"SET", InstanceKey(instance), "1"}).ok());
  }
  // `name`'s lease names `instance`, whose heartbeat may have stopped (a crash).
  void LeaseOnly(std::string_view name, std::string_view instance) {
    ASSERT_TRUE(raw_->Command({"SET", NameLeaseKey(NameKey(name)), std::string(instance)}).ok());
  }
  void Protect(std::string_view name) {
    absl::MutexLock lock(&protected_mu_);
    protected_keys_.insert(NameKey(name));
  }

  absl::Mutex protected_mu_;
  std::set<std::string> protected_keys_ ABSL_GUARDED_BY(protected_mu_);

  testing::RedisServer redis_;
  std::unique_ptr<RedisConnection> raw_;
  testing::FakeClock clock_{kT0};
  NameRegistry names_a_, names_b_;
  std::unique_ptr<Inbox> a_, b_;
};

TEST_F(InboxTest, PrivateMessageReachesTheInstanceThatHasTheName) {
  FakeUser bob;
  ASSERT_TRUE(names_b_.Claim("Bob", &bob, 7));
  Lease("Bob", "b");
  // Any spelling with Bob's key reaches him, as a local /msg would.
  EXPECT_EQ(a_->SendPrivate("BOB", "alice", "hi from a", 5), RemoteUsers::Result::kSent);
  ASSERT_TRUE(bob.AwaitEvents(1));
  const Event& event = *bob.event(0);
  EXPECT_EQ(event.kind, Event::Kind::kPrivate);
  EXPECT_EQ(event.name, "alice");
  EXPECT_EQ(event.text, "hi from a");
  EXPECT_EQ(event.origin, 0u);  // no session here sent it: /ignore goes by name
  // /reply goes back to the sender's session on its instance.
  EXPECT_EQ(event.origin_instance, "a");
  EXPECT_EQ(event.origin_session, 5u);
  EXPECT_EQ(event.time, kT0);
  names_b_.Release("Bob");
}

TEST_F(InboxTest, NoSuchUserAnywhere) {
  EXPECT_EQ(a_->SendPrivate("carol", "alice", "hi", 1), RemoteUsers::Result::kNoSuchUser);
  // The name's lease says this very instance: its user has just left here.
  Lease("dave", "a");
  EXPECT_EQ(a_->SendPrivate("dave", "alice", "hi", 1), RemoteUsers::Result::kNoSuchUser);
  EXPECT_EQ(a_->Kick("carol", "bye"), RemoteUsers::Result::kNoSuchUser);
}

TEST_F(InboxTest, KickDisconnectsWithTheGoodbye) {
  FakeUser mallory;
  ASSERT_TRUE(names_b_.Claim("mallory", &mallory, 9));
  Lease("mallory", "b");
  EXPECT_EQ(a_->Kick("Mallory", "You were kicked by op."), RemoteUsers::Result::kSent);
  ASSERT_TRUE(mallory.AwaitKicks(1));
  EXPECT_EQ(mallory.goodbye(0), "You were kicked by op.");
  names_b_.Release("mallory");
}

// Entries anyone wrote into the inbox are skipped; what follows still arrives.
TEST_F(InboxTest, MalformedEntriesAreSkipped) {
  FakeUser bob;
  ASSERT_TRUE(names_b_.Claim("bob", &bob, 7));
  Lease("bob", "b");
  ASSERT_TRUE(raw_->Command({"XADD", InboxKey("b"), "*", "v", "1", "k", "p", "to", "bob"}).ok());
  ASSERT_TRUE(raw_->Command({"XADD", InboxKey("b"), "*", "garbage", "x"}).ok());
  ASSERT_TRUE(raw_->Command({"XADD", InboxKey("b"), "*", "v", "1", "k", "p", "to", "bob", "n",
                             "evil", "t", "0", "x", "clear\x1b[2J"})
                  .ok());
  // A sender's name no one could choose here (a forged frame) is refused outright.
  ASSERT_TRUE(raw_->Command({"XADD", InboxKey("b"), "*", "v", "1", "k", "p", "to", "bob", "n",
                             "ev\x1b[2Jil", "t", "0", "x", "hi"})
                  .ok());
  ASSERT_TRUE(raw_->Command({"XADD", InboxKey("b"), "*", "v", "1", "k", "p", "to", "bob", "n",
                             "alice -> you]:forged", "t", "0", "x", "hi"})
                  .ok());
  EXPECT_EQ(a_->SendPrivate("bob", "alice", "still here", 1), RemoteUsers::Result::kSent);
  ASSERT_TRUE(bob.AwaitEvents(2));
  EXPECT_EQ(bob.event(0)->name, "evil");
  EXPECT_EQ(bob.event(0)->text.find('\x1b'), std::string::npos);
  EXPECT_EQ(bob.event(1)->text, "still here");
  EXPECT_EQ(b_->dropped(), 4u);
  names_b_.Release("bob");
}

// A crashed instance's leases outlive it until they expire; its heartbeat does not, and
// without it nobody there has the name.
TEST_F(InboxTest, NameOfACrashedInstanceIsNoSuchUser) {
  LeaseOnly("bob", "b");
  EXPECT_EQ(a_->SendPrivate("bob", "alice", "hi", 1), RemoteUsers::Result::kNoSuchUser);
  EXPECT_EQ(a_->Kick("bob", "bye"), RemoteUsers::Result::kNoSuchUser);
  absl::StatusOr<ReplyPtr> len = raw_->Command({"XLEN", InboxKey("b")});
  ASSERT_TRUE(len.ok());
  EXPECT_EQ((*len)->integer, 0);
}

// Operators cannot kick each other: an operator of b (by b's flags or accounts) stays,
// whatever a's operators or anyone writing to Redis say.
TEST_F(InboxTest, KickOfAnOperatorHereIsDropped) {
  FakeUser op, mallory;
  ASSERT_TRUE(names_b_.Claim("Op", &op, 3));
  ASSERT_TRUE(names_b_.Claim("mallory", &mallory, 9));
  Lease("op", "b");
  Lease("mallory", "b");
  Protect("op");
  EXPECT_EQ(a_->Kick("OP", "You were kicked by rogue."), RemoteUsers::Result::kSent);
  ASSERT_TRUE(raw_->Command({"XADD", InboxKey("b"), "*", "v", "1", "k", "k", "to", "op", "t",
                             "0", "x", "forged"})
                  .ok());
  EXPECT_EQ(a_->Kick("mallory", "You were kicked by op."), RemoteUsers::Result::kSent);
  ASSERT_TRUE(mallory.AwaitKicks(1));  // after both kicks of op, in stream order
  EXPECT_EQ(b_->dropped(), 2u);
  EXPECT_TRUE(names_b_.Find("op").has_value());
  names_b_.Release("Op");
  names_b_.Release("mallory");
}

// /reply to another instance's user goes to the session that wrote, not to whoever has
// its name by then.
TEST_F(InboxTest, ReplyReachesTheSenderSessionOnly) {
  FakeUser alice, bob;
  ASSERT_TRUE(names_a_.Claim("alice", &alice, 5));
  ASSERT_TRUE(names_b_.Claim("bob", &bob, 7));
  Lease("alice", "a");
  Lease("bob", "b");
  ASSERT_EQ(a_->SendPrivate("bob", "alice", "hi", 5), RemoteUsers::Result::kSent);
  ASSERT_TRUE(bob.AwaitEvents(1));
  const Event& from_alice = *bob.event(0);
  EXPECT_EQ(b_->ReplyPrivate(from_alice.origin_instance, from_alice.origin_session,
                             from_alice.name, "bob", "hello alice", 7),
            RemoteUsers::Result::kSent);
  ASSERT_TRUE(alice.AwaitEvents(1));
  EXPECT_EQ(alice.event(0)->text, "hello alice");
  EXPECT_EQ(alice.event(0)->origin_instance, "b");
  EXPECT_EQ(alice.event(0)->origin_session, 7u);
  // alice leaves a; someone else takes the name there.
  names_a_.Release("alice");
  FakeUser impostor;
  ASSERT_TRUE(names_a_.Claim("alice", &impostor, 6));
  EXPECT_EQ(b_->ReplyPrivate("a", 5, "alice", "bob", "secret", 7), RemoteUsers::Result::kSent);
  EXPECT_EQ(b_->SendPrivate("alice", "bob", "to the new alice", 7), RemoteUsers::Result::kSent);
  ASSERT_TRUE(impostor.AwaitEvents(1));  // after the reply, in stream order
  EXPECT_EQ(impostor.event(0)->text, "to the new alice");
  EXPECT_EQ(a_->dropped(), 1u);
  // The name now belongs to another instance: the replier is told at once.
  Lease("alice", "c");
  EXPECT_EQ(b_->ReplyPrivate("a", 6, "alice", "bob", "again", 7),
            RemoteUsers::Result::kNoSuchUser);
  names_a_.Release("alice");
  names_b_.Release("bob");
}

TEST_F(InboxTest, InboxIsBounded) {
  Lease("bob", "b");  // nobody reads: bob is not connected to b
  b_->Stop();
  for (int i = 0; i < 3000; ++i) {
    ASSERT_EQ(a_->SendPrivate("bob", "alice", "x", 1), RemoteUsers::Result::kSent);
  }
  absl::StatusOr<ReplyPtr> len = raw_->Command({"XLEN", InboxKey("b")});
  ASSERT_TRUE(len.ok());
  // MAXLEN ~ trims whole nodes: about max_len (1000), never the 3000 sent.
  EXPECT_LT((*len)->integer, 1200);
  absl::StatusOr<ReplyPtr> ttl = raw_->Command({"TTL", InboxKey("b")});
  ASSERT_TRUE(ttl.ok());
  EXPECT_GT((*ttl)->integer, 0);  // a dead instance's inbox goes away
}

// Redis going away: senders are told, and the inbox thread reconnects and resumes.
TEST_F(InboxTest, SurvivesARedisRestart) {
  FakeUser bob;
  ASSERT_TRUE(names_b_.Claim("bob", &bob, 7));
  redis_.Stop();
  EXPECT_EQ(a_->SendPrivate("bob", "alice", "lost", 1), RemoteUsers::Result::kUnavailable);
  ASSERT_TRUE(redis_.Restart().ok());
  ASSERT_TRUE(raw_->Connect().ok());
  Lease("bob", "b");
  // The first send after the restart may meet a pooled connection Redis closed.
  RemoteUsers::Result sent = a_->SendPrivate("bob", "alice", "after", 1);
  if (sent != RemoteUsers::Result::kSent) sent = a_->SendPrivate("bob", "alice", "after", 1);
  EXPECT_EQ(sent, RemoteUsers::Result::kSent);
  ASSERT_TRUE(bob.AwaitEvents(1));
  EXPECT_EQ(bob.event(0)->text, "after");
  names_b_.Release("bob");
}

}  // namespace
}  // namespace chat::cluster
