#include "chat/identity/sqlite_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"

namespace chat::identity {
namespace {

// Migration i takes a file from schema version i to i + 1. Append only: a released
// migration never changes, since files in the field were made by it.
constexpr const char* kMigrations[] = {
    // 0 -> 1: accounts, bans, room topics, ignore lists.
    R"sql(
      CREATE TABLE accounts (
        key           TEXT PRIMARY KEY NOT NULL,  -- NameKey(name)
        name          TEXT NOT NULL,              -- spelling at registration
        password_hash TEXT NOT NULL,              -- Argon2id, encoded
        is_operator   INTEGER NOT NULL DEFAULT 0,
        created_us    INTEGER NOT NULL            -- Unix microseconds
      );
      CREATE TABLE bans (
        id          INTEGER PRIMARY KEY,
        name_key    TEXT,                         -- NULL: any name
        address_key TEXT,                         -- NULL: any address
        until_us    INTEGER,                      -- NULL: permanent
        reason      TEXT NOT NULL,
        by_name     TEXT NOT NULL,
        created_us  INTEGER NOT NULL,
        CHECK (name_key IS NOT NULL OR address_key IS NOT NULL)
      );
      CREATE INDEX bans_by_name ON bans (name_key);
      CREATE INDEX bans_by_address ON bans (address_key);
      CREATE TABLE topics (
        room_key  TEXT PRIMARY KEY NOT NULL,
        text      TEXT NOT NULL,
        set_by    TEXT NOT NULL,
        set_at_us INTEGER NOT NULL
      );
      CREATE TABLE ignores (
        account_key  TEXT NOT NULL,
        ignored_key  TEXT NOT NULL,
        ignored_name TEXT NOT NULL,
        PRIMARY KEY (account_key, ignored_key)
      );
    )sql",
};
static_assert(std::size(kMigrations) == SqliteStore::kSchemaVersion,
              "each schema version needs its migration");

absl::Status SqlError(sqlite3* db, std::string_view what) {
  const int code = sqlite3_extended_errcode(db);
  const std::string message = absl::StrCat(what, ": ", sqlite3_errmsg(db), " (", code, ")");
  switch (code & 0xff) {
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      return absl::DataLossError(message);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::UnavailableError(message);
    case SQLITE_FULL:
    case SQLITE_NOMEM:
      return absl::ResourceExhaustedError(message);
    case SQLITE_CONSTRAINT:
      return absl::AlreadyExistsError(message);
    default:
      return absl::InternalError(message);
  }
}

// Statement is one prepared statement; values are only ever bound, never spliced in.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) {
      status_ = SqlError(db, "prepare");
      stmt_ = nullptr;
    }
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& Bind(int index, std::string_view text) {
    // An empty view may have a null data(); SQLite would read that as NULL.
    if (Ok()) {
      Check(sqlite3_bind_text(stmt_, index, text.empty() ? "" : text.data(),
                              static_cast<int>(text.size()), SQLITE_TRANSIENT),
            "bind");
    }
    return *this;
  }
  // Empty text is stored as NULL (the "any" of a ban's key).
  Statement& BindOrNull(int index, std::string_view text) {
    if (!text.empty()) return Bind(index, text);
    if (Ok()) Check(sqlite3_bind_null(stmt_, index), "bind");
    return *this;
  }
  Statement& Bind(int index, int64_t value) {
    if (Ok()) Check(sqlite3_bind_int64(stmt_, index, value), "bind");
    return *this;
  }
  // A time as Unix microseconds; InfiniteFuture as NULL.
  Statement& Bind(int index, absl::Time time) {
    if (time == absl::InfiniteFuture()) {
      if (Ok()) Check(sqlite3_bind_null(stmt_, index), "bind");
      return *this;
    }
    return Bind(index, absl::ToUnixMicros(time));
  }

  // Step() returns true while there is a row; any error lands in status().
  bool Step() {
    if (!Ok()) return false;
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) status_ = SqlError(db_, "step");
    return false;
  }
  // Run() steps a statement that returns no rows.
  absl::Status Run() {
    while (Step()) {
    }
    return status_;
  }

  std::string Text(int column) const {
    const unsigned char* text = sqlite3_column_text(stmt_, column);
    if (text == nullptr) return "";
    return std::string(reinterpret_cast<const char*>(text),
                       static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
  }
  int64_t Int(int column) const { return sqlite3_column_int64(stmt_, column); }
  absl::Time Time(int column) const {
    if (sqlite3_column_type(stmt_, column) == SQLITE_NULL) return absl::InfiniteFuture();
    return absl::FromUnixMicros(Int(column));
  }

  const absl::Status& status() const { return status_; }
  bool Ok() const { return status_.ok(); }

 private:
  void Check(int rc, std::string_view what) {
    if (rc != SQLITE_OK) status_ = SqlError(db_, what);
  }

  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  absl::Status status_;
};

