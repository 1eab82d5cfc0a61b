// chat/testing/hooked_store.h: an IdentityStore that forwards to another and lets a test
// act between a session's reads, to stage what another session or server would do at
// that moment (a password changed between a login's read and its claim).

#ifndef CHAT_TESTING_HOOKED_STORE_H_
#define CHAT_TESTING_HOOKED_STORE_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "chat/identity/store.h"

namespace chat::testing {

class HookedStore final : public identity::IdentityStore {
 public:
  // Runs after the n-th FindAccount (n from 1) has read its answer, before it returns.
  using Hook = std::function<void(int n, std::string_view key)>;

  explicit HookedStore(identity::IdentityStore* inner) : inner_(inner) {}

  void set_after_find_account(Hook hook) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    after_find_account_ = std::move(hook);
  }

  absl::StatusOr<std::optional<identity::Account>> FindAccount(std::string_view key) override {
    absl::StatusOr<std::optional<identity::Account>> found = inner_->FindAccount(key);
    Hook hook;
    int n = 0;
    {
      absl::MutexLock lock(&mu_);
      n = ++find_account_calls_;
      hook = after_find_account_;
    }
    if (hook) hook(n, key);
    return found;
  }

  absl::Status CreateAccount(const identity::Account& account) override {
    return inner_->CreateAccount(account);
  }
  absl::Status SetPasswordHash(std::string_view key, std::string_view hash) override {
    return inner_->SetPasswordHash(key, hash);
  }
  absl::Status ReplacePasswordHash(std::string_view key, std::string_view expected,
                                   std::string_view new_hash) override {
    return inner_->ReplacePasswordHash(key, expected, new_hash);
  }
  absl::Status SetOperator(std::string_view key, bool is_operator) override {
    return inner_->SetOperator(key, is_operator);
  }
  absl::Status DeleteAccount(std::string_view key) override { return inner_->DeleteAccount(key); }
  absl::StatusOr<int64_t> AddBan(const identity::Ban& ban) override { return inner_->AddBan(ban); }
  absl::StatusOr<std::optional<identity::Ban>> FindActiveBan(std::string_view name_key,
                                                             std::string_view address_key,
                                                             absl::Time now) override {
    return inner_->FindActiveBan(name_key, address_key, now);
  }
  absl::StatusOr<int> RemoveBansByName(std::string_view name_key) override {
    return inner_->RemoveBansByName(name_key);
  }
  absl::StatusOr<int> RemoveBansByAddress(std::string_view address_key) override {
    return inner_->RemoveBansByAddress(address_key);
  }
  absl::StatusOr<std::vector<identity::Ban>> ListActiveBans(absl::Time now) override {
    return inner_->ListActiveBans(now);
  }
  absl::StatusOr<int> RemoveExpiredBans(absl::Time now) override {
    return inner_->RemoveExpiredBans(now);
  }
  absl::Status SetTopic(std::string_view room_key, const identity::Topic& topic) override {
    return inner_->SetTopic(room_key, topic);
  }
  absl::StatusOr<std::optional<identity::Topic>> GetTopic(std::string_view room_key) override {
    return inner_->GetTopic(room_key);
  }
  absl::Status ClearTopic(std::string_view room_key) override {
    return inner_->ClearTopic(room_key);
  }
  using identity::IdentityStore::AddIgnore;
  absl::Status AddIgnore(std::string_view account_key, const identity::IgnoredName& ignored,
                         size_t max_entries) override {
    return inner_->AddIgnore(account_key, ignored, max_entries);
  }
  absl::Status RemoveIgnore(std::string_view account_key, std::string_view ignored_key) override {
    return inner_->RemoveIgnore(account_key, ignored_key);
  }
  absl::StatusOr<std::vector<identity::IgnoredName>> ListIgnores(
      std::string_view account_key) override {
    return inner_->ListIgnores(account_key);
  }

 private:
  identity::IdentityStore* const inner_;
  absl::Mutex mu_;
  Hook after_find_account_ ABSL_GUARDED_BY(mu_);
  int find_account_calls_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace chat::testing

#endif  // CHAT_TESTING_HOOKED_STORE_H_
