#include "chat/identity/sqlite_store.h"

#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "chat/identity/password.h"
#include "chat/testing/test_files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace chat::identity {
namespace {

using ::chat::testing::ReadFile;
using ::chat::testing::TempPath;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

// A fresh path per test, so tests in one binary never share a database.
std::string FreshPath(std::string_view name) {
  const std::string dir = TempPath(absl::StrCat(
      ::testing::UnitTest::GetInstance()->current_test_info()->name(), "_dir"));
  std::filesystem::remove_all(dir);
  return absl::StrCat(dir, "/", name);
}

std::unique_ptr<SqliteStore> OpenOrDie(const std::string& path) {
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? std::move(*store) : nullptr;
}

Account MakeAccount(std::string key, std::string name) {
  return Account{std::move(key), std::move(name), "$argon2id$fake", false, kT0};
}

// Runs one statement with the sqlite3 API directly, as an old or foreign tool would.
void RawExec(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, &error), SQLITE_OK) << error;
  sqlite3_free(error);
  sqlite3_close(db);
}

int64_t RawUserVersion(const std::string& path) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, nullptr);
  int64_t version = -1;
  if (sqlite3_step(stmt) == SQLITE_ROW) version = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return version;
}

TEST(SqliteStoreTest, AccountsRoundTrip) {
  std::unique_ptr<SqliteStore> store = OpenOrDie(FreshPath("identity.db"));
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store->FindAccount("alice"), std::nullopt);

  Account alice = MakeAccount("alice", "Alice");
  alice.created = kT0 + absl::Microseconds(123);
  ASSERT_TRUE(store->CreateAccount(alice).ok());
  EXPECT_EQ(*store->FindAccount("alice"), alice);

  absl::Status again = store->CreateAccount(MakeAccount("alice", "ALICE"));
  EXPECT_TRUE(absl::IsAlreadyExists(again)) << again;
  EXPECT_EQ((*store->FindAccount("alice"))->name, "Alice");

  ASSERT_TRUE(store->SetPasswordHash("alice", "$argon2id$other").ok());
  ASSERT_TRUE(store->SetOperator("alice", true).ok());
  std::optional<Account> found = *store->FindAccount("alice");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->password_hash, "$argon2id$other");
  EXPECT_TRUE(found->is_operator);
  ASSERT_TRUE(store->SetOperator("alice", false).ok());
  EXPECT_FALSE((*store->FindAccount("alice"))->is_operator);

  EXPECT_TRUE(absl::IsNotFound(store->SetPasswordHash("bob", "x")));
  EXPECT_TRUE(absl::IsNotFound(store->SetOperator("bob", true)));
  EXPECT_TRUE(absl::IsNotFound(store->DeleteAccount("bob")));

  ASSERT_TRUE(store->AddIgnore("alice", {"bob", "Bob"}).ok());
  ASSERT_TRUE(store->DeleteAccount("alice").ok());
  EXPECT_EQ(*store->FindAccount("alice"), std::nullopt);
  // The ignore list went with the account: a new alice starts with none.
  EXPECT_TRUE(store->ListIgnores("alice")->empty());
  EXPECT_TRUE(store->CreateAccount(MakeAccount("alice", "alice")).ok());
}

// A login's re-hash stores the new hash only over the one it verified: a password
// changed in between (by the owner's other connection, or another server on the file)
// is never overwritten with the old password's new hash.
TEST(SqliteStoreTest, ReplacePasswordHashIsCompareAndSet) {
  const std::string path = FreshPath("identity.db");
  std::unique_ptr<SqliteStore> store = OpenOrDie(path);
  Account alice = MakeAccount("alice", "alice");
  alice.password_hash = "$argon2id$old";
  ASSERT_TRUE(store->CreateAccount(alice).ok());
  ASSERT_TRUE(store->ReplacePasswordHash("alice", "$argon2id$old", "$argon2id$rehashed").ok());
  EXPECT_EQ((*store->FindAccount("alice"))->password_hash, "$argon2id$rehashed");
  // Changed meanwhile through a second connection to the same file.
  std::unique_ptr<SqliteStore> other = OpenOrDie(path);
  ASSERT_TRUE(other->SetPasswordHash("alice", "$argon2id$changed").ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(
      store->ReplacePasswordHash("alice", "$argon2id$rehashed", "$argon2id$stale")));
  EXPECT_EQ((*store->FindAccount("alice"))->password_hash, "$argon2id$changed");
  EXPECT_TRUE(absl::IsNotFound(store->ReplacePasswordHash("bob", "x", "y")));
}

