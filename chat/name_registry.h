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
#include "chat/core/event.h"

namespace chat {

// Recipient is whoever owns a name: it can be sent a private message. DeliverPrivate()
// is called with the registry locked and must not block or call back into it.
class Recipient {
 public:
  virtual ~Recipient() = default;
  virtual void DeliverPrivate(EventPtr event) = 0;
};

// NameRegistry makes names unique among connected clients, across every room (names
// compare byte for byte), and finds a client by name for /msg. A participant must
// Release() its name before it is destroyed. Thread-safe.
//
// Lock order: NameRegistry::mu_, then Outbox's (DeliverTo pushes while locked, which
// never blocks). Never held together with a Room's lock.
class NameRegistry {
 public:
  // NameRegistry::Claim() takes `name` for `owner` if it is free; false if taken.
  bool Claim(std::string_view name, Recipient* owner) ABSL_LOCKS_EXCLUDED(mu_);

  // NameRegistry::Rename() moves `from`'s owner to `to` atomically; false (and nothing
  // changes) if `to` is taken.
  bool Rename(std::string_view from, std::string_view to) ABSL_LOCKS_EXCLUDED(mu_);

  // NameRegistry::Release() frees a claimed name.
  void Release(std::string_view name) ABSL_LOCKS_EXCLUDED(mu_);

  // NameRegistry::DeliverTo() hands `event` to the client called `name`; false if
  // nobody has that name.
  bool DeliverTo(std::string_view name, EventPtr event) ABSL_LOCKS_EXCLUDED(mu_);

  size_t size() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Recipient*> owners_ ABSL_GUARDED_BY(mu_);
};

}  // namespace chat

#endif  // CHAT_NAME_REGISTRY_H_
