// Several real server binaries on one real redis-server (--redis): one chat.

#include <regex>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "chat/testing/line_client.h"
#include "chat/testing/redis_server.h"
#include "chat/testing/server_process.h"
#include "chat/testing/subprocess.h"
#include "gtest/gtest.h"

namespace chat {
namespace {

using testing::LineClient;
using testing::RedisServer;
using testing::Subprocess;

constexpr char kServer[] = "chat/server";
constexpr absl::Duration kPatience = absl::Seconds(30);

struct Instance {
  Instance(const RedisServer& redis, const std::string& id) {
    metrics_port = testing::FreeLoopbackPort();
    process = std::make_unique<Subprocess>(std::vector<std::string>{
        kServer, "--port=0", absl::StrCat("--redis=", redis.address()),
        absl::StrCat("--instance_id=", id), absl::StrCat("--metrics_port=", metrics_port),
        "--max_clients=20", "--redis_timeout=2s"});
    port = testing::ReadPortLine(*process, "Listening on the port :", kPatience);
  }
  std::unique_ptr<Subprocess> process;
  int port = -1;
  int metrics_port = -1;
};

// Logs `name` in on `port`; returns the client, past its first prompt.
LineClient Login(int port, const std::string& name) {
  absl::StatusOr<LineClient> client = LineClient::Connect(port);
  EXPECT_TRUE(client.ok()) << client.status();
  if (!client.ok()) return LineClient();
  client->ReadUntil("[ENTER YOUR NAME]: ");
  client->Send(absl::StrCat(name, "\n"));
  client->ReadUntil(absl::StrCat("[", name, "]:"));
  return *std::move(client);
}

// /healthz of an instance: "200 ..." or "503 ...", status code and body.
std::string Health(int metrics_port) {
  absl::StatusOr<LineClient> http = LineClient::Connect(metrics_port);
  if (!http.ok()) return "";
  http->Send("GET /healthz HTTP/1.0\r\n\r\n");
  const std::string response = http->ReadToEnd();
  const size_t body = response.find("\r\n\r\n");
  return absl::StrCat(response.substr(9, 3), " ",
                      body == std::string::npos ? "" : response.substr(body + 4));
}

template <typename F>
bool Eventually(F done) {
  const absl::Time deadline = absl::Now() + kPatience;
  while (!done()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return true;
}

// Reads until `count` chat lines matching "[speaker]:msg-..." arrived; returns them as
// "speaker:msg-..." in arrival order.
std::vector<std::string> ReadChat(LineClient& client, size_t count) {
  static const std::regex kLine(R"(\]\[(\w+)\]:(msg-\w+-\d+))");
  std::vector<std::string> lines;
  std::string raw;
  const absl::Time deadline = absl::Now() + kPatience;
  while (lines.size() < count && absl::Now() < deadline) {
    const std::string chunk = client.ReadUntil("\n");
    if (chunk.empty()) break;
    raw += chunk;
    for (std::sregex_iterator it(chunk.begin(), chunk.end(), kLine), end; it != end; ++it) {
      lines.push_back(absl::StrCat((*it)[1].str(), ":", (*it)[2].str()));
    }
  }
  EXPECT_EQ(lines.size(), count) << raw;
  return lines;
}

std::vector<std::string> Without(const std::vector<std::string>& lines, const std::string& a,
                                 const std::string& b) {
  std::vector<std::string> out;
  for (const std::string& line : lines) {
    if (!absl::StartsWith(line, a + ":") && !absl::StartsWith(line, b + ":")) out.push_back(line);
  }
  return out;
}

TEST(ClusterBinaryTest, TwoInstancesShareLinesJoinsAndLeavesInOneOrder) {
  RedisServer redis;
  ASSERT_TRUE(redis.Start().ok());
  Instance a(redis, "a");
  Instance b(redis, "b");
  ASSERT_GT(a.port, 0);
  ASSERT_GT(b.port, 0);

  LineClient alice = Login(a.port, "alice");
  LineClient bob = Login(b.port, "bob");
  EXPECT_TRUE(absl::StrContains(alice.ReadUntil("bob has joined our chat..."),
                                "bob has joined our chat..."));
  alice.Send("hello from a\n");
  EXPECT_TRUE(absl::StrContains(bob.ReadUntil("hello from a"), "][alice]:hello from a"));
  bob.Send("hello from b\n");
  EXPECT_TRUE(absl::StrContains(alice.ReadUntil("hello from b"), "][bob]:hello from b"));

  LineClient carol = Login(a.port, "carol");
  LineClient dave = Login(b.port, "dave");
  // Everyone knows everyone is in before the crowd starts talking.
  alice.ReadUntil("dave has joined our chat...");
  bob.ReadUntil("dave has joined our chat...");
  carol.ReadUntil("dave has joined our chat...");

  // Four speakers on two instances at once; each sees the other three's lines.
  constexpr int kEach = 10;
  std::vector<std::string> names = {"alice", "bob", "carol", "dave"};
  std::vector<LineClient*> clients = {&alice, &bob, &carol, &dave};
  std::vector<std::thread> speakers;
  for (size_t i = 0; i < clients.size(); ++i) {
    speakers.emplace_back([&, i] {
      std::string burst;
      for (int n = 0; n < kEach; ++n) absl::StrAppend(&burst, "msg-", names[i], "-", n, "\n");
      clients[i]->Send(burst);
    });
  }
  for (auto& t : speakers) t.join();
  std::vector<std::vector<std::string>> seen(clients.size());
  std::vector<std::thread> readers;
  for (size_t i = 0; i < clients.size(); ++i) {
    readers.emplace_back([&, i] { seen[i] = ReadChat(*clients[i], 3 * kEach); });
  }
  for (auto& t : readers) t.join();
  for (size_t i = 0; i < clients.size(); ++i) {
    ASSERT_EQ(seen[i].size(), 3u * kEach) << names[i];
  }
  // One order: any two clients agree on the order of the lines neither of them said.
  for (size_t i = 0; i < clients.size(); ++i) {
    for (size_t j = i + 1; j < clients.size(); ++j) {
      EXPECT_EQ(Without(seen[i], names[i], names[j]), Without(seen[j], names[i], names[j]))
          << names[i] << " vs " << names[j];
    }
  }

  dave.Close();
  EXPECT_TRUE(absl::StrContains(alice.ReadUntil("dave has left our chat..."),
                                "dave has left our chat..."));
}

TEST(ClusterBinaryTest, ALateJoinerOnAnotherInstanceGetsTheHistoryInOrder) {
  RedisServer redis;
  ASSERT_TRUE(redis.Start().ok());
  Instance a(redis, "a");
  LineClient alice = Login(a.port, "alice");
  for (int n = 0; n < 5; ++n) alice.Send(absl::StrCat("msg-alice-", n, "\n"));
  // The fifth is in Redis once alice's server took it; a second client there sees it.
  absl::StatusOr<LineClient> watcher = LineClient::Connect(a.port);
  ASSERT_TRUE(watcher.ok());
  watcher->ReadUntil("[ENTER YOUR NAME]: ");
  watcher->Send("watcher\n");
  ASSERT_EQ(ReadChat(*watcher, 5).size(), 5u);

  Instance b(redis, "b");  // started after the lines were said
  ASSERT_GT(b.port, 0);
  absl::StatusOr<LineClient> erin = LineClient::Connect(b.port);
  ASSERT_TRUE(erin.ok());
  erin->ReadUntil("[ENTER YOUR NAME]: ");
  erin->Send("erin\n");
  const std::vector<std::string> replay = ReadChat(*erin, 5);
  EXPECT_EQ(replay, (std::vector<std::string>{"alice:msg-alice-0", "alice:msg-alice-1",
                                              "alice:msg-alice-2", "alice:msg-alice-3",
                                              "alice:msg-alice-4"}));
}

TEST(ClusterBinaryTest, RedisDownTellsTheSpeakerAndKeepsConnectionsThenLinesFlowAgain) {
  RedisServer redis;
  ASSERT_TRUE(redis.Start().ok());
  Instance a(redis, "a");
  Instance b(redis, "b");
  LineClient alice = Login(a.port, "alice");
  LineClient bob = Login(b.port, "bob");
  alice.ReadUntil("bob has joined our chat...");
  EXPECT_EQ(Health(a.metrics_port), "200 ok\n");

  redis.Stop();
  alice.Send("msg-alice-0\n");
  const std::string refusal = alice.ReadUntil("NOT sent");
  EXPECT_TRUE(absl::StrContains(refusal, "The chat is unavailable right now; your message was NOT sent"))
      << refusal;
  EXPECT_TRUE(Eventually([&] { return Health(a.metrics_port) == "503 redis unavailable\n"; }))
      << Health(a.metrics_port);
  EXPECT_TRUE(Eventually([&] { return Health(b.metrics_port) == "503 redis unavailable\n"; }));

  ASSERT_TRUE(redis.Restart().ok());
  ASSERT_TRUE(Eventually([&] {
    return Health(a.metrics_port) == "200 ok\n" && Health(b.metrics_port) == "200 ok\n";
  }));
  // The same connections carry lines again, both ways.
  alice.Send("msg-alice-1\n");
  EXPECT_EQ(ReadChat(bob, 1), std::vector<std::string>{"alice:msg-alice-1"});
  bob.Send("msg-bob-1\n");
  EXPECT_EQ(ReadChat(alice, 1), std::vector<std::string>{"bob:msg-bob-1"});
}

}  // namespace
}  // namespace chat
