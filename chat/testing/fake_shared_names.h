// chat/testing/fake_shared_names.h: the rest of a cluster as the name registry sees it
// (SharedNames in chat/name_registry.h), for tests without Redis.

#ifndef CHAT_TESTING_FAKE_SHARED_NAMES_H_
#define CHAT_TESTING_FAKE_SHARED_NAMES_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "chat/name.h"
#include "chat/name_registry.h"

namespace chat::testing {

// FakeSharedNames: names other servers hold (`elsewhere`, by key) and the users they
// describe (`users`, by key); records claims and releases (Calls()). Set it up before
// sessions use it; thread-safe after.
class FakeSharedNames final : public SharedNames {
 public:
  ClaimResult Claim(std::string_view key, std::string_view name) override
      ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    if (down) return ClaimResult::kUnavailable;
    if (elsewhere.contains(std::string(key)) || users.contains(std::string(key))) {
      return ClaimResult::kTaken;
    }
    calls.push_back("claim " + std::string(name));
    return ClaimResult::kClaimed;
  }
  void Release(std::string_view key) override ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    calls.push_back("release " + std::string(key));
  }
  void Publish(std::string_view, const UserInfo&) override {}
  Listing ListElsewhere() override ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    Listing listing;
    for (const auto& [key, info] : users) listing.users.push_back(info);
    listing.unavailable = down;
    return listing;
  }
  std::optional<UserInfo> FindElsewhere(std::string_view key) override ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    const auto it = users.find(std::string(key));
    if (it == users.end()) return std::nullopt;
    return it->second;
  }

  // `name` is connected to another instance.
  void AddElsewhere(std::string_view name) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    UserInfo info;
    info.name = std::string(name);
    users[NameKey(name)] = std::move(info);
  }

  // Not guarded: set before the sessions start, read by them after.
  bool down = false;
  std::set<std::string> elsewhere;
  std::map<std::string, UserInfo> users;

  std::vector<std::string> Calls() const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    return calls;
  }
  void ClearCalls() ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    calls.clear();
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<std::string> calls ABSL_GUARDED_BY(mu_);
};

}  // namespace chat::testing

#endif  // CHAT_TESTING_FAKE_SHARED_NAMES_H_
