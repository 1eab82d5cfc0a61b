#include "chat/cluster/redis_client.h"

#include <hiredis/hiredis.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/synchronization/notification.h"
#include "chat/cluster/redis_pool.h"
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

// An error reply in the middle of a pipeline does not leave the later replies unread: the
// next command on the connection gets its own reply, not a stale one.
TEST(RedisConnectionTest, APipelineReadsEveryReplyEvenAfterAnError) {
  testing::RedisServer redis;
  ASSERT_TRUE(redis.Start().ok());
  RedisConnection connection({"127.0.0.1", redis.port()}, absl::Seconds(5));
  ASSERT_TRUE(connection.Connect().ok());
  absl::StatusOr<std::vector<absl::StatusOr<ReplyPtr>>> replies =
      connection.Pipeline({{"SET", "k", "text"}, {"INCR", "k"}, {"ECHO", "after"}});
  ASSERT_TRUE(replies.ok()) << replies.status();
  ASSERT_EQ(replies->size(), 3u);
  EXPECT_TRUE((*replies)[0].ok());
  EXPECT_FALSE((*replies)[1].ok());  // not an integer
  ASSERT_TRUE((*replies)[2].ok());
  EXPECT_EQ(ReplyText(**(*replies)[2]), "after");
  absl::StatusOr<ReplyPtr> next = connection.Command({"ECHO", "mine"});
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(ReplyText(**next), "mine");
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

// A pool's idle connection to a Redis that restarted meanwhile is replaced at its first
// use: the caller sees no failure (the closed connection never ran the command).
TEST(RedisPoolTest, AnIdleConnectionRedisClosedIsReplacedOnce) {
  testing::RedisServer redis;
  ASSERT_TRUE(redis.Start().ok());
  RedisPool pool({"127.0.0.1", redis.port()}, absl::Seconds(5), /*max_idle=*/2);
  ASSERT_TRUE(pool.Command({"SET", "k", "1"}).ok());
  redis.Stop();
  ASSERT_TRUE(redis.Restart().ok());
  absl::StatusOr<ReplyPtr> incr = pool.Command({"INCR", "counter"});
  ASSERT_TRUE(incr.ok()) << incr.status();
  EXPECT_EQ((*incr)->integer, 1);  // ran once
  // While Redis is down there is nothing to retry on: the caller is told.
  redis.Stop();
  EXPECT_TRUE(absl::IsUnavailable(pool.Command({"PING"}).status()));
  ASSERT_TRUE(redis.Restart().ok());
  EXPECT_TRUE(pool.Command({"PING"}).ok());
}

// However many callers at once, the pool opens at most max_open connections; the others
// wait for one, and past the timeout are told Redis is unavailable.
TEST(RedisPoolTest, OpensAtMostMaxOpenConnections) {
  testing::RedisServer redis;
  ASSERT_TRUE(redis.Start().ok());
  RedisPool pool({"127.0.0.1", redis.port()}, absl::Milliseconds(300), /*max_idle=*/1,
                 /*max_open=*/1);
  absl::Notification holding, release;
  std::thread holder([&] {
    EXPECT_TRUE(pool.Use([&](RedisConnection&) {
                      holding.Notify();
                      release.WaitForNotification();
                      return absl::OkStatus();
                    }).ok());
  });
  holding.WaitForNotification();
  absl::StatusOr<ReplyPtr> busy = pool.Command({"PING"});
  EXPECT_TRUE(absl::IsUnavailable(busy.status())) << busy.status();
  EXPECT_TRUE(absl::StrContains(busy.status().message(), "busy")) << busy.status();
  release.Notify();
  holder.join();
  // The one connection came back and serves again; a failed connect gives its place back.
  EXPECT_TRUE(pool.Command({"PING"}).ok());
  redis.Stop();
  EXPECT_FALSE(pool.Command({"PING"}).ok());
  EXPECT_FALSE(pool.Command({"PING"}).ok());
  ASSERT_TRUE(redis.Restart().ok());
  EXPECT_TRUE(pool.Command({"PING"}).ok());
}

TEST(RedisConnectionTest, AnUnreachableServerFailsWithinTheTimeout) {
  RedisConnection connection({"127.0.0.1", 1}, absl::Seconds(1));
  EXPECT_FALSE(connection.Connect().ok());
  EXPECT_FALSE(connection.Command({"PING"}).ok());
}


TEST(RedisConnectionTest, AuthenticatesWithThePasswordAndSaysWhyAWrongOneFails) {
  testing::RedisServer redis(/*append_only=*/false, "s3cret pass");
  ASSERT_TRUE(redis.Start().ok());
  RedisConnection right({"127.0.0.1", redis.port(), "s3cret pass"}, absl::Seconds(5));
  ASSERT_TRUE(right.Connect().ok());
  absl::StatusOr<ReplyPtr> pong = right.Command({"PING"});
  ASSERT_TRUE(pong.ok()) << pong.status();
  EXPECT_EQ(ReplyText(**pong), "PONG");

  RedisConnection wrong({"127.0.0.1", redis.port(), "guess"}, absl::Seconds(5));
  const absl::Status refused = wrong.Connect();
  EXPECT_EQ(refused.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(absl::StrContains(refused.message(), "AUTH refused")) << refused;
  EXPECT_TRUE(absl::StrContains(refused.message(), "WRONGPASS")) << refused;
  EXPECT_FALSE(absl::StrContains(refused.message(), "guess")) << refused;
  EXPECT_FALSE(wrong.connected());

  // Without one, commands are refused (NOAUTH) though the connection is made.
  RedisConnection none({"127.0.0.1", redis.port()}, absl::Seconds(5));
  ASSERT_TRUE(none.Connect().ok());
  absl::StatusOr<ReplyPtr> noauth = none.Command({"PING"});
  EXPECT_FALSE(noauth.ok());
  EXPECT_TRUE(absl::StrContains(noauth.status().message(), "NOAUTH")) << noauth.status();
}

TEST(ReadRedisPasswordFileTest, TrimsOneTrailingNewlineAndRefusesUnreadableOrEmpty) {
  const std::string dir = std::getenv("TEST_TMPDIR");
  const auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir + "/" + name, std::ios::binary) << text;
    return dir + "/" + name;
  };
  EXPECT_EQ(*ReadRedisPasswordFile(write("a", "pw\n")), "pw");
  EXPECT_EQ(*ReadRedisPasswordFile(write("b", "pw\r\n")), "pw");
  EXPECT_EQ(*ReadRedisPasswordFile(write("c", "pw")), "pw");
  EXPECT_EQ(*ReadRedisPasswordFile(write("d", "pw\n\n")), "pw\n");
  EXPECT_EQ(*ReadRedisPasswordFile(write("e", " sp ace \n")), " sp ace ");
  EXPECT_FALSE(ReadRedisPasswordFile(write("f", "\n")).ok());
  EXPECT_FALSE(ReadRedisPasswordFile(write("g", "")).ok());
  EXPECT_FALSE(ReadRedisPasswordFile(dir + "/missing").ok());
}

}  // namespace
}  // namespace chat::cluster
