// chat/testing/fake_remote_users.h: the other instances of a cluster, as a session sees
// them (chat/remote_users.h), for session tests without Redis.

#ifndef CHAT_TESTING_FAKE_REMOTE_USERS_H_
#define CHAT_TESTING_FAKE_REMOTE_USERS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "chat/remote_users.h"

namespace chat::testing {

// FakeRemoteUsers records what sessions send ("alice->zed:text", a reply as
// "alice->zed@b#7:text", "kick zed:goodbye") and answers every call with result().
// Thread-safe.
class FakeRemoteUsers final : public RemoteUsers {
 public:
  Result SendPrivate(std::string_view recipient, std::string_view sender, std::string_view text,
                     uint64_t /*sender_id*/) override ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    sent_.push_back(absl::StrCat(sender, "->", recipient, ":", text));
    return result_;
  }
  Result ReplyPrivate(std::string_view instance, uint64_t session, std::string_view recipient,
                      std::string_view sender, std::string_view text,
                      uint64_t /*sender_id*/) override ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    sent_.push_back(absl::StrCat(sender, "->", recipient, "@", instance, "#", session, ":", text));
    return result_;
  }
  Result Kick(std::string_view name, std::string_view goodbye) override ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    sent_.push_back(absl::StrCat("kick ", name, ":", goodbye));
    return result_;
  }

  std::vector<std::string> Sent() const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    return sent_;
  }
  void set_result(Result result) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    result_ = result;
  }

 private:
  mutable absl::Mutex mu_;
  Result result_ ABSL_GUARDED_BY(mu_) = Result::kSent;
  std::vector<std::string> sent_ ABSL_GUARDED_BY(mu_);
};

}  // namespace chat::testing

#endif  // CHAT_TESTING_FAKE_REMOTE_USERS_H_
