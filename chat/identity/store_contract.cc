// The IdentityStore contract (store.h), run against every store (store_contract.h).

#include "chat/identity/store_contract.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "chat/identity/store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace chat::identity {
namespace {

using ::testing::ElementsAre;

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

Account MakeAccount(std::string key, std::string name) {
  return Account{std::move(key), std::move(name), "$argon2id$fake", false, kT0};
}

TEST_P(IdentityStoreContractTest, AccountsRoundTrip) {
  IdentityStore* store = store_.get();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store->FindAccount("alice"), std::nullopt);

  Account alice = MakeAccount("alice", "Alice");
  alice.created = kT0 + absl::Microseconds(123);
  ASSERT_TRUE(store->CreateAccount(alice).ok());
  EXPECT_EQ(*store->FindAccount("alice"), alice);

  absl::Status again = store->CreateAccount(MakeAccount("alice", "ALICE"));
  EXPECT_TRUE(absl::IsAlreadyExists(again)) << again;
  EXPECT_EQ((*store->FindAccount("alice"))->name, "Alice");

  ASSERT_TRUE(store->SetPasswordHash("alice", "$argon2id$other").ok());
  ASSERT_TRUE(store->SetOperator("alice", true).ok());
  std::optional<Account> found = *store->FindAccount("alice");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->password_hash, "$argon2id$other");
  EXPECT_TRUE(found->is_operator);
  ASSERT_TRUE(store->SetOperator("alice", false).ok());
  EXPECT_FALSE((*store->FindAccount("alice"))->is_operator);

  EXPECT_TRUE(absl::IsNotFound(store->SetPasswordHash("bob", "x")));
  EXPECT_TRUE(absl::IsNotFound(store->SetOperator("bob", true)));
  EXPECT_TRUE(absl::IsNotFound(store->DeleteAccount("bob")));

  ASSERT_TRUE(store->AddIgnore("alice", {"bob", "Bob"}).ok());
  ASSERT_TRUE(store->DeleteAccount("alice").ok());
  EXPECT_EQ(*store->FindAccount("alice"), std::nullopt);
  // The ignore list went with the account: a new alice starts with none.
  EXPECT_TRUE(store->ListIgnores("alice")->empty());
  EXPECT_TRUE(store->CreateAccount(MakeAccount("alice", "alice")).ok());
}


// A login's re-hash stores the new hash only over the one it verified: a password
// changed in between (by the owner's other connection, or another server on the file)
// is never overwritten with the old password's new hash.
TEST_P(IdentityStoreContractTest, ReplacePasswordHashIsCompareAndSet) {
  IdentityStore* store = store_.get();
  Account alice = MakeAccount("alice", "alice");
  alice.password_hash = "$argon2id$old";
  ASSERT_TRUE(store->CreateAccount(alice).ok());
  ASSERT_TRUE(store->ReplacePasswordHash("alice", "$argon2id$old", "$argon2id$rehashed").ok());
  EXPECT_EQ((*store->FindAccount("alice"))->password_hash, "$argon2id$rehashed");
  // Changed meanwhile through a second connection to the same file.
  std::unique_ptr<IdentityStore> other = factory_->OpenAgain();
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(other->SetPasswordHash("alice", "$argon2id$changed").ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(
      store->ReplacePasswordHash("alice", "$argon2id$rehashed", "$argon2id$stale")));
  EXPECT_EQ((*store->FindAccount("alice"))->password_hash, "$argon2id$changed");
  EXPECT_TRUE(absl::IsNotFound(store->ReplacePasswordHash("bob", "x", "y")));
}


TEST_P(IdentityStoreContractTest, KeysAreExactBytes) {
  // The store compares keys as given; NameKey() folding happens before.
  IdentityStore* store = store_.get();
  ASSERT_TRUE(store->CreateAccount(MakeAccount("ａ'; DROP TABLE accounts;--", "x")).ok());
  EXPECT_TRUE(store->FindAccount("ａ'; DROP TABLE accounts;--")->has_value());
  EXPECT_FALSE(store->FindAccount("ａ")->has_value());
  const std::string with_nul("a\0b", 3);
  ASSERT_TRUE(store->CreateAccount(MakeAccount(with_nul, "y")).ok());
  EXPECT_TRUE(store->FindAccount(with_nul)->has_value());
  EXPECT_FALSE(store->FindAccount("a")->has_value());
}


