// The real server binary with --identity_db: a name registered before a restart needs
// its password after it; the password is in neither the log nor the database; a
// database the server cannot use stops it at start with a clear error.

#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "chat/testing/line_client.h"
#include "chat/testing/server_process.h"
#include "chat/testing/subprocess.h"
#include "chat/testing/test_files.h"
#include "gtest/gtest.h"

namespace chat {
namespace {

using testing::GoldenWelcome;
using testing::LineClient;
using testing::ReadFile;
using testing::Subprocess;
using testing::TempPath;

constexpr char kServer[] = "chat/server";
constexpr absl::Duration kPatience = absl::Seconds(30);
constexpr char kPassword[] = "Binary-plaintext-9931";
constexpr char kPasswordPrompt[] = "[ENTER PASSWORD]: ";


// Stops the server with SIGTERM and returns everything it logged.
std::string StopAndDrainLog(Subprocess& server) {
  server.Signal(SIGTERM);
  const std::optional<int> status = server.Wait(kPatience);
  EXPECT_TRUE(status.has_value());
  if (status.has_value()) {
    EXPECT_EQ(WEXITSTATUS(*status), 0);
  }
  return server.DrainStderr();
}

// The port a started server listens on (0 if it never said).
int PortOf(Subprocess& server) {
  return testing::ReadPortLine(server, "Listening on the port :", kPatience);
}

// Connects to `port`, reads the welcome and logs in as the unregistered `name`.
absl::StatusOr<LineClient> LoggedIn(int port, std::string_view name) {
  absl::StatusOr<LineClient> client = LineClient::Connect(port);
  if (!client.ok()) return client;
  EXPECT_EQ(client->Read(GoldenWelcome().size()), GoldenWelcome());
  client->Send(absl::StrCat(name, "\n"));
  client->ReadUntil(absl::StrCat("[", name, "]:"));
  return client;
}

// Registers the logged-in `client`'s `name` with kPassword, checking each step.
void Register(LineClient& client, std::string_view name) {
  client.Send("/register\n");
  EXPECT_EQ(client.ReadUntil("]: "), absl::StrCat("\xff\xfb\x01", kPasswordPrompt));
  client.Send(absl::StrCat(kPassword, "\n"));
  EXPECT_EQ(client.ReadUntil("]: "), "[REPEAT PASSWORD]: ");
  client.Send(absl::StrCat(kPassword, "\n"));
  const std::string done = client.ReadUntil(absl::StrCat("[", name, "]:"));
  EXPECT_TRUE(absl::StartsWith(done, absl::StrCat("You registered ", name,
                                                  ". From now on this name needs your "
                                                  "password to log in.\n")))
      << done;
}

TEST(IdentityBinaryTest, RegisteredNameNeedsItsPasswordAfterARestart) {
  const std::string db = TempPath("data/identity.db");  // the directory is created too
  std::filesystem::remove_all(TempPath("data"));
  std::string log;
  {
    Subprocess server({kServer, "--port=0", absl::StrCat("--identity_db=", db)});
    const int port = PortOf(server);
    ASSERT_GT(port, 0);
    absl::StatusOr<LineClient> alice = LoggedIn(port, "alice");
    ASSERT_TRUE(alice.ok());
    Register(*alice, "alice");
    log += StopAndDrainLog(server);
  }
  Subprocess server({kServer, "--port=0", absl::StrCat("--identity_db=", db)});
  const int port = PortOf(server);
  ASSERT_GT(port, 0);
  absl::StatusOr<LineClient> mallory = LineClient::Connect(port);
  ASSERT_TRUE(mallory.ok());
  EXPECT_EQ(mallory->Read(GoldenWelcome().size()), GoldenWelcome());
  mallory->Send("Alice\n");
  EXPECT_EQ(mallory->ReadUntil("]: "), absl::StrCat("\xff\xfb\x01", kPasswordPrompt));
  mallory->Send("not-the-password\n");
  EXPECT_EQ(mallory->ReadUntil("]: "), "Wrong password.\n[ENTER YOUR NAME]: ");
  mallory->Send(absl::StrCat("alice\n", kPassword, "\n"));
  EXPECT_EQ(mallory->ReadUntil("]: "), kPasswordPrompt);
  const std::string prompt = mallory->ReadUntil("[alice]:");
  EXPECT_EQ(prompt.size(), std::string("[2026-11-23 18:30:00][alice]:").size()) << prompt;
  log += StopAndDrainLog(server);

  EXPECT_TRUE(absl::StrContains(log, "register")) << log;
  EXPECT_TRUE(absl::StrContains(log, "wrong password from")) << log;
  EXPECT_FALSE(absl::StrContains(log, kPassword)) << log;
  EXPECT_FALSE(absl::StrContains(log, "not-the-password")) << log;
  const std::string bytes = ReadFile(db) + ReadFile(absl::StrCat(db, "-wal"));
  EXPECT_TRUE(absl::StrContains(bytes, "$argon2id$v=19$m=19456,t=2,p=1$"));
  EXPECT_FALSE(absl::StrContains(bytes, kPassword));
}

// --operators: a registered name in the list moderates once it has its password; a ban
// is kept in the database, so it still refuses the name after a restart.
TEST(IdentityBinaryTest, AnOperatorsBanSurvivesARestart) {
  const std::string db = TempPath("moderation.db");
  std::filesystem::remove(db);
  std::filesystem::remove(absl::StrCat(db, "-wal"));
  const std::vector<std::string> argv = {kServer, "--port=0", absl::StrCat("--identity_db=", db),
                                         "--operators=alice"};
  std::string log;
  {
    Subprocess server(argv);
    const int port = PortOf(server);
    ASSERT_GT(port, 0);
    absl::StatusOr<LineClient> alice = LoggedIn(port, "alice");
    ASSERT_TRUE(alice.ok());
    absl::StatusOr<LineClient> bob = LoggedIn(port, "bob");
    ASSERT_TRUE(bob.ok());
    alice->ReadUntil("[alice]:");  // bob's join
    // Not registered yet: the flag alone makes nobody an operator.
    alice->Send("/kick bob\n");
    EXPECT_EQ(alice->ReadUntil("[alice]:").substr(0, 25), "Only operators can kick.\n");
    Register(*alice, "alice");
    alice->Send("/ban bob 7d spam\n");
    EXPECT_TRUE(absl::StrContains(alice->ReadUntil("spam\n"), "Ban #1: bob banned until "));
    EXPECT_TRUE(absl::StrContains(bob->ReadToEnd(), "You were banned by alice until "));
    log += StopAndDrainLog(server);
  }
  Subprocess server(argv);
  const int port = PortOf(server);
  ASSERT_GT(port, 0);
  absl::StatusOr<LineClient> bob = LineClient::Connect(port);
  ASSERT_TRUE(bob.ok());
  EXPECT_EQ(bob->Read(GoldenWelcome().size()), GoldenWelcome());
  bob->Send("BOB\n");
  const std::string refused = bob->ReadToEnd();
  EXPECT_TRUE(absl::StrContains(refused, "You are banned until ")) << refused;
  EXPECT_TRUE(absl::StrContains(refused, ": spam\n")) << refused;
  log += StopAndDrainLog(server);
  EXPECT_TRUE(absl::StrContains(log, "moderation: alice banned bob until ")) << log;
}

TEST(IdentityBinaryTest, ADatabaseFromANewerVersionStopsTheStart) {
  const std::string db = TempPath("newer.db");
  std::filesystem::remove(db);
  sqlite3* handle = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &handle), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(handle, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(handle);
  Subprocess server({kServer, "--port=0", absl::StrCat("--identity_db=", db)});
  const std::optional<int> status = server.Wait(kPatience);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 1);
  const std::string err = server.DrainStderr();
  EXPECT_TRUE(absl::StrContains(err, "cannot open --identity_db: "));
  EXPECT_TRUE(absl::StrContains(err, "has schema version 99")) << err;
}

TEST(IdentityBinaryTest, HelpListsTheFlags) {
  Subprocess server({kServer, "--helpon=main"});
  ASSERT_TRUE(server.Wait(kPatience).has_value());
  const std::string help = server.DrainStdout() + server.DrainStderr();
  for (const char* flag :
       {"identity_db", "login_slow_after", "login_lockout_after", "login_lockout",
        "max_concurrent_password_hashes", "operators", "password_hash_wait",
        "password_ops_per_minute", "max_registrations_per_address", "max_mutes"}) {
    EXPECT_TRUE(absl::StrContains(help, absl::StrCat("-", flag, " ("))) << flag << "\n" << help;
  }
}

}  // namespace
}  // namespace chat
