// chat/identity/store.h: what the server remembers about people across restarts.
//
// Defines:
//   Account        - a registered name: its key, spelling, password hash, operator flag.
//   Ban            - a name key and/or address key refused until some time.
//   Topic          - a room's topic.
//   IgnoredName    - one entry of an account's ignore list.
//   IdentityStore  - the interface: accounts, bans, topics, ignore lists.
//
// Storage-neutral on purpose: SqliteStore (sqlite_store.h) keeps one server's data in a
// file; a shared store for several server instances can implement the same interface.
// Names and rooms are keyed by NameKey() (chat/name.h), so a look-alike of a registered
// name is the same account; addresses by AddressKey() (chat/abuse/address_key.h). The
// store never validates or normalises keys itself: callers pass keys, not spellings.
// Times are stored to the microsecond.
//
// Every method is thread-safe, may block on I/O (call it without holding a session or
// room lock), and returns an error Status only when the storage itself fails (or, where
// documented, for NotFound / AlreadyExists).

#ifndef CHAT_IDENTITY_STORE_H_
#define CHAT_IDENTITY_STORE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace chat::identity {

struct Account {
  std::string key;            // NameKey(name)
  std::string name;           // the spelling it was registered with, for display
  std::string password_hash;  // HashPassword() output; never the password
  bool is_operator = false;
  absl::Time created;

  friend bool operator==(const Account&, const Account&) = default;
};

struct Ban {
  int64_t id = 0;            // assigned by AddBan
  std::string name_key;      // NameKey of the banned name; empty = any name
  std::string address_key;   // AddressKey of the banned source; empty = any address
  absl::Time until = absl::InfiniteFuture();  // InfiniteFuture = permanent
  std::string reason;
  std::string by;            // who banned (display name), for /bans and the logs
  absl::Time created;

  bool permanent() const { return until == absl::InfiniteFuture(); }
  friend bool operator==(const Ban&, const Ban&) = default;
};

struct Topic {
  std::string text;
  std::string set_by;  // display name
  absl::Time set_at;

  friend bool operator==(const Topic&, const Topic&) = default;
};

struct IgnoredName {
  std::string key;   // NameKey(name)
  std::string name;  // as the user typed it, for listing

  friend bool operator==(const IgnoredName&, const IgnoredName&) = default;
};

class IdentityStore {
 public:
  virtual ~IdentityStore() = default;

  // --- Accounts, keyed by Account::key.
  // AlreadyExists if the key is registered.
  virtual absl::Status CreateAccount(const Account& account) = 0;
  // std::nullopt if the key is not registered.
  virtual absl::StatusOr<std::optional<Account>> FindAccount(std::string_view key) = 0;
  // NotFound if the key is not registered.
  virtual absl::Status SetPasswordHash(std::string_view key, std::string_view password_hash) = 0;
  // Compare-and-set: stores `new_hash` only if the account's hash is still `expected`
  // (the one a password was just verified against), so a re-hash at login never
  // overwrites a password changed meanwhile. FailedPrecondition if the hash changed,
  // NotFound if the key is not registered.
  virtual absl::Status ReplacePasswordHash(std::string_view key, std::string_view expected,
                                           std::string_view new_hash) = 0;
  virtual absl::Status SetOperator(std::string_view key, bool is_operator) = 0;
  // Also removes the account's ignore list. NotFound if the key is not registered.
  virtual absl::Status DeleteAccount(std::string_view key) = 0;

  // --- Bans. A ban needs a name key or an address key (InvalidArgument otherwise); it
  // applies to a client whose name key or address key equals one it has.
  // Returns the new ban's id.
  virtual absl::StatusOr<int64_t> AddBan(const Ban& ban) = 0;
  // The ban in force at `now` (until > now) for a client with these keys, the
  // longest-lasting if several; an empty key matches nothing (an address alone can be
  // checked before the client gives a name).
  virtual absl::StatusOr<std::optional<Ban>> FindActiveBan(std::string_view name_key,
                                                           std::string_view address_key,
                                                           absl::Time now) = 0;
  // Remove every ban (active or expired) with this name key, or address key; return how
  // many went.
  virtual absl::StatusOr<int> RemoveBansByName(std::string_view name_key) = 0;
  virtual absl::StatusOr<int> RemoveBansByAddress(std::string_view address_key) = 0;
  // Bans in force at `now`, oldest first.
  virtual absl::StatusOr<std::vector<Ban>> ListActiveBans(absl::Time now) = 0;
  // Forget bans that ended before `now`; returns how many.
  virtual absl::StatusOr<int> RemoveExpiredBans(absl::Time now) = 0;

  // --- Room topics, keyed by NameKey(room).
  virtual absl::Status SetTopic(std::string_view room_key, const Topic& topic) = 0;
  virtual absl::StatusOr<std::optional<Topic>> GetTopic(std::string_view room_key) = 0;
  // No error if the room had none.
  virtual absl::Status ClearTopic(std::string_view room_key) = 0;

  // --- Ignore lists, per account key. Adding a name already there updates its spelling.
  // With `max_entries` > 0, a new name is refused (ResourceExhausted) once the list holds
  // that many: in the same transaction, so two connections of one account cannot both
  // add the last one.
  virtual absl::Status AddIgnore(std::string_view account_key, const IgnoredName& ignored,
                                 size_t max_entries) = 0;
  absl::Status AddIgnore(std::string_view account_key, const IgnoredName& ignored) {
    return AddIgnore(account_key, ignored, 0);
  }
  // NotFound if the name was not on the list.
  virtual absl::Status RemoveIgnore(std::string_view account_key,
                                    std::string_view ignored_key) = 0;
  // In the order they were added.
  virtual absl::StatusOr<std::vector<IgnoredName>> ListIgnores(std::string_view account_key) = 0;
};

}  // namespace chat::identity

#endif  // CHAT_IDENTITY_STORE_H_