TEST_P(IdentityStoreContractTest, Bans) {
  IdentityStore* store = store_.get();
  EXPECT_TRUE(absl::IsInvalidArgument(store->AddBan(Ban{}).status()));

  Ban by_name{0, "mallory", "", kT0 + absl::Hours(2), "spam", "alice", kT0};
  Ban by_address{0, "", "203.0.113.9", absl::InfiniteFuture(), "bots", "alice", kT0};
  Ban both{0, "eve", "2001:db8:1:2::/64", kT0 + absl::Minutes(10), "", "bob", kT0};
  absl::StatusOr<int64_t> id1 = store->AddBan(by_name);
  absl::StatusOr<int64_t> id2 = store->AddBan(by_address);
  absl::StatusOr<int64_t> id3 = store->AddBan(both);
  ASSERT_TRUE(id1.ok() && id2.ok() && id3.ok());
  by_name.id = *id1;
  by_address.id = *id2;
  both.id = *id3;
  EXPECT_NE(*id1, *id2);

  EXPECT_EQ(*store->FindActiveBan("mallory", "198.51.100.1", kT0), by_name);
  EXPECT_EQ(*store->FindActiveBan("", "203.0.113.9", kT0), by_address);
  EXPECT_TRUE(by_address.permanent());
  EXPECT_EQ(*store->FindActiveBan("eve", "", kT0), both);
  EXPECT_EQ(*store->FindActiveBan("carol", "2001:db8:1:2::/64", kT0), both);
  EXPECT_EQ(*store->FindActiveBan("carol", "198.51.100.1", kT0), std::nullopt);
  // Empty keys match nothing, not the bans whose other key is empty.
  EXPECT_EQ(*store->FindActiveBan("", "", kT0), std::nullopt);
  // Mallory on the banned address: the permanent ban wins.
  EXPECT_EQ(*store->FindActiveBan("mallory", "203.0.113.9", kT0), by_address);

  // Expiry: `until` is the first instant the ban no longer applies.
  EXPECT_EQ(*store->FindActiveBan("mallory", "", kT0 + absl::Hours(2) - absl::Microseconds(1)),
            by_name);
  EXPECT_EQ(*store->FindActiveBan("mallory", "", kT0 + absl::Hours(2)), std::nullopt);
  EXPECT_THAT(*store->ListActiveBans(kT0), ElementsAre(by_name, by_address, both));
  EXPECT_THAT(*store->ListActiveBans(kT0 + absl::Hours(1)), ElementsAre(by_name, by_address));
  EXPECT_THAT(*store->ListActiveBans(kT0 + absl::Hours(3)), ElementsAre(by_address));

  EXPECT_EQ(*store->RemoveExpiredBans(kT0 + absl::Hours(1)), 1);  // `both`
  EXPECT_EQ(*store->FindActiveBan("eve", "", kT0), std::nullopt);

  ASSERT_TRUE(store->AddBan(by_name).ok());  // a second ban on mallory
  EXPECT_EQ(*store->RemoveBansByName("mallory"), 2);
  EXPECT_EQ(*store->RemoveBansByName("mallory"), 0);
  EXPECT_EQ(*store->RemoveBansByName(""), 0);
  EXPECT_EQ(*store->RemoveBansByAddress("203.0.113.9"), 1);
  EXPECT_TRUE(store->ListActiveBans(kT0)->empty());
}


TEST_P(IdentityStoreContractTest, Topics) {
  IdentityStore* store = store_.get();
  EXPECT_EQ(*store->GetTopic("general"), std::nullopt);
  const Topic first{"welcome!", "alice", kT0};
  const Topic second{"release day", "bob", kT0 + absl::Minutes(1)};
  ASSERT_TRUE(store->SetTopic("general", first).ok());
  EXPECT_EQ(*store->GetTopic("general"), first);
  ASSERT_TRUE(store->SetTopic("general", second).ok());
  EXPECT_EQ(*store->GetTopic("general"), second);
  EXPECT_EQ(*store->GetTopic("dev"), std::nullopt);
  ASSERT_TRUE(store->ClearTopic("general").ok());
  EXPECT_EQ(*store->GetTopic("general"), std::nullopt);
  EXPECT_TRUE(store->ClearTopic("general").ok());
}


