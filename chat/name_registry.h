// chat/name_registry.h: who is connected, by name, server-wide.
//
// Defines:
//   NameRegistry - unique user names (unique by NameKey: case, width and look-alikes
//                  do not make a new name), each mapped to its participant for private
//                  messages.
//   ClaimResult  - a claim's outcome: claimed, taken, or undecidable (shared names down).
//   SharedNames  - names and presence shared with other servers (--redis), which the
//                  registry consults on every claim; chat/cluster/presence implements it.

#ifndef CHAT_NAME_REGISTRY_H_
#define CHAT_NAME_REGISTRY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

enum class ClaimResult {
  kClaimed,
  kTaken,        // someone has it, here or on another server
  kUnavailable,  // the other servers cannot be asked: refused, never granted blind
};

// SharedNames is the rest of the cluster (--redis): names are unique across every server,
// and each server tells the others who is connected to it. Each method may block on the
// network, so none is ever called with a lock held. Thread-safe.
class SharedNames {
 public:
  virtual ~SharedNames() = default;
  // Takes `key` (a NameKey) cluster-wide for this server; `name` as spelled, for logs and
  // for the owner's kick if the name is ever lost.
  virtual ClaimResult Claim(std::string_view key, std::string_view name) = 0;
  // Gives `key` back (only if this server still holds it) and forgets its presence.
  virtual void Release(std::string_view key) = 0;
  // What other servers may learn of the user holding `key` here, after it changed (login,
  // room, away, name, registration).
  virtual void Publish(std::string_view key, const UserInfo& info) = 0;

  // The users of the other live servers (id 0; address as their server saw it).
  struct Listing {
    std::vector<UserInfo> users;
    bool truncated = false;    // there were more than the bound; these are the first
    bool unavailable = false;  // the other servers could not be asked
  };
  virtual Listing ListElsewhere() = 0;
  // The user holding `key` on another server, if any.
  virtual std::optional<UserInfo> FindElsewhere(std::string_view key) = 0;
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
//
// With SharedNames (Share()), a claim is taken here first, then cluster-wide with no lock
// held, and undone here if the cluster refuses it; releases are passed on likewise.
class NameRegistry {
 public:
  // NameRegistry::Share() makes names unique across servers too. Before any claim; not
  // owned, and must outlive the registry's last Release().
  void Share(SharedNames* shared) { shared_ = shared; }
  SharedNames* shared() const { return shared_; }

  // NameRegistry::TryClaim() is Claim() saying why it failed.
  ClaimResult TryClaim(std::string_view name, Recipient* owner, uint64_t id = 0)
      ABSL_LOCKS_EXCLUDED(mu_);
  // NameRegistry::Claim() takes `name` for `owner` if no name with the same key is
  // claimed; false if taken. `id` (unique among owners; 0: none) lets the owner be found
  // whatever it is called later (FindById).
  bool Claim(std::string_view name, Recipient* owner, uint64_t id = 0) ABSL_LOCKS_EXCLUDED(mu_) {
    return TryClaim(name, owner, id) == ClaimResult::kClaimed;
  }

  // NameRegistry::Rename() moves `from`'s owner to `to` atomically; false (and nothing
  // changes) if `from` is not claimed (as spelled) or `to` is taken by someone else.
  // `to` may share `from`'s key (alice -> Alice): only the displayed spelling changes.
  // `to` may also be a reservation of the same owner: claimed by it as spelled, with id
  // 0, to hold the name while the owner checks it may have it; the rename then takes
  // the reservation's place, so the name is never free in between.
  // With SharedNames, a `to` that is not yet reserved is claimed cluster-wide first (held
  // here as a reservation meanwhile) and `from`'s key is released once the rename is done.
  bool Rename(std::string_view from, std::string_view to) ABSL_LOCKS_EXCLUDED(mu_) {
    return TryRename(from, to) == ClaimResult::kClaimed;
  }
  ClaimResult TryRename(std::string_view from, std::string_view to) ABSL_LOCKS_EXCLUDED(mu_);

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

  // NameRegistry::DescribeAll() describes every owner claimed with an id (reservations
  // are not users), with its name's key: what this server tells the others.
  std::vector<std::pair<std::string, UserInfo>> DescribeAll() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Owner {
    std::string display_name;  // as the owner spelled it
    Recipient* recipient;
    uint64_t id = 0;
  };
  static UserInfo DescribeLocked(const Owner& owner);
  // The local half of Rename(); false if `from` is not claimed as spelled or `to` is
  // someone else's.
  bool RenameLocal(std::string_view from, std::string_view to) ABSL_LOCKS_EXCLUDED(mu_);
  // Undoes a local claim the cluster refused, if it is still that claim.
  void Unclaim(const std::string& key, Recipient* owner, uint64_t id) ABSL_LOCKS_EXCLUDED(mu_);

  SharedNames* shared_ = nullptr;

  mutable absl::Mutex mu_;
  // Keyed by NameKey(display_name). Keys are computed before taking mu_: ICU's work
  // stays outside the lock.
  absl::flat_hash_map<std::string, Owner> owners_ ABSL_GUARDED_BY(mu_);
  // Owner id -> its key in owners_, for owners claimed with an id.
  absl::flat_hash_map<uint64_t, std::string> keys_by_id_ ABSL_GUARDED_BY(mu_);
};

}  // namespace chat

#endif  // CHAT_NAME_REGISTRY_H_
