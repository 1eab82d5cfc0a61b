#include "chat/cluster/inbox.h"

#include <hiredis/hiredis.h>

#include <memory>
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
    return std::make_unique<Inbox>(options, names, &clock_);
  }
  // What the name leases (another part of the cluster) say: `name` is on `instance`.
  void Lease(std::string_view name, std::string_view instance) {
    ASSERT_TRUE(raw_->Command({"SET", NameLeaseKey(NameKey(name)), std::string(instance)}).ok());
  }

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
  EXPECT_EQ(a_->SendPrivate("BOB", "alice", "hi from a"), RemoteUsers::Result::kSent);
  ASSERT_TRUE(bob.AwaitEvents(1));
  const Event& event = *bob.event(0);
  EXPECT_EQ(event.kind, Event::Kind::kPrivate);
  EXPECT_EQ(event.name, "alice");
  EXPECT_EQ(event.text, "hi from a");
  EXPECT_EQ(event.origin, 0u);  // no session here sent it: /ignore and /reply go by name
  EXPECT_EQ(event.time, kT0);
  names_b_.Release("Bob");
}

TEST_F(InboxTest, NoSuchUserAnywhere) {
  EXPECT_EQ(a_->SendPrivate("carol", "alice", "hi"), RemoteUsers::Result::kNoSuchUser);
  // The name's lease says this very instance: its user has just left here.
  Lease("dave", "a");
  EXPECT_EQ(a_->SendPrivate("dave", "alice", "hi"), RemoteUsers::Result::kNoSuchUser);
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
                             "ev\x1b[2Jil", "t", "0", "x", "clear\x1b[2J"})
                  .ok());
  EXPECT_EQ(a_->SendPrivate("bob", "alice", "still here"), RemoteUsers::Result::kSent);
  ASSERT_TRUE(bob.AwaitEvents(2));
  EXPECT_EQ(bob.event(0)->name.find('\x1b'), std::string::npos);
  EXPECT_EQ(bob.event(0)->text.find('\x1b'), std::string::npos);
  EXPECT_EQ(bob.event(1)->text, "still here");
  EXPECT_EQ(b_->dropped(), 2u);
  names_b_.Release("bob");
}

TEST_F(InboxTest, InboxIsBounded) {
  Lease("bob", "b");  // nobody reads: bob is not connected to b
  b_->Stop();
  for (int i = 0; i < 3000; ++i) ASSERT_EQ(a_->SendPrivate("bob", "alice", "x"), RemoteUsers::Result::kSent);
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
  EXPECT_EQ(a_->SendPrivate("bob", "alice", "lost"), RemoteUsers::Result::kUnavailable);
  ASSERT_TRUE(redis_.Restart().ok());
  ASSERT_TRUE(raw_->Connect().ok());
  Lease("bob", "b");
  // The first send after the restart may meet a pooled connection Redis closed.
  RemoteUsers::Result sent = a_->SendPrivate("bob", "alice", "after");
  if (sent != RemoteUsers::Result::kSent) sent = a_->SendPrivate("bob", "alice", "after");
  EXPECT_EQ(sent, RemoteUsers::Result::kSent);
  ASSERT_TRUE(bob.AwaitEvents(1));
  EXPECT_EQ(bob.event(0)->text, "after");
  names_b_.Release("bob");
}

}  // namespace
}  // namespace chat::cluster
