// chat/testing/fake_shared_names.h: the rest of a cluster's names (chat/name_registry.h's
// SharedNames), as a session sees them, for session tests without Redis.

#ifndef CHAT_TESTING_FAKE_SHARED_NAMES_H_
#define CHAT_TESTING_FAKE_SHARED_NAMES_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "chat/name.h"
#include "chat/name_registry.h"

namespace chat::testing {

// FakeSharedNames grants every claim of a name no other instance has, and finds the
// users of the other instances that AddElsewhere() put there. Thread-safe.
class FakeSharedNames final : public SharedNames {
 public:
  ClaimResult Claim(std::string_view key, std::string_view) override ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    return elsewhere_.contains(key) ? ClaimResult::kTaken : ClaimResult::kClaimed;
  }
  void Release(std::string_view) override {}
  void Publish(std::string_view, const UserInfo&) override {}
  Listing ListElsewhere() override ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    Listing listing;
    for (const auto& [key, info] : elsewhere_) listing.users.push_back(info);
    return listing;
  }
  std::optional<UserInfo> FindElsewhere(std::string_view key) override ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    auto it = elsewhere_.find(key);
    if (it == elsewhere_.end()) return std::nullopt;
    return it->second;
  }

  // `name` is connected to another instance.
  void AddElsewhere(std::string_view name) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    UserInfo info;
    info.name = std::string(name);
    elsewhere_[NameKey(name)] = std::move(info);
  }

 private:
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, UserInfo> elsewhere_ ABSL_GUARDED_BY(mu_);
};

}  // namespace chat::testing

#endif  // CHAT_TESTING_FAKE_SHARED_NAMES_H_
