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
#include "chat/identity/store_contract.h"
#include "chat/testing/test_files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace chat::identity {
namespace {

using ::chat::testing::ReadFile;
using ::chat::testing::TempPath;
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

// The shared IdentityStore tests (store_contract.cc), each on a fresh file.
class SqliteFactory final : public StoreFactory {
 public:
  std::unique_ptr<IdentityStore> OpenFresh() override {
    path_ = FreshPath("identity.db");
    return OpenOrDie(path_);
  }
  std::unique_ptr<IdentityStore> OpenAgain() override { return OpenOrDie(path_); }

 private:
  std::string path_;
};

std::unique_ptr<StoreFactory> MakeSqliteFactory() { return std::make_unique<SqliteFactory>(); }

INSTANTIATE_TEST_SUITE_P(Sqlite, IdentityStoreContractTest, ::testing::Values(&MakeSqliteFactory));

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