// Exec() runs constant SQL (pragmas, transaction control, migrations): never user data.
absl::Status Exec(sqlite3* db, const char* sql) {
  if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
    return SqlError(db, sql);
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> PragmaInt(sqlite3* db, const char* sql) {
  Statement statement(db, sql);
  if (!statement.Step()) {
    if (!statement.Ok()) return statement.status();
    return absl::InternalError(absl::StrCat(sql, ": no result"));
  }
  return statement.Int(0);
}

std::string PragmaText(sqlite3* db, const char* sql) {
  Statement statement(db, sql);
  return statement.Step() ? statement.Text(0) : "";
}

Ban ReadBan(const Statement& row) {
  Ban ban;
  ban.id = row.Int(0);
  ban.name_key = row.Text(1);
  ban.address_key = row.Text(2);
  ban.until = row.Time(3);
  ban.reason = row.Text(4);
  ban.by = row.Text(5);
  ban.created = row.Time(6);
  return ban;
}

constexpr char kBanColumns[] = "id, name_key, address_key, until_us, reason, by_name, created_us";

// Creates the file 0600 (and its directory 0700) before SQLite does, since SQLite would
// make it world-readable (0644) and the -wal and -shm files copy the main file's mode.
absl::Status PrepareFile(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty() && !std::filesystem::exists(parent)) {
    std::error_code error;
    std::filesystem::create_directories(parent, error);
    if (error) {
      return absl::UnavailableError(
          absl::StrCat("cannot create ", parent.string(), ": ", error.message()));
    }
    std::filesystem::permissions(parent, std::filesystem::perms::owner_all, error);
  }
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
  }
  ::close(fd);
  return absl::OkStatus();
}