TEST(SqliteStoreTest, KeysAreExactBytes) {
  // The store compares keys as given; NameKey() folding happens before.
  std::unique_ptr<SqliteStore> store = OpenOrDie(FreshPath("identity.db"));
  ASSERT_TRUE(store->CreateAccount(MakeAccount("ａ'; DROP TABLE accounts;--", "x")).ok());
  EXPECT_TRUE(store->FindAccount("ａ'; DROP TABLE accounts;--")->has_value());
  EXPECT_FALSE(store->FindAccount("ａ")->has_value());
  const std::string with_nul("a\0b", 3);
  ASSERT_TRUE(store->CreateAccount(MakeAccount(with_nul, "y")).ok());
  EXPECT_TRUE(store->FindAccount(with_nul)->has_value());
  EXPECT_FALSE(store->FindAccount("a")->has_value());
}

TEST(SqliteStoreTest, Bans) {
  std::unique_ptr<SqliteStore> store = OpenOrDie(FreshPath("identity.db"));
  EXPECT_TRUE(absl::IsInvalidArgument(store->AddBan(Ban{}).status()));

  Ban by_name{0, "mallory", "", kT0 + absl::Hours(2), "spam", "alice", kT0};
  Ban by_address{0, "", "203.0.113.9", absl::InfiniteFuture(), "bots", "alice", kT0};
  Ban both{0, "eve", "2001:db8:1:2::/64", kT0 + absl::Minutes(10), "", "bob", kT0};
  absl::StatusOr<int64_t> id1 = store->AddBan(by_name);
  absl::StatusOr<int64_t> id2 = store->AddBan(by_address);
  absl::StatusOr<int64_t> id3 = store->AddBan(both);
  ASSERT_TRUE(id1.ok() && id2.ok() && id3.ok());
  by_name.id = *id1;
  by_address.id = *id2;
  both.id = *id3;
  EXPECT_NE(*id1, *id2);

  EXPECT_EQ(*store->FindActiveBan("mallory", "198.51.100.1", kT0), by_name);
  EXPECT_EQ(*store->FindActiveBan("", "203.0.113.9", kT0), by_address);
  EXPECT_TRUE(by_address.permanent());
  EXPECT_EQ(*store->FindActiveBan("eve", "", kT0), both);
  EXPECT_EQ(*store->FindActiveBan("carol", "2001:db8:1:2::/64", kT0), both);
  EXPECT_EQ(*store->FindActiveBan("carol", "198.51.100.1", kT0), std::nullopt);
  // Empty keys match nothing, not the bans whose other key is empty.
  EXPECT_EQ(*store->FindActiveBan("", "", kT0), std::nullopt);
  // Mallory on the banned address: the permanent ban wins.
  EXPECT_EQ(*store->FindActiveBan("mallory", "203.0.113.9", kT0), by_address);

  // Expiry: `until` is the first instant the ban no longer applies.
  EXPECT_EQ(*store->FindActiveBan("mallory", "", kT0 + absl::Hours(2) - absl::Microseconds(1)),
            by_name);
  EXPECT_EQ(*store->FindActiveBan("mallory", "", kT0 + absl::Hours(2)), std::nullopt);
  EXPECT_THAT(*store->ListActiveBans(kT0), ElementsAre(by_name, by_address, both));
  EXPECT_THAT(*store->ListActiveBans(kT0 + absl::Hours(1)), ElementsAre(by_name, by_address));
  EXPECT_THAT(*store->ListActiveBans(kT0 + absl::Hours(3)), ElementsAre(by_address));

  EXPECT_EQ(*store->RemoveExpiredBans(kT0 + absl::Hours(1)), 1);  // `both`
  EXPECT_EQ(*store->FindActiveBan("eve", "", kT0), std::nullopt);

  ASSERT_TRUE(store->AddBan(by_name).ok());  // a second ban on mallory
  EXPECT_EQ(*store->RemoveBansByName("mallory"), 2);
  EXPECT_EQ(*store->RemoveBansByName("mallory"), 0);
  EXPECT_EQ(*store->RemoveBansByName(""), 0);
  EXPECT_EQ(*store->RemoveBansByAddress("203.0.113.9"), 1);
  EXPECT_TRUE(store->ListActiveBans(kT0)->empty());
}

