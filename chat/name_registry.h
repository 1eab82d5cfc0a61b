// chat/name_registry.h: who is connected, by name, server-wide.
//
// Defines:
//   NameRegistry - unique user names (unique by NameKey: case, width and look-alikes
//                  do not make a new name), each mapped to its participant for private
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

// NameRegistry makes names unique among connected clients, across every room, and finds
// a client by name for /msg. Names are compared by NameKey() (chat/name.h), so `Alice`
// is taken while `alice` is online, and so are `АLICE` with a Cyrillic `А` and
// full-width `ａｌｉｃｅ`; /msg ALICE reaches alice. The name as the owner spelled it is
// kept for display. A participant must Release() its name before it is destroyed.
// Thread-safe.
//
// Lock order: NameRegistry::mu_, then Outbox's (DeliverTo pushes while locked, which
// never blocks). Never held together with a Room's lock.
class NameRegistry {
 public:
  // NameRegistry::Claim() takes `name` for `owner` if no name with the same key is
  // claimed; false if taken.
  bool Claim(std::string_view name, Recipient* owner) ABSL_LOCKS_EXCLUDED(mu_);

  // NameRegistry::Rename() moves `from`'s owner to `to` atomically; false (and nothing
  // changes) if `from` is not claimed (as spelled) or `to` is taken by someone else.
  // `to` may share `from`'s key (alice -> Alice): only the displayed spelling changes.
  bool Rename(std::string_view from, std::string_view to) ABSL_LOCKS_EXCLUDED(mu_);

  // NameRegistry::Release() frees a claimed name, given as spelled by its owner.
  void Release(std::string_view name) ABSL_LOCKS_EXCLUDED(mu_);

  // NameRegistry::DeliverTo() hands `event` to the client whose name has `name`'s
  // key; false if nobody has such a name.
  bool DeliverTo(std::string_view name, EventPtr event) ABSL_LOCKS_EXCLUDED(mu_);

  size_t size() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Owner {
    std::string display_name;  // as the owner spelled it
    Recipient* recipient;
  };

  mutable absl::Mutex mu_;
  // Keyed by NameKey(display_name). Keys are computed before taking mu_: ICU's work
  // stays outside the lock.
  absl::flat_hash_map<std::string, Owner> owners_ ABSL_GUARDED_BY(mu_);
};

}  // namespace chat

#endif  // CHAT_NAME_REGISTRY_H_
