// tools/deploy/cluster.sh as README tells people to run it: Redis, three instances and
// HAProxy on loopback. Two clients that HAProxy sends to different instances chat with
// each other, and each instance saw its client's own address (the PROXY header).

#include <signal.h>
#include <sys/wait.h>

#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "chat/testing/line_client.h"
#include "chat/testing/server_process.h"
#include "chat/testing/subprocess.h"
#include "chat/testing/test_files.h"
#include "gtest/gtest.h"

namespace chat {
namespace {

using testing::LineClient;
using testing::Subprocess;

constexpr absl::Duration kPatience = absl::Seconds(60);

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Distinct free loopback ports.
std::vector<int> FreePorts(int n) {
  std::set<int> ports;
  while (static_cast<int>(ports.size()) < n) ports.insert(testing::FreeLoopbackPort());
  return {ports.begin(), ports.end()};
}

class ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = testing::TempPath("cluster");
    const std::vector<int> ports = FreePorts(8);
    chat_port_ = ports[0];
    cluster_.emplace(std::vector<std::string>{
        "/usr/bin/env",
        absl::StrCat("CHAT_PORT=", chat_port_),
        absl::StrCat("INSTANCE_PORTS=", ports[1], " ", ports[2], " ", ports[3]),
        absl::StrCat("METRICS_PORTS=", ports[4], " ", ports[5], " ", ports[6]),
        absl::StrCat("REDIS_PORT=", ports[7]),
        "SERVER=chat/server",
        absl::StrCat("DATA_DIR=", data_),
        "/bin/bash",
        "tools/deploy/cluster.sh"});
    const std::optional<std::string> ready = cluster_->ReadStdoutLine(kPatience);
    ASSERT_TRUE(ready.has_value()) << cluster_->DrainStderr();
    ASSERT_TRUE(absl::StartsWith(*ready, "cluster: ready")) << *ready;
  }

  void TearDown() override {
    // The script stops everything it started, by PID, on SIGTERM.
    cluster_->Signal(SIGTERM);
    const std::optional<int> status = cluster_->Wait(kPatience);
    ASSERT_TRUE(status.has_value()) << "cluster.sh did not stop";
    EXPECT_TRUE(WIFEXITED(*status)) << *status;
  }

  // A client through HAProxy, once an instance is healthy enough to greet it.
  LineClient LoggedIn(const std::string& name) {
    const absl::Time deadline = absl::Now() + kPatience;
    for (;;) {
      absl::StatusOr<LineClient> client = LineClient::Connect(chat_port_);
      if (client.ok()) {
        const std::string greeting = client->ReadUntil("[ENTER YOUR NAME]: ");
        if (absl::EndsWith(greeting, "[ENTER YOUR NAME]: ")) {
          client->Send(name + "\n");
          EXPECT_TRUE(absl::EndsWith(client->ReadUntil("[" + name + "]:"), "[" + name + "]:"));
          return *std::move(client);
        }
      }
      // HAProxy refuses until its first health checks pass.
      if (absl::Now() > deadline) {
        ADD_FAILURE() << "no instance greeted " << name;
        return LineClient();
      }
      absl::SleepFor(absl::Milliseconds(200));
    }
  }

  std::string data_;
  int chat_port_ = -1;
  std::optional<Subprocess> cluster_;
};

TEST_F(ClusterTest, ClientsOnDifferentInstancesChatThroughHaproxy) {
  LineClient alice = LoggedIn("alice");
  LineClient bob = LoggedIn("bob");  // leastconn: not alice's instance
  EXPECT_TRUE(absl::StrContains(alice.ReadUntil("bob has joined our chat..."),
                                "bob has joined our chat..."));
  bob.Send("hello across instances\n");
  EXPECT_TRUE(absl::StrContains(alice.ReadUntil("[bob]:hello across instances\n"),
                                "[bob]:hello across instances\n"));
  alice.Send("hi bob\n");
  EXPECT_TRUE(absl::StrContains(bob.ReadUntil("[alice]:hi bob\n"), "[alice]:hi bob\n"));

  // Each login is in exactly one instance's log, from 127.0.0.1 via HAProxy.
  std::vector<std::string> logs;
  for (int i = 1; i <= 3; ++i) logs.push_back(Slurp(absl::StrCat(data_, "/chat", i, ".log")));
  int alice_at = -1, bob_at = -1;
  for (int i = 0; i < 3; ++i) {
    if (absl::StrContains(logs[i], " as alice in ")) alice_at = i;
    if (absl::StrContains(logs[i], " as bob in ")) bob_at = i;
  }
  ASSERT_GE(alice_at, 0) << absl::StrJoin(logs, "\n----\n");
  ASSERT_GE(bob_at, 0) << absl::StrJoin(logs, "\n----\n");
  EXPECT_NE(alice_at, bob_at) << "both on one instance proves nothing about the cluster";
  EXPECT_TRUE(absl::StrContains(logs[alice_at], " via 127.0.0.1:")) << logs[alice_at];
}

}  // namespace
}  // namespace chat