TEST(SqliteStoreTest, Topics) {
  std::unique_ptr<SqliteStore> store = OpenOrDie(FreshPath("identity.db"));
  EXPECT_EQ(*store->GetTopic("general"), std::nullopt);
  const Topic first{"welcome!", "alice", kT0};
  const Topic second{"release day", "bob", kT0 + absl::Minutes(1)};
  ASSERT_TRUE(store->SetTopic("general", first).ok());
  EXPECT_EQ(*store->GetTopic("general"), first);
  ASSERT_TRUE(store->SetTopic("general", second).ok());
  EXPECT_EQ(*store->GetTopic("general"), second);
  EXPECT_EQ(*store->GetTopic("dev"), std::nullopt);
  ASSERT_TRUE(store->ClearTopic("general").ok());
  EXPECT_EQ(*store->GetTopic("general"), std::nullopt);
  EXPECT_TRUE(store->ClearTopic("general").ok());
}

TEST(SqliteStoreTest, IgnoreLists) {
  std::unique_ptr<SqliteStore> store = OpenOrDie(FreshPath("identity.db"));
  EXPECT_TRUE(store->ListIgnores("alice")->empty());
  ASSERT_TRUE(store->AddIgnore("alice", {"bob", "Bob"}).ok());
  ASSERT_TRUE(store->AddIgnore("alice", {"carol", "carol"}).ok());
  ASSERT_TRUE(store->AddIgnore("dave", {"bob", "bob"}).ok());
  ASSERT_TRUE(store->AddIgnore("alice", {"bob", "BOB"}).ok());  // respelled, same place
  EXPECT_THAT(*store->ListIgnores("alice"),
              ElementsAre(IgnoredName{"bob", "BOB"}, IgnoredName{"carol", "carol"}));
  ASSERT_TRUE(store->RemoveIgnore("alice", "bob").ok());
  EXPECT_TRUE(absl::IsNotFound(store->RemoveIgnore("alice", "bob")));
  EXPECT_THAT(*store->ListIgnores("alice"), ElementsAre(IgnoredName{"carol", "carol"}));
  EXPECT_THAT(*store->ListIgnores("dave"), ElementsAre(IgnoredName{"bob", "bob"}));
}

TEST(SqliteStoreTest, EverythingSurvivesReopening) {
  const std::string path = FreshPath("identity.db");
  {
    std::unique_ptr<SqliteStore> store = OpenOrDie(path);
    ASSERT_TRUE(store->CreateAccount(MakeAccount("alice", "Alice")).ok());
    ASSERT_TRUE(store->SetOperator("alice", true).ok());
    ASSERT_TRUE(store->AddBan(Ban{0, "mallory", "", absl::InfiniteFuture(), "r", "alice", kT0}).ok());
    ASSERT_TRUE(store->SetTopic("general", Topic{"hi", "alice", kT0}).ok());
    ASSERT_TRUE(store->AddIgnore("alice", {"bob", "bob"}).ok());
  }
  std::unique_ptr<SqliteStore> store = OpenOrDie(path);
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->CheckIntegrity().ok());
  std::optional<Account> alice = *store->FindAccount("alice");
  ASSERT_TRUE(alice.has_value());
  EXPECT_EQ(alice->name, "Alice");
  EXPECT_TRUE(alice->is_operator);
  EXPECT_EQ(store->ListActiveBans(kT0)->size(), 1u);
  EXPECT_EQ((*store->GetTopic("general"))->text, "hi");
  EXPECT_EQ(store->ListIgnores("alice")->size(), 1u);
  EXPECT_EQ(RawUserVersion(path), SqliteStore::kSchemaVersion);
}

