// chat/identity/password.h: password hashes for registered names (Argon2id, libsodium).
//
// Defines:
//   PasswordOptions   - Argon2id's cost: operations and memory per hash.
//   ValidatePassword  - the reason a new password is refused, if it is.
//   HashPassword      - a password -> a self-describing hash string to store.
//   VerifyPassword    - whether a password matches a stored hash.
//   NeedsRehash       - whether a stored hash was made with other costs than these.
//   LimitConcurrentHashing - how many hashes may run at once in the process.
//   LimitHashingWait       - how long a caller waits for one of those slots.
//   HashingSlots           - the slots: first come, first served, with a bounded wait.
//   TryVerifyPassword      - VerifyPassword, or "busy" when no slot came in time.
//
// Hashing is deliberately slow (tens of milliseconds and 19 MiB with the default costs):
// never call these while holding a lock, or one login stalls everyone sharing it. The
// functions are thread-safe; nothing here logs, and the caller must not log a password
// either.
//
// Memory is the attack surface: every hash in progress holds its full memory cost, and a
// crowd of clients typing wrong passwords from many addresses (the login throttle is per
// address) would otherwise hold it all at once. HashPassword and VerifyPassword therefore
// wait for one of a fixed number of slots, so the total is bounded by
// slots x mem_limit whatever clients do; a waiting caller blocks only its own client.
// Slots are handed out in the order callers asked (tickets), so a client repeating
// /register or wrong logins goes to the back of the queue each time and cannot starve the
// others; and a caller waits at most the configured time (LimitHashingWait), after which
// it is told "busy" (DeadlineExceeded) instead of hanging behind a flood.

#ifndef CHAT_IDENTITY_PASSWORD_H_
#define CHAT_IDENTITY_PASSWORD_H_

#include <cstddef>
#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace chat::identity {

struct PasswordOptions {
  unsigned long long ops_limit;
  size_t mem_limit;

  // The server's costs: 2 passes over 19 MiB, OWASP's recommended Argon2id minimum for
  // online logins (libsodium's own "interactive" preset uses 64 MiB, which two cores'
  // worth of concurrent logins cannot afford beside thousands of clients).
  static PasswordOptions Interactive();
  // The smallest costs libsodium allows (1 pass over 8 KiB): a hash in well under a
  // millisecond, for tests only. Not a flag: a server never runs with it.
  static PasswordOptions FastForTests();
};

inline constexpr size_t kMinPasswordBytes = 8;
// Argon2 takes any length, but a password is typed at a prompt; the bound keeps hashing
// cost independent of what a client sends.
inline constexpr size_t kMaxPasswordBytes = 256;

// ValidatePassword() returns std::nullopt for an acceptable new password, otherwise one
// sentence for the user. Only the length is checked (kMinPasswordBytes..kMaxPasswordBytes
// bytes, after the line's trailing `\r` is gone): any byte, spaces included, may be part
// of a password.
std::optional<std::string> ValidatePassword(std::string_view password);

// HashPassword() returns an encoded Argon2id hash ("$argon2id$v=19$m=...,t=...,p=1$salt$hash")
// with a fresh random salt. DeadlineExceeded if no hashing slot came within the wait
// limit (the server is busy: nothing was done); otherwise fails only if libsodium cannot
// start or the costs are out of its range, or memory runs out (ResourceExhausted).
absl::StatusOr<std::string> HashPassword(std::string_view password,
                                         const PasswordOptions& options);

// VerifyPassword() is true iff `password` produced `hash` (with the costs the hash names).
// False for a malformed hash, and at once, unhashed, for a password longer than
// kMaxPasswordBytes (no account can have one). Otherwise takes as long as hashing does. Waits for a slot without
// bound (for tools and tests); a server answering a client uses TryVerifyPassword.
bool VerifyPassword(std::string_view password, std::string_view hash);

// TryVerifyPassword() is VerifyPassword() whose wait for a slot is bounded by
// LimitHashingWait(): DeadlineExceeded if none came in time (nothing was checked).
absl::StatusOr<bool> TryVerifyPassword(std::string_view password, std::string_view hash);

// NeedsRehash() is true if `hash` is not an Argon2id hash with exactly these costs (or is
// malformed): after a successful login, the caller may store HashPassword() of the same
// password, so raising the costs upgrades accounts as people log in.
bool NeedsRehash(std::string_view hash, const PasswordOptions& options);

// LimitConcurrentHashing() sets how many HashPassword / VerifyPassword calls may run at
// once in this process (default 2, the cores this project targets); further callers wait
// for a slot. 0: no limit. Callers already waiting keep waiting for the new limit.
void LimitConcurrentHashing(int max_hashes);

// LimitHashingWait() sets how long HashPassword / TryVerifyPassword wait for a slot before
// giving up with DeadlineExceeded (default 10 s). Zero or less: wait as long as it takes.
void LimitHashingWait(absl::Duration max_wait);

// The most hashes that have run at once since the last LimitConcurrentHashing() call (or
// the start), for tests.
int PeakConcurrentHashes();

// HashingSlots: at most `limit` holders at once, handed out first come, first served.
// Each caller takes a ticket; only the oldest waiting ticket may take a free slot, so a
// caller that releases and asks again queues behind everyone already waiting (absl's
// Await alone lets whoever grabs the mutex first win). A caller that gives up (its wait
// expired) leaves the queue at once and holds up nobody. Thread-safe.
class HashingSlots {
 public:
  // The process-wide slots that HashPassword and VerifyPassword use.
  static HashingSlots& Global();

  // `limit` <= 0: no limit. `max_wait` <= 0: wait without bound.
  HashingSlots(int limit, absl::Duration max_wait) : limit_(limit), max_wait_(max_wait) {}
  HashingSlots(const HashingSlots&) = delete;
  HashingSlots& operator=(const HashingSlots&) = delete;

  void SetLimit(int limit) ABSL_LOCKS_EXCLUDED(mu_);
  void SetMaxWait(absl::Duration max_wait) ABSL_LOCKS_EXCLUDED(mu_);

  // Acquire() waits for a slot, at most max_wait (unless `bounded` is false); false if it
  // gave up. Each true Acquire() needs one Release().
  bool Acquire(bool bounded = true) ABSL_LOCKS_EXCLUDED(mu_);
  void Release() ABSL_LOCKS_EXCLUDED(mu_);

  // Callers waiting now, for tests.
  int waiting() const ABSL_LOCKS_EXCLUDED(mu_);
  int peak() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  bool HasRoom() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return limit_ <= 0 || in_progress_ < limit_;
  }

  mutable absl::Mutex mu_;
  int limit_ ABSL_GUARDED_BY(mu_);
  absl::Duration max_wait_ ABSL_GUARDED_BY(mu_);
  int in_progress_ ABSL_GUARDED_BY(mu_) = 0;
  int peak_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t next_ticket_ ABSL_GUARDED_BY(mu_) = 0;
  // Tickets waiting, oldest first; only the front may take a slot.
  std::list<uint64_t> queue_ ABSL_GUARDED_BY(mu_);
};

}  // namespace chat::identity

#endif  // CHAT_IDENTITY_PASSWORD_H_
