// Operating a cluster (--redis): Redis passwords (--redis_password_file) and what
// /metrics says about Redis.

#include <signal.h>
#include <sys/wait.h>

#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "chat/testing/cluster_fixture.h"
#include "gtest/gtest.h"

namespace chat {
namespace {

using testing::Eventually;
using testing::Health;
using testing::Instance;
using testing::kPatience;
using testing::kServer;
using testing::LineClient;
using testing::Login;
using testing::ReadChat;
using testing::RedisServer;
using testing::Subprocess;

std::string WriteFile(const std::string& name, const std::string& text) {
  const std::string path = absl::StrCat(std::getenv("TEST_TMPDIR"), "/", name);
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

// The value of the sample `series` in /metrics, or nullopt.
std::optional<double> Metric(int metrics_port, const std::string& series) {
  absl::StatusOr<LineClient> http = LineClient::Connect(metrics_port);
  if (!http.ok()) return std::nullopt;
  http->Send("GET /metrics HTTP/1.0\r\n\r\n");
  for (std::string_view line : absl::StrSplit(http->ReadToEnd(), '\n')) {
    double value = 0;
    if (absl::StartsWith(line, series + " ") &&
        absl::SimpleAtod(line.substr(series.size() + 1), &value)) {
      return value;
    }
  }
  return std::nullopt;
}

TEST(ClusterOpsBinaryTest, TheRightRedisPasswordFromAFileWorks) {
  RedisServer redis(/*append_only=*/false, "correct horse");
  ASSERT_TRUE(redis.Start().ok());
  const std::string file = WriteFile("right", "correct horse\n");
  Instance a(redis, "a", {absl::StrCat("--redis_password_file=", file)});
  Instance b(redis, "b", {absl::StrCat("--redis_password_file=", file)});
  ASSERT_GT(a.port, 0);
  ASSERT_GT(b.port, 0);
  EXPECT_TRUE(Eventually([&] { return Health(a.metrics_port) == "200 ok\n"; }));
  LineClient alice = Login(a.port, "alice");
  LineClient bob = Login(b.port, "bob");
  alice.ReadUntil("bob has joined our chat...");
  alice.Send("msg-alice-0\n");
  EXPECT_EQ(ReadChat(bob, 1), std::vector<std::string>{"alice:msg-alice-0"});
  EXPECT_EQ(Metric(a.metrics_port, "tcpchat_redis_up"), 1);
  // Not in what the process shows the world.
  std::ifstream cmdline(absl::StrCat("/proc/", a.process->pid(), "/cmdline"));
  const std::string args((std::istreambuf_iterator<char>(cmdline)), std::istreambuf_iterator<char>());
  EXPECT_FALSE(absl::StrContains(args, "horse")) << args;
}

TEST(ClusterOpsBinaryTest, AWrongRedisPasswordIsUnhealthyAndTheLogSaysWhy) {
  RedisServer redis(/*append_only=*/false, "correct horse");
  ASSERT_TRUE(redis.Start().ok());
  Instance a(redis, "a",
             {absl::StrCat("--redis_password_file=", WriteFile("wrong", "battery staple\n"))});
  ASSERT_GT(a.port, 0);
  EXPECT_TRUE(Eventually([&] { return Health(a.metrics_port) == "503 redis unavailable\n"; }))
      << Health(a.metrics_port);
  EXPECT_EQ(Metric(a.metrics_port, "tcpchat_redis_up"), 0);
  // Each of the instance's Redis users (room streams, presence, inbox) says why, once
  // per outage, not once per retry.
  const std::vector<std::string> sources = {"room_streams.cc", "presence.cc", "inbox.cc"};
  const auto says_why = [](const std::string& log, const std::string& source) {
    size_t count = 0;
    for (absl::string_view line : absl::StrSplit(log, '\n')) {
      if (absl::StrContains(line, source) && absl::StrContains(line, "AUTH refused") &&
          absl::StrContains(line, "WRONGPASS")) {
        ++count;
      }
    }
    return count;
  };
  std::string log;
  EXPECT_TRUE(Eventually([&] {
    log = a.process->DrainStderr();  // all of it so far
    for (const std::string& source : sources) {
      if (says_why(log, source) == 0) return false;
    }
    return true;
  })) << log;
  EXPECT_FALSE(absl::StrContains(log, "battery")) << log;
  // Still unhealthy (so each has retried meanwhile), and nobody said it again.
  EXPECT_EQ(Health(a.metrics_port), "503 redis unavailable\n");
  log = a.process->DrainStderr();
  for (const std::string& source : sources) EXPECT_EQ(says_why(log, source), 1u) << source << log;
}

TEST(ClusterOpsBinaryTest, AnUnreadablePasswordFileStopsTheStart) {
  RedisServer redis;
  ASSERT_TRUE(redis.Start().ok());
  for (const std::string& file : {absl::StrCat(std::getenv("TEST_TMPDIR"), "/missing"),
                                  WriteFile("empty", "\n")}) {
    Subprocess server({kServer, "--port=0", absl::StrCat("--redis=", redis.address()),
                       absl::StrCat("--redis_password_file=", file)});
    const std::optional<int> status = server.Wait(kPatience);
    ASSERT_TRUE(status.has_value());
    EXPECT_EQ(WEXITSTATUS(*status), 1);
    EXPECT_TRUE(absl::StrContains(server.DrainStderr(), "--redis_password_file: ")) << file;
  }
}

TEST(ClusterOpsBinaryTest, MetricsShowRedisDownAndTheLinesItRefused) {
  RedisServer redis;
  ASSERT_TRUE(redis.Start().ok());
  Instance a(redis, "a");
  LineClient alice = Login(a.port, "alice");
  ASSERT_TRUE(Eventually([&] { return Metric(a.metrics_port, "tcpchat_redis_up") == 1; }));
  EXPECT_EQ(Metric(a.metrics_port, "tcpchat_redis_refused_lines_total{reason=\"unavailable\"}"), 0);
  redis.Stop();
  alice.Send("msg-alice-0\n");
  alice.ReadUntil("NOT sent");
  EXPECT_EQ(Metric(a.metrics_port, "tcpchat_redis_refused_lines_total{reason=\"unavailable\"}"), 1);
  EXPECT_EQ(Metric(a.metrics_port, "tcpchat_redis_refused_lines_total{reason=\"queue_full\"}"), 0);
  EXPECT_TRUE(Eventually([&] { return Metric(a.metrics_port, "tcpchat_redis_up") == 0; }));
  ASSERT_TRUE(redis.Restart().ok());
  EXPECT_TRUE(Eventually([&] { return Metric(a.metrics_port, "tcpchat_redis_up") == 1; }));
}


TEST(ClusterOpsBinaryTest, PastTheRedisPendingBytesALineIsRefusedAtOnce) {
  RedisServer redis;
  ASSERT_TRUE(redis.Start().ok());
  // One post on its own is always taken; a second waits behind it and is refused. Nothing
  // times out while Redis stalls.
  Instance a(redis, "a", {"--redis_max_pending_bytes=1", "--redis_timeout=10m"});
  LineClient alice = Login(a.port, "alice");
  LineClient carol = Login(a.port, "carol");
  LineClient bob = Login(a.port, "bob");
  alice.ReadUntil("bob has joined our chat...");
  carol.ReadUntil("bob has joined our chat...");

  redis.Pause();
  alice.Send("msg-alice-0\n");
  ASSERT_TRUE(Eventually([&] { return Metric(a.metrics_port, "tcpchat_redis_pending_bytes") > 0; }));
  carol.Send("msg-carol-0\n");
  EXPECT_TRUE(absl::StrContains(carol.ReadUntil("NOT sent"), "your message was NOT sent"));
  EXPECT_EQ(Metric(a.metrics_port, "tcpchat_redis_refused_lines_total{reason=\"queue_full\"}"), 1);

  redis.Resume();
  // alice's line was only late; carol's was never sent.
  EXPECT_EQ(ReadChat(bob, 1), std::vector<std::string>{"alice:msg-alice-0"});
  carol.Send("msg-carol-1\n");
  EXPECT_EQ(ReadChat(bob, 1), std::vector<std::string>{"carol:msg-carol-1"});
  EXPECT_TRUE(Eventually([&] { return Metric(a.metrics_port, "tcpchat_redis_pending_bytes") == 0; }));
}

}  // namespace
}  // namespace chat
