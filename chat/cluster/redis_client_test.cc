#include "chat/cluster/redis_client.h"

#include <hiredis/hiredis.h>

#include "chat/testing/redis_server.h"
#include "gtest/gtest.h"

namespace chat::cluster {
namespace {

TEST(RedisAddressTest, Parses) {
  absl::StatusOr<RedisAddress> a = ParseRedisAddress("127.0.0.1:6380");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 6380);
  EXPECT_EQ(ParseRedisAddress("redis.internal")->port, 6379);
  EXPECT_EQ(ParseRedisAddress("[::1]:7000")->host, "::1");
  EXPECT_EQ(ParseRedisAddress("[::1]:7000")->port, 7000);
  for (const char* bad : {"", ":6379", "h:0", "h:65536", "h:x", "[::1", "[::1]x"}) {
    EXPECT_FALSE(ParseRedisAddress(bad).ok()) << bad;
  }
}

TEST(BackoffTest, DoublesUpToTheCapAndResets) {
  Backoff backoff(absl::Milliseconds(50), absl::Milliseconds(300));
  EXPECT_EQ(backoff.Next(), absl::Milliseconds(50));
  EXPECT_EQ(backoff.Next(), absl::Milliseconds(100));
  EXPECT_EQ(backoff.Next(), absl::Milliseconds(200));
  EXPECT_EQ(backoff.Next(), absl::Milliseconds(300));
  EXPECT_EQ(backoff.Next(), absl::Milliseconds(300));
  backoff.Reset();
  EXPECT_EQ(backoff.Next(), absl::Milliseconds(50));
}

TEST(RedisConnectionTest, ArgumentsAreBinarySafeNeverParsed) {
  testing::RedisServer redis;
  ASSERT_TRUE(redis.Start().ok());
  RedisConnection connection({"127.0.0.1", redis.port()}, absl::Seconds(5));
  ASSERT_TRUE(connection.Connect().ok());
  const std::string tricky("a b\r\n*1\r\n$4\r\nPING\0end", 21);
  ASSERT_TRUE(connection.Command({"SET", "k %s", tricky}).ok());
  absl::StatusOr<ReplyPtr> got = connection.Command({"GET", "k %s"});
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(ReplyText(**got), tricky);
  // An error reply is an error, but the connection stays usable.
  EXPECT_FALSE(connection.Command({"NOSUCHCOMMAND"}).ok());
  EXPECT_TRUE(connection.connected());
  // Pipelined replies come back in order.
  ASSERT_TRUE(connection.Append({"ECHO", "one"}).ok());
  ASSERT_TRUE(connection.Append({"ECHO", "two"}).ok());
  EXPECT_EQ(ReplyText(**connection.GetReply()), "one");
  EXPECT_EQ(ReplyText(**connection.GetReply()), "two");
}

TEST(RedisConnectionTest, BreaksWhenRedisGoesAndReconnectsWhenItIsBack) {
  testing::RedisServer redis;
  ASSERT_TRUE(redis.Start().ok());
  RedisConnection connection({"127.0.0.1", redis.port()}, absl::Seconds(5));
  ASSERT_TRUE(connection.Connect().ok());
  redis.Kill9();
  EXPECT_FALSE(connection.Command({"PING"}).ok());
  EXPECT_FALSE(connection.connected());
  EXPECT_FALSE(connection.Connect().ok());  // refused while it is down
  ASSERT_TRUE(redis.Restart().ok());
  ASSERT_TRUE(connection.Connect().ok());
  absl::StatusOr<ReplyPtr> pong = connection.Command({"PING"});
  ASSERT_TRUE(pong.ok());
  EXPECT_EQ(ReplyText(**pong), "PONG");
}

TEST(RedisConnectionTest, AnUnreachableServerFailsWithinTheTimeout) {
  RedisConnection connection({"127.0.0.1", 1}, absl::Seconds(1));
  EXPECT_FALSE(connection.Connect().ok());
  EXPECT_FALSE(connection.Command({"PING"}).ok());
}

}  // namespace
}  // namespace chat::cluster
