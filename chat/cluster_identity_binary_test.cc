// Several real server binaries on one redis-server with --redis_identity: accounts and
// bans are shared, and /msg, /reply, /kick and /ban reach users of other instances.
//
// Which instance has a name is the name leases' business (NameLeaseKey, kept by the
// instance that has the name). These tests also write the lease themselves, after the
// user has logged in and with the value its instance would write, so they test the
// inbox whether or not the leases are maintained by the binary.

#include <sys/wait.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "chat/cluster/keys.h"
#include "chat/cluster/redis_client.h"
#include "chat/name.h"
#include "chat/testing/cluster_fixture.h"
#include "gtest/gtest.h"

namespace chat {
namespace {

using testing::Instance;
using testing::LineClient;
using testing::Login;
using testing::RedisServer;

constexpr char kPassword[] = "Cluster-plaintext-4417";

class ClusterIdentityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start().ok());
    raw_ = std::make_unique<cluster::RedisConnection>(
        cluster::RedisAddress{"127.0.0.1", redis_.port()}, absl::Seconds(10));
    ASSERT_TRUE(raw_->Connect().ok());
  }

  // What instance `id` says once `name` has logged in there.
  void Lease(std::string_view name, std::string_view id) {
    ASSERT_TRUE(
        raw_->Command({"SET", cluster::NameLeaseKey(NameKey(name)), std::string(id)}).ok());
  }

  RedisServer redis_;
  std::unique_ptr<cluster::RedisConnection> raw_;
};

const std::vector<std::string> kSharedIdentity = {"--redis_identity", "--operators=op"};

// Registers the logged-in `client`'s `name` with kPassword.
void Register(LineClient& client, std::string_view name) {
  client.Send("/register\n");
  EXPECT_TRUE(absl::StrContains(client.ReadUntil("]: "), "[ENTER PASSWORD]: "));
  client.Send(absl::StrCat(kPassword, "\n"));
  EXPECT_EQ(client.ReadUntil("]: "), "[REPEAT PASSWORD]: ");
  client.Send(absl::StrCat(kPassword, "\n"));
  const std::string done = client.ReadUntil(absl::StrCat("[", name, "]:"));
  EXPECT_TRUE(absl::StrContains(done, absl::StrCat("You registered ", name, "."))) << done;
}

TEST_F(ClusterIdentityTest, AnAccountRegisteredOnOneInstanceNeedsItsPasswordOnAnother) {
  Instance a(redis_, "a", kSharedIdentity);
  Instance b(redis_, "b", kSharedIdentity);
  {
    LineClient alice = Login(a.port, "alice");
    Register(alice, "alice");
    alice.Send("/quit\n");
    alice.ReadToEnd();
  }
  absl::StatusOr<LineClient> client = LineClient::Connect(b.port);
  ASSERT_TRUE(client.ok());
  client->ReadUntil("[ENTER YOUR NAME]: ");
  client->Send("Alice\n");
  EXPECT_TRUE(absl::StrContains(client->ReadUntil("]: "), "[ENTER PASSWORD]: "));
  client->Send("not-the-password\n");
  EXPECT_EQ(client->ReadUntil("]: "), "Wrong password.\n[ENTER YOUR NAME]: ");
  client->Send("alice\n");
  EXPECT_TRUE(absl::StrContains(client->ReadUntil("]: "), "[ENTER PASSWORD]: "));
  client->Send(absl::StrCat(kPassword, "\n"));
  const std::string in = client->ReadUntil("[alice]:");
  EXPECT_TRUE(absl::EndsWith(in, "[alice]:")) << in;
}

TEST_F(ClusterIdentityTest, PrivateMessageAndReplyAcrossInstances) {
  Instance a(redis_, "a");
  Instance b(redis_, "b");
  LineClient alice = Login(a.port, "alice");
  Lease("alice", "a");
  LineClient bob = Login(b.port, "bob");
  Lease("bob", "b");
  alice.Send("/msg BOB hello from a\n");
  std::string got = bob.ReadUntil("hello from a");
  // Exactly as a private message from someone on the same server renders.
  EXPECT_TRUE(absl::StrContains(got, "][alice -> you]:hello from a")) << got;
  bob.Send("/reply hello back\n");
  got = alice.ReadUntil("hello back");
  EXPECT_TRUE(absl::StrContains(got, "][bob -> you]:hello back")) << got;
  // Nobody anywhere has the name: the usual answer.
  alice.Send("/msg carol anyone?\n");
  got = alice.ReadUntil("carol");
  EXPECT_TRUE(absl::StrContains(got, "No such user: carol")) << got;
}

TEST_F(ClusterIdentityTest, AnOperatorOnOneInstanceKicksAndBansOnAnother) {
  Instance a(redis_, "a", kSharedIdentity);
  Instance b(redis_, "b", kSharedIdentity);
  LineClient op = Login(a.port, "op");
  Register(op, "op");

  LineClient bob = Login(b.port, "bob");
  Lease("bob", "b");
  op.Send("/kick bob flooding\n");
  std::string got = op.ReadUntil("flooding");
  EXPECT_TRUE(absl::StrContains(got, "You kicked bob")) << got;
  got = bob.ReadToEnd();
  EXPECT_TRUE(absl::StrContains(got, "You were kicked by op")) << got;

  LineClient mallory = Login(b.port, "mallory");
  Lease("mallory", "b");
  op.Send("/ban mallory 1h spam\n");
  got = op.ReadUntil("spam\n");
  EXPECT_TRUE(absl::StrContains(got, "Ban #1: mallory")) << got;
  got = mallory.ReadToEnd();
  EXPECT_TRUE(absl::StrContains(got, "You were banned by op until ")) << got;

  // The ban is in Redis: instance b refuses the name at its next login.
  absl::StatusOr<LineClient> again = LineClient::Connect(b.port);
  ASSERT_TRUE(again.ok());
  again->ReadUntil("[ENTER YOUR NAME]: ");
  again->Send("Mallory\n");
  got = again->ReadToEnd();
  EXPECT_TRUE(absl::StrContains(got, "You are banned until ")) << got;
  EXPECT_TRUE(absl::StrContains(got, ": spam\n")) << got;
}

// Each server keeping its own accounts and bans would undo what --redis shares: refused.
TEST_F(ClusterIdentityTest, IdentityFlagsThatCannotWorkStopTheStart) {
  const std::vector<std::vector<std::string>> refused = {
      {testing::kServer, "--port=0", absl::StrCat("--redis=", redis_.address()),
       absl::StrCat("--identity_db=", ::testing::TempDir(), "/x.db")},
      {testing::kServer, "--port=0", absl::StrCat("--redis=", redis_.address()),
       "--redis_identity", absl::StrCat("--identity_db=", ::testing::TempDir(), "/x.db")},
      {testing::kServer, "--port=0", "--redis_identity"},
  };
  for (const std::vector<std::string>& argv : refused) {
    testing::Subprocess server(argv);
    const std::optional<int> status = server.Wait(testing::kPatience);
    ASSERT_TRUE(status.has_value()) << argv.back();
    EXPECT_EQ(WEXITSTATUS(*status), 1) << argv.back();
    EXPECT_TRUE(absl::StrContains(server.DrainStderr(), "--redis")) << argv.back();
  }
}

}  // namespace
}  // namespace chat
