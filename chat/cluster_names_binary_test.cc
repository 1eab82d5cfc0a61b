// Real server binaries on one real redis-server (--redis): names are unique across the
// instances, /users, /whois and /rooms see everyone, and a killed instance's users leave.

#include <signal.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "chat/cluster/keys.h"
#include "chat/cluster/redis_client.h"
#include "chat/name.h"
#include "chat/testing/cluster_fixture.h"
#include "gtest/gtest.h"

namespace chat {
namespace {

using testing::Instance;
using testing::kPatience;
using testing::LineClient;
using testing::Login;
using testing::RedisServer;

// Short leases, so a killed instance's names free themselves quickly; tests retry names
// at the prompt, so the per-address login limit is off.
const std::vector<std::string> kFlags = {"--redis_name_lease=2s", "--logins_per_minute_per_ip=0"};

// A redis-server and instances "a" and "b" on it.
class ClusterNamesBinaryTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(started_ && a.port > 0 && b.port > 0); }

  RedisServer redis_;
  const bool started_ = redis_.Start().ok();
  Instance a{redis_, "a", kFlags};
  Instance b{redis_, "b", kFlags};
};

// A client at the name prompt.
LineClient AtNamePrompt(int port) {
  absl::StatusOr<LineClient> client = LineClient::Connect(port);
  EXPECT_TRUE(client.ok()) << client.status();
  if (!client.ok()) return LineClient();
  client->ReadUntil("[ENTER YOUR NAME]: ");
  return *std::move(client);
}

// Sends `name` at the name prompt; returns what came back, up to the next prompt (the
// name prompt again after a refusal, the chat prompt after a login).
std::string TryName(LineClient& client, const std::string& name) {
  client.Send(absl::StrCat(name, "\n"));
  return client.ReadUntil("]:");
}

// Sends `command` until its reply contains `wanted` (other servers' news travels through
// Redis); returns the last reply.
std::string CommandUntil(LineClient& client, const std::string& command, const std::string& wanted,
                         const std::string& prompt) {
  std::string reply;
  const absl::Time deadline = absl::Now() + kPatience;
  do {
    client.Send(absl::StrCat(command, "\n"));
    reply = client.ReadUntil(prompt);
    if (absl::StrContains(reply, wanted)) break;
    absl::SleepFor(absl::Milliseconds(100));
  } while (absl::Now() < deadline);
  return reply;
}

TEST_F(ClusterNamesBinaryTest, ANameInUseOnOneInstanceIsTakenOnTheOthers) {
  LineClient alice = Login(a.port, "alice");
  LineClient client = AtNamePrompt(b.port);
  // The same words as for a name taken on the same server; every spelling of it too.
  for (const std::string name : {"alice", "ALICE", "\xd0\x90lice" /* Cyrillic A */,
                                  "\xef\xbd\x81lice" /* full-width a */}) {
    EXPECT_TRUE(absl::StrContains(TryName(client, name),
                                  absl::StrCat("Name '", name, "' is already taken.")))
        << name;
  }
  // Nor can anyone rename onto it.
  EXPECT_FALSE(absl::StrContains(TryName(client, "bob"), "already taken"));
  client.Send("/name Alice\n");
  EXPECT_TRUE(absl::StrContains(client.ReadUntil("[bob]:"), "Name 'Alice' is already taken."));
  // And a name held on b is taken on a.
  LineClient other = AtNamePrompt(a.port);
  EXPECT_TRUE(absl::StrContains(TryName(other, "BOB"), "Name 'BOB' is already taken."));

  // alice leaves a: the name is free everywhere at once (released, not left to expire).
  alice.Send("/quit\n");
  alice.ReadToEnd();
  std::string reply;
  const absl::Time deadline = absl::Now() + kPatience;
  do {
    reply = TryName(other, "Alice");
  } while (absl::StrContains(reply, "already taken") && absl::Now() < deadline);
  EXPECT_TRUE(absl::StrContains(reply, "[Alice]:")) << reply;
  // bob renames on b: his old name is free, his new one taken.
  client.Send("/name robert\n");
  const std::string renamed = client.ReadUntil("You are now known as robert.");
  EXPECT_TRUE(absl::StrContains(renamed, "You are now known as robert.")) << renamed;
  LineClient third = AtNamePrompt(a.port);
  EXPECT_TRUE(absl::StrContains(TryName(third, "Robert"), "already taken"));
  EXPECT_TRUE(absl::StrContains(TryName(third, "bob"), "[bob]:"));
}

TEST_F(ClusterNamesBinaryTest, UsersWhoisAndRoomsSeeEveryInstance) {
  LineClient alice = Login(a.port, "alice");
  LineClient bob = Login(b.port, "bob");
  std::string users = CommandUntil(bob, "/users", "alice", "[bob]:");
  EXPECT_TRUE(absl::StrContains(users, "Users in general (2): alice, bob\nConnected in total: 2"))
      << users;

  alice.Send("/away lunch\n");
  alice.ReadUntil("[alice]:");
  std::string whois = CommandUntil(bob, "/whois ALICE", "alice is away: lunch", "[bob]:");
  EXPECT_TRUE(absl::StrContains(whois, "alice: in general, not registered, idle ")) << whois;
  EXPECT_TRUE(absl::StrContains(whois, "alice is away: lunch")) << whois;
  // bob is no operator: nobody's address, whichever server they are on.
  EXPECT_FALSE(absl::StrContains(whois, "address")) << whois;
  users = CommandUntil(bob, "/users", "alice (away)", "[bob]:");
  EXPECT_TRUE(absl::StrContains(users, "Users in general (2): alice (away), bob")) << users;

  alice.Send("/join dev\n");
  alice.ReadUntil("[alice]:");
  const std::string rooms = CommandUntil(bob, "/rooms", "dev (1)", "[bob]:");
  EXPECT_TRUE(absl::StrContains(rooms, "Rooms: dev (1), general (1)")) << rooms;
  users = CommandUntil(bob, "/users", "Users in general (1)", "[bob]:");
  EXPECT_TRUE(absl::StrContains(users, "Users in general (1): bob\nConnected in total: 2"))
      << users;
  EXPECT_TRUE(absl::StrContains(CommandUntil(bob, "/whois alice", "in dev", "[bob]:"),
                                "alice: in dev"));

  bob.Send("/whois nobody\n");
  EXPECT_TRUE(absl::StrContains(bob.ReadUntil("No such user: nobody"), "No such user: nobody"));
}