TEST(SqliteStoreTest, FileAndDirectoryArePrivate) {
  const std::string path = FreshPath("sub/identity.db");
  std::unique_ptr<SqliteStore> store = OpenOrDie(path);
  ASSERT_TRUE(store->CreateAccount(MakeAccount("alice", "Alice")).ok());
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(absl::StrCat(path, "-wal").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0077, 0u);
  ASSERT_EQ(::stat(std::filesystem::path(path).parent_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST(SqliteStoreTest, UsesWalAndFullSync) {
  const std::string path = FreshPath("identity.db");
  std::unique_ptr<SqliteStore> store = OpenOrDie(path);
  ASSERT_TRUE(store->CreateAccount(MakeAccount("alice", "Alice")).ok());
  EXPECT_TRUE(std::filesystem::exists(absl::StrCat(path, "-wal")));
}

TEST(SqliteStoreTest, MigratesAVersionZeroFile) {
  const std::string path = FreshPath("identity.db");
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  // A version-0 database (as any SQLite file starts), with something else in it.
  RawExec(path, "CREATE TABLE unrelated (x INTEGER); INSERT INTO unrelated VALUES (7);");
  ASSERT_EQ(RawUserVersion(path), 0);
  {
    std::unique_ptr<SqliteStore> store = OpenOrDie(path);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->CreateAccount(MakeAccount("alice", "Alice")).ok());
  }
  EXPECT_EQ(RawUserVersion(path), SqliteStore::kSchemaVersion);
  // An empty (zero-byte) file is version 0 too.
  const std::string empty = FreshPath("empty.db");
  std::filesystem::create_directories(std::filesystem::path(empty).parent_path());
  std::fclose(std::fopen(empty.c_str(), "w"));
  EXPECT_NE(OpenOrDie(empty), nullptr);
  EXPECT_EQ(RawUserVersion(empty), SqliteStore::kSchemaVersion);
}

TEST(SqliteStoreTest, RefusesAFileFromANewerVersion) {
  const std::string path = FreshPath("identity.db");
  { ASSERT_NE(OpenOrDie(path), nullptr); }
  RawExec(path, "PRAGMA user_version = 2");
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(store.status())) << store.status();
  EXPECT_THAT(store.status().message(), HasSubstr("has schema version 2 but this server knows "
                                                  "only up to 1: it was written by a newer"));
  EXPECT_EQ(RawUserVersion(path), 2);  // untouched
}

TEST(SqliteStoreTest, RefusesAFileThatIsNotADatabase) {
  const std::string path = FreshPath("identity.db");
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  FILE* f = std::fopen(path.c_str(), "w");
  std::fputs("#tcpchat-history v1\nthis is not SQLite, and long enough to have a header....\n"
             "................................................................................\n",
             f);
  std::fclose(f);
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(store.status())) << store.status();
  EXPECT_THAT(store.status().message(), HasSubstr("is not a TCPChat identity database"));
}

