// chat/name_registry.h: who is connected, by name, server-wide.
//
// Defines:
//   NameRegistry - unique user names (unique by NameKey: case, width and look-alikes
//                  do not make a new name), each mapped to its participant for private
//                  messages.

#ifndef CHAT_NAME_REGISTRY_H_
#define CHAT_NAME_REGISTRY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "chat/core/event.h"

namespace chat {

// UserInfo is what others may learn about a connected user (/whois, /msg's away note).
struct UserInfo {
  std::string name;   // as its owner spells it
  uint64_t id = 0;    // the owner's session id (Event::origin of what it says)
  std::string room;
  absl::Time connected_at = absl::InfinitePast();
  absl::Time last_line_at = absl::InfinitePast();  // its last line, or its login
  std::string away;   // the away message; empty: not away
  std::string address;  // "1.2.3.4:5678": shown only to those allowed (see FormatWhois)
  std::string address_key;  // AddressKey() of that address (for /ban)
  // True while the name is the account its user proved to own (password or /register).
  bool registered = false;
};

// Recipient is whoever owns a name: it can be sent a private message. Its methods are
// called with the registry locked and must not block or call back into it.
class Recipient {
 public:
  virtual ~Recipient() = default;
  virtual void DeliverPrivate(EventPtr event) = 0;
  // What others may learn about this user; by default only the name and id it was
  // claimed with.
  virtual UserInfo Describe() const { return {}; }
  // Disconnect this user, saying `goodbye` (an operator's /kick). Must not block.
  virtual void Kick(std::string goodbye) {}
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
  // claimed; false if taken. `id` (unique among owners; 0: none) lets the owner be found
  // whatever it is called later (FindById).
  bool Claim(std::string_view name, Recipient* owner, uint64_t id = 0) ABSL_LOCKS_EXCLUDED(mu_);

  // NameRegistry::Rename() moves `from`'s owner to `to` atomically; false (and nothing
  // changes) if `from` is not claimed (as spelled) or `to` is taken by someone else.
  // `to` may share `from`'s key (alice -> Alice): only the displayed spelling changes.
  // `to` may also be a reservation of the same owner: claimed by it as spelled, with id
  // 0, to hold the name while the owner checks it may have it; the rename then takes
  // the reservation's place, so the name is never free in between.
  bool Rename(std::string_view from, std::string_view to) ABSL_LOCKS_EXCLUDED(mu_);

  // NameRegistry::Release() frees a claimed name, given as spelled by its owner.
  void Release(std::string_view name) ABSL_LOCKS_EXCLUDED(mu_);

  // NameRegistry::DeliverTo() hands `event` to the client whose name has `name`'s
  // key; false if nobody has such a name. If given, `to` is filled with the
  // recipient's Describe() (e.g. for its away message).
  bool DeliverTo(std::string_view name, EventPtr event, UserInfo* to = nullptr)
      ABSL_LOCKS_EXCLUDED(mu_);
  // NameRegistry::DeliverToId() is DeliverTo() for the owner claimed with `id`,
  // whatever it is called now: false if it is gone.
  bool DeliverToId(uint64_t id, EventPtr event, UserInfo* to = nullptr) ABSL_LOCKS_EXCLUDED(mu_);

  // NameRegistry::Kick() disconnects the owner of `name` (by key) with `goodbye`; false
  // if nobody has the name. If given, `who` is filled with its Describe() first.
  bool Kick(std::string_view name, std::string goodbye, UserInfo* who = nullptr)
      ABSL_LOCKS_EXCLUDED(mu_);

  // NameRegistry::Find() describes the owner of `name` (by key); nullopt if nobody.
  // `name` and `id` are always the registry's own.
  std::optional<UserInfo> Find(std::string_view name) const ABSL_LOCKS_EXCLUDED(mu_);
  // NameRegistry::FindById() describes the owner claimed with `id` (non-zero).
  std::optional<UserInfo> FindById(uint64_t id) const ABSL_LOCKS_EXCLUDED(mu_);

  size_t size() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Owner {
    std::string display_name;  // as the owner spelled it
    Recipient* recipient;
    uint64_t id = 0;
  };
  static UserInfo DescribeLocked(const Owner& owner);

  mutable absl::Mutex mu_;
  // Keyed by NameKey(display_name). Keys are computed before taking mu_: ICU's work
  // stays outside the lock.
  absl::flat_hash_map<std::string, Owner> owners_ ABSL_GUARDED_BY(mu_);
  // Owner id -> its key in owners_, for owners claimed with an id.
  absl::flat_hash_map<uint64_t, std::string> keys_by_id_ ABSL_GUARDED_BY(mu_);
};

}  // namespace chat

#endif  // CHAT_NAME_REGISTRY_H_
