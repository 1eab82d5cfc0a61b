// chat/identity/sqlite_store.h: the IdentityStore of one server, in one SQLite file.
//
// Defines:
//   SqliteStoreOptions - how long to wait for a lock another process holds.
//   SqliteStore        - IdentityStore over SQLite: Open() creates or migrates the file.
//
// Durability: WAL journal with synchronous=FULL, and every write in its own transaction,
// so a write that returned OK survives kill -9 and power loss (a test kills a writer
// mid-loop). Writes are rare (registrations, password changes, moderation), so the fsync
// per commit costs nothing noticeable. The file holds password *hashes* only; it is
// created 0600 in a directory created 0700.
//
// Schema: its version is in `PRAGMA user_version`; Open() applies the missing migrations
// in order, each in one transaction with the version bump, and refuses a file written by
// a newer version (rather than guessing at tables it does not know). One connection,
// serialised by a mutex: SQLite allows one writer at a time anyway, and the store is not
// on any hot path. SQL text is constant; every value is a bound parameter.

#ifndef CHAT_IDENTITY_SQLITE_STORE_H_
#define CHAT_IDENTITY_SQLITE_STORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "chat/identity/store.h"

struct sqlite3;

namespace chat::identity {

struct SqliteStoreOptions {
  // Another process (`sqlite3 FILE ".backup out.db"`) may hold the lock briefly; wait for
  // it rather than fail a registration.
  absl::Duration busy_timeout = absl::Seconds(5);
};

class SqliteStore final : public IdentityStore {
 public:
  // The schema version this build writes (PRAGMA user_version).
  static constexpr int kSchemaVersion = 1;

  // Open() opens `path`, creating it (and its missing parent directories) if needed, and
  // migrates it to kSchemaVersion. FailedPrecondition for a file from a newer version or
  // not an SQLite database; other errors as the file system reports them.
  static absl::StatusOr<std::unique_ptr<SqliteStore>> Open(const std::string& path,
                                                           SqliteStoreOptions options = {});

  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  // `PRAGMA integrity_check`: OK, or DataLoss with SQLite's first complaint.
  absl::Status CheckIntegrity() ABSL_LOCKS_EXCLUDED(mu_);

  absl::Status CreateAccount(const Account& account) override ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<std::optional<Account>> FindAccount(std::string_view key) override
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status SetPasswordHash(std::string_view key, std::string_view password_hash) override
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status ReplacePasswordHash(std::string_view key, std::string_view expected,
                                   std::string_view new_hash) override ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status SetOperator(std::string_view key, bool is_operator) override
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status DeleteAccount(std::string_view key) override ABSL_LOCKS_EXCLUDED(mu_);

  absl::StatusOr<int64_t> AddBan(const Ban& ban) override ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<std::optional<Ban>> FindActiveBan(std::string_view name_key,
                                                   std::string_view address_key,
                                                   absl::Time now) override
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<int> RemoveBansByName(std::string_view name_key) override
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<int> RemoveBansByAddress(std::string_view address_key) override
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<std::vector<Ban>> ListActiveBans(absl::Time now) override
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<int> RemoveExpiredBans(absl::Time now) override ABSL_LOCKS_EXCLUDED(mu_);

  absl::Status SetTopic(std::string_view room_key, const Topic& topic) override
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<std::optional<Topic>> GetTopic(std::string_view room_key) override
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status ClearTopic(std::string_view room_key) override ABSL_LOCKS_EXCLUDED(mu_);

  using IdentityStore::AddIgnore;
  absl::Status AddIgnore(std::string_view account_key, const IgnoredName& ignored,
                         size_t max_entries) override
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status RemoveIgnore(std::string_view account_key, std::string_view ignored_key) override
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<std::vector<IgnoredName>> ListIgnores(std::string_view account_key) override
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  explicit SqliteStore(sqlite3* db) : db_(db) {}

  // Runs `write` inside BEGIN IMMEDIATE ... COMMIT (rolled back if it fails).
  template <typename Write>
  absl::Status InTransaction(Write write) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<int> DeleteBans(const char* sql, std::string_view key)
      ABSL_LOCKS_EXCLUDED(mu_);

  absl::Mutex mu_;
  sqlite3* const db_ ABSL_PT_GUARDED_BY(mu_);
};

}  // namespace chat::identity

#endif  // CHAT_IDENTITY_SQLITE_STORE_H_
