// chat/name_registry.h: who is connected, by name, server-wide.
//
// Defines:
//   NameRegistry - unique user names, each mapped to its participant for private
//                  messages.

#ifndef CHAT_NAME_REGISTRY_H_
#define CHAT_NAME_REGISTRY_H_

#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "chat/outbox.h"
#include "chat/room.h"

namespace chat {

// NameRegistry makes names unique among connected clients, across every room (names
// compare byte for byte), and finds a client by name for /msg. A participant must
// Release() its name before it is destroyed. Thread-safe.
//
// Lock order: NameRegistry::mu_, then Outbox's (DeliverTo pushes while locked, which
// never blocks). Never held together with a Room's lock.
class NameRegistry {
 public:
  // NameRegistry::Claim() takes `name` for `owner` if it is free; false if taken.
  bool Claim(std::string_view name, Participant* owner) ABSL_LOCKS_EXCLUDED(mu_);

  // NameRegistry::Rename() moves `from`'s owner to `to` atomically; false (and nothing
  // changes) if `to` is taken.
  bool Rename(std::string_view from, std::string_view to) ABSL_LOCKS_EXCLUDED(mu_);

  // NameRegistry::Release() frees a claimed name.
  void Release(std::string_view name) ABSL_LOCKS_EXCLUDED(mu_);

  // NameRegistry::DeliverTo() queues `line` as an event for the client called `name`;
  // false if nobody has that name.
  bool DeliverTo(std::string_view name, const SharedText& line) ABSL_LOCKS_EXCLUDED(mu_);

  size_t size() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Participant*> owners_ ABSL_GUARDED_BY(mu_);
};

}  // namespace chat

#endif  // CHAT_NAME_REGISTRY_H_
