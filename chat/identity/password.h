// chat/identity/password.h: password hashes for registered names (Argon2id, libsodium).
//
// Defines:
//   PasswordOptions   - Argon2id's cost: operations and memory per hash.
//   ValidatePassword  - the reason a new password is refused, if it is.
//   HashPassword      - a password -> a self-describing hash string to store.
//   VerifyPassword    - whether a password matches a stored hash.
//   NeedsRehash       - whether a stored hash was made with other costs than these.
//
// Hashing is deliberately slow (~50-100 ms and 64 MiB with the default costs): never call
// these while holding a lock, or one login stalls everyone sharing it. The functions are
// thread-safe and keep no state; nothing here logs, and the caller must not log a password
// either.

#ifndef CHAT_IDENTITY_PASSWORD_H_
#define CHAT_IDENTITY_PASSWORD_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace chat::identity {

struct PasswordOptions {
  // libsodium's "interactive" costs (2 passes over 64 MiB): its recommendation for an
  // online login, about 50-100 ms on this project's 2-core machine. Concurrent logins
  // each take the memory while hashing; --max_clients bounds how many.
  unsigned long long ops_limit;
  size_t mem_limit;

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

}  // namespace chat::identity

#endif  // CHAT_IDENTITY_PASSWORD_H_
