// chat/moderation.h: the server-wide state of moderation that is not in the identity
// store (issue #12).
//
// Defines:
//   Mute          - who muted a name, until when, why.
//   MuteList      - muted names by NameKey, bounded, in memory (survives reconnects,
//                   not restarts).
//   Moderation    - the --operators names and the mute list, shared by all sessions.
//   AddressArgumentKey - the address key of "/ban 1.2.3.4", or nothing for a name.
//   kMaxTopicBytes, kMaxModerationReasonBytes - text limits.

#ifndef CHAT_MODERATION_H_
#define CHAT_MODERATION_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "chat/identity/store.h"

namespace chat {

// A room topic is a line, not a page.
inline constexpr size_t kMaxTopicBytes = 200;
// A kick, ban or mute reason: shown in one notice.
inline constexpr size_t kMaxModerationReasonBytes = 200;

struct Mute {
  std::string name;  // as the operator typed it, for listing
  absl::Time until = absl::InfiniteFuture();
  std::string by;
  std::string reason;  // at most kMaxModerationReasonBytes
};

// MuteList remembers muted names by NameKey() so that a muted client cannot shake the mute
// off by reconnecting. In memory only: a restart forgets mutes (bans are the lasting
// tool). Bounded: at most `max_entries` at once (0: no bound); expired entries are
// dropped first when room is needed. An entry holds a name key, the name, who muted and
// a reason: at most ~(32 x 3 + 200 + 100) bytes, so 10,000 entries are a few MiB.
// Thread-safe; never blocks on I/O.
class MuteList {
 public:
  explicit MuteList(size_t max_entries) : max_entries_(max_entries) {}

  enum class AddResult { kAdded, kFull };
  // Mutes `key` (replacing an earlier mute of it). kFull: the list holds max_entries
  // mutes still in force at `now`.
  AddResult Add(std::string key, Mute mute, absl::Time now) ABSL_LOCKS_EXCLUDED(mu_);
  // False if `key` was not muted (or its mute had ended).
  bool Remove(std::string_view key, absl::Time now) ABSL_LOCKS_EXCLUDED(mu_);
  // The mute of `key` in force at `now`, if any.
  std::optional<Mute> Find(std::string_view key, absl::Time now) const ABSL_LOCKS_EXCLUDED(mu_);
  // The mutes in force at `now`, soonest to end first (permanent ones last), then by name.
  std::vector<Mute> List(absl::Time now) const ABSL_LOCKS_EXCLUDED(mu_);
  size_t max_entries() const { return max_entries_; }

 private:
  const size_t max_entries_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Mute> mutes_ ABSL_GUARDED_BY(mu_);
};

// Moderation is what sessions share for /op, /kick, /ban, /mute. Thread-safe.
class Moderation {
 public:
  // `operator_keys`: NameKey()s of the --operators names (operators once logged in with
  // their password, whatever the store says).
  Moderation(std::vector<std::string> operator_keys, size_t max_mutes);

  bool IsFlagOperator(std::string_view key) const { return flag_operators_.contains(key); }
  MuteList& mutes() { return mutes_; }

 private:
  const absl::flat_hash_set<std::string> flag_operators_;
  MuteList mutes_;
};

// AddressArgumentKey() reads a moderator's argument as an IPv4 or IPv6 address ("1.2.3.4",
// "2001:db8::1") and returns its address key (chat/abuse/address_key.h: the address, or
// its /64 for IPv6); nullopt if it is not an address (then it is a name).
std::optional<std::string> AddressArgumentKey(std::string_view text);

// IsOperatorKey() says whether the name key is an operator's: one of `moderation`'s flag
// operators (--operators), or an account `identity` marks as one. Never with moderation
// off (null). An error if the store cannot be read, and the caller chooses which way to
// fail: a session granting operator powers says no, an instance asked by another to kick
// someone says yes (a kick can be repeated; a wrong disconnect cannot be undone).
absl::StatusOr<bool> IsOperatorKey(const Moderation* moderation,
                                   identity::IdentityStore* identity, std::string_view key);

}  // namespace chat

#endif  // CHAT_MODERATION_H_
