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
#include "chat/testing/cluster_fixture.h"
#include "gtest/gtest.h"

namespace chat {
namespace {

using testing::Eventually;
using testing::Health;
using testing::Instance;
using testing::LineClient;
using testing::Login;
using testing::ReadChat;
using testing::Without;
using testing::RedisServer;

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