TEST_P(IdentityStoreContractTest, IgnoreLists) {
  IdentityStore* store = store_.get();
  EXPECT_TRUE(store->ListIgnores("alice")->empty());
  ASSERT_TRUE(store->AddIgnore("alice", {"bob", "Bob"}).ok());
  ASSERT_TRUE(store->AddIgnore("alice", {"carol", "carol"}).ok());
  ASSERT_TRUE(store->AddIgnore("dave", {"bob", "bob"}).ok());
  ASSERT_TRUE(store->AddIgnore("alice", {"bob", "BOB"}).ok());  // respelled, same place
  EXPECT_THAT(*store->ListIgnores("alice"),
              ElementsAre(IgnoredName{"bob", "BOB"}, IgnoredName{"carol", "carol"}));
  ASSERT_TRUE(store->RemoveIgnore("alice", "bob").ok());
  EXPECT_TRUE(absl::IsNotFound(store->RemoveIgnore("alice", "bob")));
  EXPECT_THAT(*store->ListIgnores("alice"), ElementsAre(IgnoredName{"carol", "carol"}));
  EXPECT_THAT(*store->ListIgnores("dave"), ElementsAre(IgnoredName{"bob", "bob"}));
}


// The bound and the add are one step: a full list refuses a new name but still takes a
// respelling of one it holds.
TEST_P(IdentityStoreContractTest, IgnoreListBound) {
  IdentityStore* store = store_.get();
  ASSERT_TRUE(store->AddIgnore("alice", {"bob", "bob"}, 2).ok());
  ASSERT_TRUE(store->AddIgnore("alice", {"carol", "carol"}, 2).ok());
  EXPECT_TRUE(absl::IsResourceExhausted(store->AddIgnore("alice", {"dave", "dave"}, 2)));
  EXPECT_TRUE(store->AddIgnore("alice", {"bob", "Bob"}, 2).ok());
  EXPECT_TRUE(store->AddIgnore("alice", {"dave", "dave"}).ok());  // 0: no bound
  EXPECT_THAT(*store->ListIgnores("alice"),
              ElementsAre(IgnoredName{"bob", "Bob"}, IgnoredName{"carol", "carol"},
                          IgnoredName{"dave", "dave"}));
}

// Two handles (two servers on one store) racing to fill one list never exceed its bound.
TEST_P(IdentityStoreContractTest, IgnoreListBoundHoldsAcrossHandles) {
  std::unique_ptr<IdentityStore> other = factory_->OpenAgain();
  ASSERT_NE(other, nullptr);
  constexpr size_t kMax = 5;
  auto fill = [](IdentityStore* store, std::string prefix) {
    for (int i = 0; i < 10; ++i) {
      store->AddIgnore("alice", {absl::StrCat(prefix, i), "x"}, kMax).IgnoreError();
    }
  };
  std::thread a(fill, store_.get(), "a");
  std::thread b(fill, other.get(), "b");
  a.join();
  b.join();
  EXPECT_EQ(store_->ListIgnores("alice")->size(), kMax);
}

// Ban ids come from the store, so two servers adding bans at once never share one.
TEST_P(IdentityStoreContractTest, BanIdsAreUniqueAcrossHandles) {
  std::unique_ptr<IdentityStore> other = factory_->OpenAgain();
  ASSERT_NE(other, nullptr);
  std::vector<int64_t> ids_a, ids_b;
  auto add = [](IdentityStore* store, std::vector<int64_t>* ids) {
    for (int i = 0; i < 10; ++i) {
      absl::StatusOr<int64_t> id =
          store->AddBan(Ban{0, absl::StrCat("n", i), "", absl::InfiniteFuture(), "", "op", kT0});
      if (id.ok()) ids->push_back(*id);
    }
  };
  std::thread a(add, store_.get(), &ids_a);
  std::thread b(add, other.get(), &ids_b);
  a.join();
  b.join();
  std::vector<int64_t> all = ids_a;
  all.insert(all.end(), ids_b.begin(), ids_b.end());
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all.size(), 20u);
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end());
  EXPECT_EQ(store_->ListActiveBans(kT0)->size(), 20u);
}

// What one handle writes, the other reads at once (one instance registers, another logs in).
TEST_P(IdentityStoreContractTest, WritesAreSeenThroughAnotherHandle) {
  std::unique_ptr<IdentityStore> other = factory_->OpenAgain();
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(store_->CreateAccount(MakeAccount("alice", "Alice")).ok());
  ASSERT_TRUE(store_->AddBan(Ban{0, "mallory", "", absl::InfiniteFuture(), "r", "alice", kT0}).ok());
  ASSERT_TRUE(store_->SetTopic("general", Topic{"hi", "alice", kT0}).ok());
  EXPECT_EQ((*other->FindAccount("alice"))->name, "Alice");
  EXPECT_TRUE(other->FindActiveBan("mallory", "", kT0)->has_value());
  EXPECT_EQ((*other->GetTopic("general"))->text, "hi");
  EXPECT_TRUE(absl::IsAlreadyExists(other->CreateAccount(MakeAccount("alice", "ALICE"))));
}

}  // namespace
}  // namespace chat::identity