TEST(SqliteStoreTest, PasswordNeverReachesTheFile) {
  const std::string path = FreshPath("identity.db");
  const std::string password = "plaintext-Zebra-7731-never-stored";
  std::unique_ptr<SqliteStore> store = OpenOrDie(path);
  absl::StatusOr<std::string> hash = HashPassword(password, PasswordOptions::FastForTests());
  ASSERT_TRUE(hash.ok());
  Account alice = MakeAccount("alice", "Alice");
  alice.password_hash = *hash;
  ASSERT_TRUE(store->CreateAccount(alice).ok());
  absl::StatusOr<std::string> changed =
      HashPassword(absl::StrCat(password, "2"), PasswordOptions::FastForTests());
  ASSERT_TRUE(store->SetPasswordHash("alice", *changed).ok());

  auto all_bytes = [&] {
    return absl::StrCat(ReadFile(path), ReadFile(absl::StrCat(path, "-wal")));
  };
  std::string bytes = all_bytes();
  ASSERT_TRUE(absl::StrContains(bytes, *changed));  // the search does find what is there
  EXPECT_FALSE(absl::StrContains(bytes, password));
  store.reset();  // checkpoints the WAL into the main file
  bytes = all_bytes();
  EXPECT_TRUE(absl::StrContains(bytes, *changed));
  EXPECT_FALSE(absl::StrContains(bytes, password));
  EXPECT_TRUE(VerifyPassword(absl::StrCat(password, "2"), *changed));
}

TEST(SqliteStoreTest, ConcurrentWritersFromTwoConnections) {
  // A second process (another server by mistake, or `sqlite3 .backup`) holding the file
  // does not corrupt it or lose writes: the busy timeout waits for the lock.
  const std::string path = FreshPath("identity.db");
  std::unique_ptr<SqliteStore> a = OpenOrDie(path);
  std::unique_ptr<SqliteStore> b = OpenOrDie(path);
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(a->CreateAccount(MakeAccount(absl::StrCat("a", i), "x")).ok());
    ASSERT_TRUE(b->CreateAccount(MakeAccount(absl::StrCat("b", i), "x")).ok());
  }
  EXPECT_TRUE(a->FindAccount("b19")->has_value());
  EXPECT_TRUE(b->FindAccount("a19")->has_value());
}

// A writer killed with SIGKILL at an arbitrary moment loses no account it reported as
// created, and leaves a file that passes SQLite's integrity check.
TEST(SqliteStoreTest, SurvivesKillNine) {
  const std::string path = FreshPath("identity.db");
  { ASSERT_NE(OpenOrDie(path), nullptr); }
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(fds[0]);
    absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path);
    if (!store.ok()) ::_exit(2);
    for (int i = 0;; ++i) {
      const std::string key = absl::StrCat("user", i);
      if (!(*store)->CreateAccount(MakeAccount(key, key)).ok()) ::_exit(3);
      const std::string ack = absl::StrCat(key, "\n");
      if (::write(fds[1], ack.data(), ack.size()) != static_cast<ssize_t>(ack.size())) {
        ::_exit(4);
      }
    }
  }
  ::close(fds[1]);
  std::vector<std::string> acknowledged;
  std::string pending;
  char buffer[256];
  while (acknowledged.size() < 100) {
    const ssize_t got = ::read(fds[0], buffer, sizeof(buffer));
    ASSERT_GT(got, 0) << "the writer stopped early";
    pending.append(buffer, static_cast<size_t>(got));
    for (size_t nl; (nl = pending.find('\n')) != std::string::npos; pending.erase(0, nl + 1)) {
      acknowledged.push_back(pending.substr(0, nl));
    }
  }
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "exit status " << WEXITSTATUS(status);
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  // Acknowledgements still in the pipe were committed too.
  for (ssize_t got; (got = ::read(fds[0], buffer, sizeof(buffer))) > 0;) {
    pending.append(buffer, static_cast<size_t>(got));
  }
  for (size_t nl; (nl = pending.find('\n')) != std::string::npos; pending.erase(0, nl + 1)) {
    acknowledged.push_back(pending.substr(0, nl));
  }
  ::close(fds[0]);

  std::unique_ptr<SqliteStore> store = OpenOrDie(path);
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->CheckIntegrity().ok()) << store->CheckIntegrity();
  for (const std::string& key : acknowledged) {
    EXPECT_TRUE(store->FindAccount(key)->has_value()) << key;
  }
}

}  // namespace
}  // namespace chat::identity