TEST_F(ClusterNamesBinaryTest, AKilledInstancesUsersLeaveAndTheirNamesFreeThemselves) {
  LineClient alice = Login(a.port, "alice");
  LineClient bob = Login(b.port, "bob");
  ASSERT_TRUE(absl::StrContains(CommandUntil(bob, "/users", "alice", "[bob]:"), "alice, bob"));
  LineClient client = AtNamePrompt(b.port);
  ASSERT_TRUE(absl::StrContains(TryName(client, "alice"), "already taken"));

  a.process->Signal(SIGKILL);
  ASSERT_TRUE(a.process->Wait(kPatience).has_value());
  // Announced by b once a's heartbeat expired, as if alice had left.
  EXPECT_TRUE(absl::StrContains(bob.ReadUntil("alice has left our chat..."),
                                "alice has left our chat..."));
  // And alice's lease lapses by itself: she can come back through b.
  std::string reply;
  const absl::Time deadline = absl::Now() + kPatience;
  do {
    reply = TryName(client, "alice");
    if (absl::StrContains(reply, "already taken")) absl::SleepFor(absl::Milliseconds(200));
  } while (absl::StrContains(reply, "already taken") && absl::Now() < deadline);
  EXPECT_TRUE(absl::StrContains(reply, "[alice]:")) << reply;
  EXPECT_TRUE(absl::StrContains(bob.ReadUntil("alice has joined our chat..."),
                                "alice has joined our chat..."));
  // Exactly one leave was announced: nothing but prompts between the join and bob's
  // command's reply.
  bob.Send("/users\n");
  const std::string users = bob.ReadUntil("Connected in total: ");
  EXPECT_FALSE(absl::StrContains(users, "has left")) << users;
  EXPECT_TRUE(absl::StrContains(users, "Users in general (2): alice, bob")) << users;
}

TEST(ClusterNamesOneInstanceTest, WithoutRedisNoNameIsGrantedBlind) {
  RedisServer redis;
  ASSERT_TRUE(redis.Start().ok());
  Instance a(redis, "a", kFlags);
  ASSERT_GT(a.port, 0);
  LineClient client = AtNamePrompt(a.port);
  redis.Stop();
  // Nobody can tell whether another server has it: refused, and the prompt comes back.
  const std::string reply = TryName(client, "alice");
  EXPECT_TRUE(absl::StrContains(
      reply, "The chat is unavailable right now; names cannot be checked. Try again shortly."))
      << reply;
  EXPECT_TRUE(absl::StrContains(reply, "[ENTER YOUR NAME]:")) << reply;
  ASSERT_TRUE(redis.Restart().ok());
  EXPECT_TRUE(absl::StrContains(TryName(client, "alice"), "[alice]:"));
}

TEST(ClusterNamesOneInstanceTest, ANameAnotherInstanceTookDuringAnOutageIsLostHere) {
  RedisServer redis;
  ASSERT_TRUE(redis.Start().ok());
  Instance a(redis, "a", kFlags);
  ASSERT_GT(a.port, 0);
  LineClient alice = Login(a.port, "alice");
  LineClient bob = Login(a.port, "bob");
  // What a's heartbeat finds after an outage longer than the lease, in which instance b
  // took the lapsed name: b's lease, lawfully. Two alices must never be online at once.
  cluster::RedisConnection raw({"127.0.0.1", redis.port()}, absl::Seconds(2));
  ASSERT_TRUE(raw.Connect().ok());
  ASSERT_TRUE(raw.Command({"SET", cluster::NameLeaseKey(NameKey("alice")), "b"}).ok());
  const std::string goodbye = alice.ReadToEnd();
  EXPECT_TRUE(absl::StrContains(goodbye,
                                "Your name was taken on another server while this one was cut "
                                "off from the chat; log in again. Bye!"))
      << goodbye;
  EXPECT_TRUE(absl::StrContains(bob.ReadUntil("alice has left our chat..."),
                                "alice has left our chat..."));
  // b's lease survives alice's leave (compare-and-delete), and bob's was never touched.
  absl::StatusOr<cluster::ReplyPtr> owner =
      raw.Command({"GET", cluster::NameLeaseKey(NameKey("alice"))});
  ASSERT_TRUE(owner.ok());
  EXPECT_EQ(cluster::ReplyText(**owner), "b");
  owner = raw.Command({"GET", cluster::NameLeaseKey(NameKey("bob"))});
  ASSERT_TRUE(owner.ok());
  EXPECT_EQ(cluster::ReplyText(**owner), "a");
}

}  // namespace
}  // namespace chat
