// chat/identity/password.h: password hashes for registered names (Argon2id, libsodium).
//
// Defines:
//   PasswordOptions   - Argon2id's cost: operations and memory per hash.
//   ValidatePassword  - the reason a new password is refused, if it is.
//   HashPassword      - a password -> a self-describing hash string to store.
//   VerifyPassword    - whether a password matches a stored hash.
//   NeedsRehash       - whether a stored hash was made with other costs than these.
//   LimitConcurrentHashing - how many hashes may run at once in the process.
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

#ifndef CHAT_IDENTITY_PASSWORD_H_
#define CHAT_IDENTITY_PASSWORD_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

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
// with a fresh random salt. Fails only if libsodium cannot start or the costs are out of
// its range, or memory runs out (ResourceExhausted).
absl::StatusOr<std::string> HashPassword(std::string_view password,
                                         const PasswordOptions& options);

// VerifyPassword() is true iff `password` produced `hash` (with the costs the hash names).
// False for a malformed hash. Takes as long as hashing does.
bool VerifyPassword(std::string_view password, std::string_view hash);

// NeedsRehash() is true if `hash` is not an Argon2id hash with exactly these costs (or is
// malformed): after a successful login, the caller may store HashPassword() of the same
// password, so raising the costs upgrades accounts as people log in.
bool NeedsRehash(std::string_view hash, const PasswordOptions& options);

// LimitConcurrentHashing() sets how many HashPassword / VerifyPassword calls may run at
// once in this process (default 2, the cores this project targets); further callers wait
// for a slot. 0: no limit. Callers already waiting keep waiting for the new limit.
void LimitConcurrentHashing(int max_hashes);

// The most hashes that have run at once since the last LimitConcurrentHashing() call (or
// the start), for tests.
int PeakConcurrentHashes();

}  // namespace chat::identity

#endif  // CHAT_IDENTITY_PASSWORD_H_