absl::Status Migrate(sqlite3* db, const std::string& path) {
  absl::StatusOr<int64_t> version = PragmaInt(db, "PRAGMA user_version");
  if (!version.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " is not a TCPChat identity database: ", version.status().message()));
  }
  if (*version > SqliteStore::kSchemaVersion || *version < 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        path, " has schema version ", *version, " but this server knows only up to ",
        SqliteStore::kSchemaVersion,
        ": it was written by a newer TCPChat. Run that version, or restore a backup."));
  }
  for (int64_t v = *version; v < SqliteStore::kSchemaVersion; ++v) {
    if (absl::Status s = Exec(db, "BEGIN IMMEDIATE"); !s.ok()) return s;
    // The version is our own integer, not user data; PRAGMA takes no bound parameters.
    const std::string bump = absl::StrCat("PRAGMA user_version = ", v + 1);
    absl::Status s = Exec(db, kMigrations[v]);
    if (s.ok()) s = Exec(db, bump.c_str());
    if (s.ok()) s = Exec(db, "COMMIT");
    if (!s.ok()) {
      Exec(db, "ROLLBACK").IgnoreError();
      return absl::Status(s.code(), absl::StrCat("migrating ", path, " to schema version ",
                                                 v + 1, ": ", s.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path,
                                                                SqliteStoreOptions options) {
  if (absl::Status s = PrepareFile(path); !s.ok()) return s;
  sqlite3* db = nullptr;
  // NOMUTEX: the store's own mutex serialises every use of the connection.
  const int rc = sqlite3_open_v2(path.c_str(), &db,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                 nullptr);
  if (rc != SQLITE_OK) {
    absl::Status s = absl::UnavailableError(
        absl::StrCat("cannot open ", path, ": ", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
    sqlite3_close(db);
    return s;
  }
  std::unique_ptr<SqliteStore> store(new SqliteStore(db));
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, static_cast<int>(absl::ToInt64Milliseconds(options.busy_timeout)));
  // Read the version first: a file that is not a database fails here with a clear error,
  // before any pragma would try to write to it.
  if (absl::Status s = Migrate(db, path); !s.ok()) return s;
  if (PragmaText(db, "PRAGMA journal_mode = WAL") != "wal") {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": SQLite could not use a write-ahead log (journal_mode=WAL)"));
  }
  // FULL: a commit is on disk before the caller is told "registered". In WAL mode NORMAL
  // would survive kill -9 but could lose the last commits on power loss.
  if (absl::Status s = Exec(db, "PRAGMA synchronous = FULL"); !s.ok()) return s;
  return store;
}

SqliteStore::~SqliteStore() {
  absl::MutexLock lock(&mu_);
  // Finalised statements leave nothing open, so close cannot be refused; on the last
  // connection it checkpoints the WAL into the main file.
  sqlite3_close(db_);
}

template <typename Write>
absl::Status SqliteStore::InTransaction(Write write) {
  if (absl::Status s = Exec(db_, "BEGIN IMMEDIATE"); !s.ok()) return s;
  absl::Status s = write();
  if (s.ok()) s = Exec(db_, "COMMIT");
  if (!s.ok()) Exec(db_, "ROLLBACK").IgnoreError();
  return s;
}

absl::Status SqliteStore::CheckIntegrity() {
  absl::MutexLock lock(&mu_);
  Statement statement(db_, "PRAGMA integrity_check");
  if (!statement.Step()) return statement.Ok() ? absl::DataLossError("no result") : statement.status();
  const std::string first = statement.Text(0);
  if (first != "ok") return absl::DataLossError(absl::StrCat("integrity_check: ", first));
  return absl::OkStatus();
}

// --- Accounts

absl::Status SqliteStore::CreateAccount(const Account& account) {
  absl::MutexLock lock(&mu_);
  return InTransaction([&]() -> absl::Status {
    Statement insert(db_,
                     "INSERT INTO accounts (key, name, password_hash, is_operator, created_us) "
                     "VALUES (?1, ?2, ?3, ?4, ?5)");
    insert.Bind(1, account.key)
        .Bind(2, account.name)
        .Bind(3, account.password_hash)
        .Bind(4, int64_t{account.is_operator})
        .Bind(5, absl::ToUnixMicros(account.created));
    absl::Status s = insert.Run();
    if (absl::IsAlreadyExists(s)) {
      return absl::AlreadyExistsError("that name is already registered");
    }
    return s;
  });
}

absl::StatusOr<std::optional<Account>> SqliteStore::FindAccount(std::string_view key) {
  absl::MutexLock lock(&mu_);
  Statement select(db_,
                   "SELECT key, name, password_hash, is_operator, created_us "
                   "FROM accounts WHERE key = ?1");
  select.Bind(1, key);
  if (!select.Step()) {
    if (!select.Ok()) return select.status();
    return std::optional<Account>();
  }
  Account account;
  account.key = select.Text(0);
  account.name = select.Text(1);
  account.password_hash = select.Text(2);
  account.is_operator = select.Int(3) != 0;
  account.created = select.Time(4);
  return std::optional<Account>(std::move(account));
}

absl::Status SqliteStore::SetPasswordHash(std::string_view key, std::string_view password_hash) {
  absl::MutexLock lock(&mu_);
  return InTransaction([&]() -> absl::Status {
    Statement update(db_, "UPDATE accounts SET password_hash = ?2 WHERE key = ?1");
    update.Bind(1, key).Bind(2, password_hash);
    if (absl::Status s = update.Run(); !s.ok()) return s;
    if (sqlite3_changes(db_) == 0) return absl::NotFoundError("no such account");
    return absl::OkStatus();
  });
}

absl::Status SqliteStore::ReplacePasswordHash(std::string_view key, std::string_view expected,
                                              std::string_view new_hash) {
  absl::MutexLock lock(&mu_);
  return InTransaction([&]() -> absl::Status {
    // One statement: the comparison and the write are one step for SQLite, whichever
    // process or connection writes the file.
    Statement update(db_,
                     "UPDATE accounts SET password_hash = ?3 WHERE key = ?1 AND password_hash = ?2");
    update.Bind(1, key).Bind(2, expected).Bind(3, new_hash);
    if (absl::Status s = update.Run(); !s.ok()) return s;
    if (sqlite3_changes(db_) > 0) return absl::OkStatus();
    Statement find(db_, "SELECT 1 FROM accounts WHERE key = ?1");
    find.Bind(1, key);
    const bool found = find.Step();
    if (!find.Ok()) return find.status();
    return found ? absl::FailedPreconditionError("the password hash changed meanwhile")
                : absl::NotFoundError("no such account");
  });
}

absl::Status SqliteStore::SetOperator(std::string_view key, bool is_operator) {
  absl::MutexLock lock(&mu_);
  return InTransaction([&]() -> absl::Status {
    Statement update(db_, "UPDATE accounts SET is_operator = ?2 WHERE key = ?1");
    update.Bind(1, key).Bind(2, int64_t{is_operator});
    if (absl::Status s = update.Run(); !s.ok()) return s;
    if (sqlite3_changes(db_) == 0) return absl::NotFoundError("no such account");
    return absl::OkStatus();
  });
}

absl::Status SqliteStore::DeleteAccount(std::string_view key) {
  absl::MutexLock lock(&mu_);
  return InTransaction([&]() -> absl::Status {
    Statement remove(db_, "DELETE FROM accounts WHERE key = ?1");
    remove.Bind(1, key);
    if (absl::Status s = remove.Run(); !s.ok()) return s;
    if (sqlite3_changes(db_) == 0) return absl::NotFoundError("no such account");
    Statement ignores(db_, "DELETE FROM ignores WHERE account_key = ?1");
    ignores.Bind(1, key);
    return ignores.Run();
  });
}

// --- Bans

absl::StatusOr<int64_t> SqliteStore::AddBan(const Ban& ban) {
  if (ban.name_key.empty() && ban.address_key.empty()) {
    return absl::InvalidArgumentError("a ban needs a name or an address");
  }
  absl::MutexLock lock(&mu_);
  int64_t id = 0;
  absl::Status s = InTransaction([&]() -> absl::Status {
    Statement insert(db_,
                     "INSERT INTO bans (name_key, address_key, until_us, reason, by_name, "
                     "created_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    insert.BindOrNull(1, ban.name_key)
        .BindOrNull(2, ban.address_key)
        .Bind(3, ban.until)
        .Bind(4, ban.reason)
        .Bind(5, ban.by)
        .Bind(6, absl::ToUnixMicros(ban.created));
    if (absl::Status s = insert.Run(); !s.ok()) return s;
    id = sqlite3_last_insert_rowid(db_);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return id;
}

absl::StatusOr<std::optional<Ban>> SqliteStore::FindActiveBan(std::string_view name_key,
                                                              std::string_view address_key,
                                                              absl::Time now) {
  absl::MutexLock lock(&mu_);
  // Permanent bans (NULL until) first, then the latest end.
  static const std::string sql = absl::StrCat(
      "SELECT ", kBanColumns,
      " FROM bans WHERE ((?1 <> '' AND name_key = ?1) OR (?2 <> '' AND address_key = ?2))"
      " AND (until_us IS NULL OR until_us > ?3)"
      " ORDER BY until_us IS NULL DESC, until_us DESC, id LIMIT 1");
  Statement select(db_, sql.c_str());
  select.Bind(1, name_key).Bind(2, address_key).Bind(3, absl::ToUnixMicros(now));
  if (!select.Step()) {
    if (!select.Ok()) return select.status();
    return std::optional<Ban>();
  }
  return std::optional<Ban>(ReadBan(select));
}

absl::StatusOr<int> SqliteStore::DeleteBans(const char* sql, std::string_view key) {
  absl::MutexLock lock(&mu_);
  int removed = 0;
  absl::Status s = InTransaction([&]() -> absl::Status {
    Statement remove(db_, sql);
    remove.Bind(1, key);
    if (absl::Status s = remove.Run(); !s.ok()) return s;
    removed = sqlite3_changes(db_);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return removed;
}

absl::StatusOr<int> SqliteStore::RemoveBansByName(std::string_view name_key) {
  if (name_key.empty()) return 0;
  return DeleteBans("DELETE FROM bans WHERE name_key = ?1", name_key);
}

absl::StatusOr<int> SqliteStore::RemoveBansByAddress(std::string_view address_key) {
  if (address_key.empty()) return 0;
  return DeleteBans("DELETE FROM bans WHERE address_key = ?1", address_key);
}

absl::StatusOr<std::vector<Ban>> SqliteStore::ListActiveBans(absl::Time now) {
  absl::MutexLock lock(&mu_);
  static const std::string sql =
      absl::StrCat("SELECT ", kBanColumns,
                   " FROM bans WHERE until_us IS NULL OR until_us > ?1 ORDER BY id");
  Statement select(db_, sql.c_str());
  select.Bind(1, absl::ToUnixMicros(now));
  std::vector<Ban> bans;
  while (select.Step()) bans.push_back(ReadBan(select));
  if (!select.Ok()) return select.status();
  return bans;
}

absl::StatusOr<int> SqliteStore::RemoveExpiredBans(absl::Time now) {
  absl::MutexLock lock(&mu_);
  int removed = 0;
  absl::Status s = InTransaction([&]() -> absl::Status {
    Statement remove(db_, "DELETE FROM bans WHERE until_us IS NOT NULL AND until_us <= ?1");
    remove.Bind(1, absl::ToUnixMicros(now));
    if (absl::Status s = remove.Run(); !s.ok()) return s;
    removed = sqlite3_changes(db_);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return removed;
}

// --- Topics

absl::Status SqliteStore::SetTopic(std::string_view room_key, const Topic& topic) {
  absl::MutexLock lock(&mu_);
  return InTransaction([&]() -> absl::Status {
    Statement upsert(db_,
                     "INSERT INTO topics (room_key, text, set_by, set_at_us) "
                     "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (room_key) DO UPDATE SET "
                     "text = excluded.text, set_by = excluded.set_by, "
                     "set_at_us = excluded.set_at_us");
    upsert.Bind(1, room_key)
        .Bind(2, topic.text)
        .Bind(3, topic.set_by)
        .Bind(4, absl::ToUnixMicros(topic.set_at));
    return upsert.Run();
  });
}

absl::StatusOr<std::optional<Topic>> SqliteStore::GetTopic(std::string_view room_key) {
  absl::MutexLock lock(&mu_);
  Statement select(db_, "SELECT text, set_by, set_at_us FROM topics WHERE room_key = ?1");
  select.Bind(1, room_key);
  if (!select.Step()) {
    if (!select.Ok()) return select.status();
    return std::optional<Topic>();
  }
  return std::optional<Topic>(Topic{select.Text(0), select.Text(1), select.Time(2)});
}

absl::Status SqliteStore::ClearTopic(std::string_view room_key) {
  absl::MutexLock lock(&mu_);
  return InTransaction([&]() -> absl::Status {
    Statement remove(db_, "DELETE FROM topics WHERE room_key = ?1");
    remove.Bind(1, room_key);
    return remove.Run();
  });
}

// --- Ignore lists

absl::Status SqliteStore::AddIgnore(std::string_view account_key, const IgnoredName& ignored,
                                    size_t max_entries) {
  absl::MutexLock lock(&mu_);
  return InTransaction([&]() -> absl::Status {
    if (max_entries > 0) {
      // A respelling of a name already there is no new entry.
      Statement count(db_,
                      "SELECT COUNT(*), SUM(ignored_key = ?2) FROM ignores WHERE account_key = ?1");
      count.Bind(1, account_key).Bind(2, ignored.key);
      if (!count.Step()) return count.Ok() ? absl::InternalError("no count") : count.status();
      if (count.Int(1) == 0 && static_cast<size_t>(count.Int(0)) >= max_entries) {
        return absl::ResourceExhaustedError("the ignore list is full");
      }
    }
    Statement upsert(db_,
                     "INSERT INTO ignores (account_key, ignored_key, ignored_name) "
                     "VALUES (?1, ?2, ?3) ON CONFLICT (account_key, ignored_key) DO UPDATE "
                     "SET ignored_name = excluded.ignored_name");
    upsert.Bind(1, account_key).Bind(2, ignored.key).Bind(3, ignored.name);
    return upsert.Run();
  });
}

absl::Status SqliteStore::RemoveIgnore(std::string_view account_key,
                                       std::string_view ignored_key) {
  absl::MutexLock lock(&mu_);
  return InTransaction([&]() -> absl::Status {
    Statement remove(db_, "DELETE FROM ignores WHERE account_key = ?1 AND ignored_key = ?2");
    remove.Bind(1, account_key).Bind(2, ignored_key);
    if (absl::Status s = remove.Run(); !s.ok()) return s;
    if (sqlite3_changes(db_) == 0) return absl::NotFoundError("not on the ignore list");
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<IgnoredName>> SqliteStore::ListIgnores(std::string_view account_key) {
  absl::MutexLock lock(&mu_);
  Statement select(db_,
                   "SELECT ignored_key, ignored_name FROM ignores WHERE account_key = ?1 "
                   "ORDER BY rowid");
  select.Bind(1, account_key);
  std::vector<IgnoredName> names;
  while (select.Step()) names.push_back(IgnoredName{select.Text(0), select.Text(1)});
  if (!select.Ok()) return select.status();
  return names;
}

}  // namespace chat::identity
