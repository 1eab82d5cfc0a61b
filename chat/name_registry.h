// chat/name_registry.h: which names are taken, server-wide.
//
// Defines:
//   NameRegistry - Claim/Release of unique user names.

#ifndef CHAT_NAME_REGISTRY_H_
#define CHAT_NAME_REGISTRY_H_

#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"

namespace chat {

// NameRegistry makes names unique among connected clients, across every room. Names
// compare byte for byte. Thread-safe.
class NameRegistry {
 public:
  // NameRegistry::Claim() takes `name` if it is free; false if someone has it.
  bool Claim(std::string_view name) ABSL_LOCKS_EXCLUDED(mu_);

  // NameRegistry::Release() frees a name taken by Claim().
  void Release(std::string_view name) ABSL_LOCKS_EXCLUDED(mu_);

  size_t size() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  mutable absl::Mutex mu_;
  absl::flat_hash_set<std::string> names_ ABSL_GUARDED_BY(mu_);
};

}  // namespace chat

#endif  // CHAT_NAME_REGISTRY_H_
