#include "chat/cluster/redis_store.h"

#include <hiredis/hiredis.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "chat/identity/store_contract.h"
#include "chat/testing/redis_server.h"
#include "gtest/gtest.h"

namespace chat::cluster {
namespace {

using identity::Account;
using identity::Ban;
using identity::IdentityStore;
using identity::StoreFactory;

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

// Each test gets its own redis-server, so no test sees another's keys.
class RedisFactory final : public StoreFactory {
 public:
  std::unique_ptr<IdentityStore> OpenFresh() override {
    absl::Status started = redis_.Start();
    EXPECT_TRUE(started.ok()) << started;
    if (!started.ok()) return nullptr;
    return OpenAgain();
  }
  std::unique_ptr<IdentityStore> OpenAgain() override { return Open(); }

  std::unique_ptr<RedisStore> Open() {
    RedisStoreOptions options;
    options.address = {"127.0.0.1", redis_.port()};
    options.timeout = absl::Seconds(10);  // sanitizer builds on a busy machine
    return std::make_unique<RedisStore>(options);
  }
  testing::RedisServer& redis() { return redis_; }

 private:
  testing::RedisServer redis_;
};

}  // namespace

std::unique_ptr<StoreFactory> MakeRedisFactory() { return std::make_unique<RedisFactory>(); }

}  // namespace chat::cluster

namespace chat::identity {
INSTANTIATE_TEST_SUITE_P(Redis, IdentityStoreContractTest,
                         ::testing::Values(&cluster::MakeRedisFactory));
}  // namespace chat::identity

namespace chat::cluster {
namespace {

class RedisStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(factory_.OpenFresh() != nullptr);
    store_ = factory_.Open();
    raw_ = std::make_unique<RedisConnection>(RedisAddress{"127.0.0.1", factory_.redis().port()},
                                             absl::Seconds(10));
    ASSERT_TRUE(raw_->Connect().ok());
  }
  // Writes as any process that can reach Redis could.
  void Raw(std::vector<std::string> argv) {
    absl::StatusOr<ReplyPtr> reply = raw_->Command(argv);
    ASSERT_TRUE(reply.ok()) << reply.status();
  }

  RedisFactory factory_;
  std::unique_ptr<RedisStore> store_;
  std::unique_ptr<RedisConnection> raw_;
};

TEST_F(RedisStoreTest, MalformedAccountIsDataLossNotAnAccount) {
  Raw({"HSET", "tcpchat:account:alice", "n", "Alice", "h", "x", "o", "yes", "c", "1"});
  absl::StatusOr<std::optional<Account>> found = store_->FindAccount("alice");
  EXPECT_TRUE(absl::IsDataLoss(found.status())) << found.status();
  Raw({"HSET", "tcpchat:account:bob", "n", "B\x1b[2Job", "h", "x", "o", "1", "c", "7"});
  found = store_->FindAccount("bob");
  ASSERT_TRUE(found.ok() && found->has_value()) << found.status();
  EXPECT_EQ((*found)->name.find('\x1b'), std::string::npos);  // sanitised for display
  EXPECT_EQ((*found)->created, absl::FromUnixMicros(7));
}

// An ignore list left without its account (an ignore added on another server while the
// account was deleted) is not inherited by whoever registers the name next.
TEST_F(RedisStoreTest, ANewAccountInheritsNoLeftoverIgnoreList) {
  Raw({"HSET", "tcpchat:ignore:carol", "mallory", "Mallory"});
  Raw({"RPUSH", "tcpchat:ignore_order:carol", "mallory"});
  ASSERT_TRUE(store_->CreateAccount(Account{"carol", "Carol", "hash", false, kT0}).ok());
  absl::StatusOr<std::vector<identity::IgnoredName>> ignores = store_->ListIgnores("carol");
  ASSERT_TRUE(ignores.ok()) << ignores.status();
  EXPECT_TRUE(ignores->empty());
}

// One bad ban record neither locks everyone out nor hides the good bans.
TEST_F(RedisStoreTest, MalformedBanIsSkipped) {
  absl::StatusOr<int64_t> good =
      store_->AddBan(Ban{0, "mallory", "", absl::InfiniteFuture(), "r", "op", kT0});
  ASSERT_TRUE(good.ok());
  Raw({"HSET", "tcpchat:ban:999", "nk", "mallory", "ak", "", "u", "soon", "r", "", "b", "", "c",
       "0"});
  Raw({"SADD", "tcpchat:bans:name:mallory", "999"});
  Raw({"ZADD", "tcpchat:bans", "999", "999"});
  // An index entry pointing at a ban for someone else does not ban this name.
  Raw({"SADD", "tcpchat:bans:name:carol", absl::StrCat(*good)});
  absl::StatusOr<std::optional<Ban>> found = store_->FindActiveBan("mallory", "", kT0);
  ASSERT_TRUE(found.ok() && found->has_value()) << found.status();
  EXPECT_EQ((*found)->id, *good);
  EXPECT_EQ(*store_->FindActiveBan("carol", "", kT0), std::nullopt);
  EXPECT_EQ(store_->ListActiveBans(kT0)->size(), 1u);
}

TEST_F(RedisStoreTest, UnreachableRedisIsAnError) {
  factory_.redis().Stop();
  EXPECT_TRUE(absl::IsUnavailable(store_->FindAccount("alice").status()));
  EXPECT_FALSE(store_->CreateAccount(Account{"a", "a", "h", false, kT0}).ok());
  EXPECT_FALSE(store_->FindActiveBan("a", "", kT0).ok());
  EXPECT_FALSE(store_->Ping().ok());
  // Back again: the pool reconnects.
  ASSERT_TRUE(factory_.redis().Restart().ok());
  EXPECT_TRUE(store_->Ping().ok());
  EXPECT_TRUE(store_->FindAccount("alice").ok());
}

// Expiry is the data's, compared with the caller's clock: a ban outlives its `until` in
// Redis until RemoveExpiredBans, but is not in force after it.
TEST_F(RedisStoreTest, ExpiryIsDataNotTtl) {
  ASSERT_TRUE(store_->AddBan(Ban{0, "eve", "", kT0 + absl::Minutes(1), "", "op", kT0}).ok());
  absl::StatusOr<ReplyPtr> ttl = raw_->Command({"PTTL", "tcpchat:ban:1"});
  ASSERT_TRUE(ttl.ok());
  EXPECT_EQ((*ttl)->integer, -1);  // no Redis expiry
  EXPECT_TRUE(store_->FindActiveBan("eve", "", kT0)->has_value());
  EXPECT_FALSE(store_->FindActiveBan("eve", "", kT0 + absl::Minutes(1))->has_value());
  EXPECT_EQ(*store_->RemoveExpiredBans(kT0 + absl::Minutes(1)), 1);
  absl::StatusOr<ReplyPtr> exists = raw_->Command({"EXISTS", "tcpchat:ban:1", "tcpchat:bans:name:eve"});
  ASSERT_TRUE(exists.ok());
  EXPECT_EQ((*exists)->integer, 0);
}

}  // namespace
}  // namespace chat::cluster
