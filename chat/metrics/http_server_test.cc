#include "chat/metrics/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "chat/socket.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace chat::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// Every client read gives up after this, so a server bug fails the test instead of
// hanging it. Never used as a measure of speed.
constexpr absl::Duration kClientTimeout = absl::Seconds(20);
// Long enough that a connection's own deadline never fires during a test that
// does not want it to.
constexpr absl::Duration kLongDeadline = absl::Seconds(120);

constexpr char kBody[] = "# HELP x_total X.\n# TYPE x_total counter\nx_total 1\n";

// A connected loopback client socket with receive and send deadlines.
ScopedFd Connect(int port) {
  ScopedFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  EXPECT_TRUE(fd.valid());
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)), 0)
      << std::strerror(errno);
  SetReceiveTimeout(fd.get(), kClientTimeout);
  SetSendTimeout(fd.get(), kClientTimeout);
  return fd;
}

struct ReadResult {
  std::string data;
  // True if the server closed the connection (end of stream or reset); false if the
  // client's deadline passed first.
  bool closed = false;
};

ReadResult ReadUntilClosed(int fd) {
  ReadResult result;
  char buffer[16384];
  while (true) {
    const ssize_t got = RecvSome(fd, buffer, sizeof(buffer));
    if (got > 0) {
      result.data.append(buffer, static_cast<size_t>(got));
      continue;
    }
    result.closed = got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
    return result;
  }
}

struct Reply {
  int status = 0;
  std::string head;  // status line and headers, without the empty line
  std::string body;
  bool closed = false;
};

Reply Parse(const ReadResult& read) {
  Reply reply;
  reply.closed = read.closed;
  const size_t end = read.data.find("\r\n\r\n");
  if (end == std::string::npos) {
    reply.head = read.data;
    return reply;
  }
  reply.head = read.data.substr(0, end);
  reply.body = read.data.substr(end + 4);
  if (absl::StartsWith(reply.head, "HTTP/1.1 ")) {
    (void)absl::SimpleAtoi(reply.head.substr(9, 3), &reply.status);
  }
  return reply;
}

// The value of header `name` (exact case, as the server writes it), or "".
std::string Header(const Reply& reply, std::string_view name) {
  const std::string key = absl::StrCat("\r\n", name, ": ");
  const size_t at = reply.head.find(key);
  if (at == std::string::npos) return "";
  const size_t start = at + key.size();
  return reply.head.substr(start, reply.head.find("\r\n", start) - start);
}

// Sends `request` on a new connection, half-closes if asked, and reads the reply.
Reply Exchange(int port, std::string_view request, bool half_close = false) {
  ScopedFd fd = Connect(port);
  EXPECT_EQ(SendAll(fd.get(), request), SendResult::kOk);
  if (half_close) ::shutdown(fd.get(), SHUT_WR);
  return Parse(ReadUntilClosed(fd.get()));
}

Reply Get(int port, std::string_view target) {
  return Exchange(port, absl::StrCat("GET ", target, " HTTP/1.1\r\nHost: localhost\r\n\r\n"));
}

class HttpServerTest : public ::testing::Test {
 protected:
  // Starts a server with `options` whose metrics body is kBody and whose health is
  // healthy_.
  void StartServer(HttpServerOptions options = {}) {
    server_ = std::make_unique<HttpServer>(
        std::move(options), [] { return std::string(kBody); }, [this] { return healthy_.load(); });
    ASSERT_TRUE(server_->Start().ok());
    ASSERT_GT(server_->port(), 0);
  }
  int port() const { return server_->port(); }

  // One request on its own connection, then wait until no more requests are in flight
  // than before, so back-to-back /metrics requests never meet a slot still held by the
  // previous one and get a 503. (Tests that hold slots call this with nothing else in
  // flight but them.)
  Reply Ask(std::string_view request, bool half_close = false) {
    const int held = server_->in_flight();
    Reply reply = Exchange(port(), request, half_close);
    EXPECT_TRUE(server_->AwaitInFlight(held, kClientTimeout));
    return reply;
  }
  Reply AskGet(std::string_view target) {
    const int held = server_->in_flight();
    Reply reply = Get(port(), target);
    EXPECT_TRUE(server_->AwaitInFlight(held, kClientTimeout));
    return reply;
  }

  std::atomic<bool> healthy_{true};
  std::unique_ptr<HttpServer> server_;
};

TEST(HttpServerOptionsTest, DefaultsAreSafe) {
  const HttpServerOptions options;
  EXPECT_EQ(options.address, "127.0.0.1");
  EXPECT_EQ(options.max_concurrent, 4);
  EXPECT_EQ(options.max_pending, 64);
  EXPECT_EQ(options.max_request_head_bytes, 8192u);
  EXPECT_EQ(options.read_deadline, absl::Seconds(5));
}

TEST_F(HttpServerTest, ServesMetrics) {
  StartServer();
  const Reply reply = AskGet("/metrics");
  EXPECT_THAT(reply.head, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_EQ(Header(reply, "Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(Header(reply, "Content-Length"), std::to_string(sizeof(kBody) - 1));
  EXPECT_EQ(Header(reply, "Connection"), "close");
  EXPECT_EQ(reply.body, kBody);
  EXPECT_TRUE(reply.closed);
}

TEST_F(HttpServerTest, IgnoresQueryOnKnownPaths) {
  StartServer();
  EXPECT_EQ(AskGet("/metrics?name[]=x_total").body, kBody);
  EXPECT_EQ(AskGet("/healthz?verbose=1").status, 200);
}

TEST_F(HttpServerTest, HealthzFollowsTheCallback) {
  StartServer();
  Reply reply = AskGet("/healthz");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "ok\n");
  EXPECT_EQ(Header(reply, "Content-Length"), "3");

  healthy_ = false;
  reply = AskGet("/healthz");
  EXPECT_EQ(reply.status, 503);
  EXPECT_EQ(reply.body, "not accepting\n");
  EXPECT_EQ(Header(reply, "Content-Length"), "14");

  healthy_ = true;
  EXPECT_EQ(AskGet("/healthz").status, 200);
}

TEST_F(HttpServerTest, UnknownPathsAre404) {
  StartServer();
  for (const char* target : {"/", "/metricsx", "/metrics/", "/healthz/x", "/nope?x=1",
                             "/metrics%00", "*", "http://127.0.0.1/metrics"}) {
    const Reply reply = AskGet(target);
    EXPECT_EQ(reply.status, 404) << target;
    EXPECT_EQ(Header(reply, "Content-Length"), std::to_string(reply.body.size())) << target;
    EXPECT_TRUE(reply.closed) << target;
  }
}

TEST_F(HttpServerTest, OtherMethodsAre405) {
  StartServer();
  for (const char* method : {"POST", "PUT", "DELETE", "OPTIONS", "get"}) {
    const Reply reply = Ask(absl::StrCat(method, " /metrics HTTP/1.1\r\n\r\n"));
    EXPECT_EQ(reply.status, 405) << method;
    EXPECT_EQ(Header(reply, "Allow"), "GET, HEAD") << method;
  }
}

TEST_F(HttpServerTest, HeadSendsHeadersOnly) {
  StartServer();
  const Reply reply = Ask("HEAD /metrics HTTP/1.1\r\n\r\n");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(Header(reply, "Content-Length"), std::to_string(sizeof(kBody) - 1));
  EXPECT_EQ(reply.body, "");
  EXPECT_TRUE(reply.closed);
  EXPECT_EQ(Ask("HEAD /nope HTTP/1.1\r\n\r\n").body, "");
}

TEST_F(HttpServerTest, AcceptsHttp10AndBareLineFeeds) {
  StartServer();
  EXPECT_EQ(Ask("GET /metrics HTTP/1.0\r\n\r\n").body, kBody);
  EXPECT_EQ(Ask("GET /metrics HTTP/1.0\n\n").body, kBody);
  EXPECT_EQ(Ask("GET /metrics HTTP/1.1\nHost: x\nAccept: */*\n\n").body, kBody);
}

TEST_F(HttpServerTest, MalformedRequestsAre400And505) {
  StartServer();
  EXPECT_EQ(Ask("GARBAGE\r\n\r\n").status, 400);
  EXPECT_EQ(Ask("GET /metrics\r\n\r\n").status, 400);  // HTTP/0.9 style
  EXPECT_EQ(Ask("GET  /metrics HTTP/1.1\r\n\r\n").status, 400);
  EXPECT_EQ(Ask("GET /metrics HTTP/1.1 extra\r\n\r\n").status, 400);
  EXPECT_EQ(Ask("GET /metrics SPDY/3\r\n\r\n").status, 400);
  EXPECT_EQ(Ask("\r\n\r\n").status, 400);
  EXPECT_EQ(Ask(std::string("GET /metrics\0 HTTP/1.1\r\n\r\n", 26)).status, 404);
  EXPECT_EQ(Ask("GET /metrics HTTP/2.0\r\n\r\n").status, 505);
  EXPECT_EQ(Ask("GET /metrics HTTP/0.9\r\n\r\n").status, 505);
}

TEST_F(HttpServerTest, AssemblesARequestSentInPieces) {
  StartServer();
  ScopedFd fd = Connect(port());
  for (const char* piece : {"GE", "T /met", "rics HTTP/1.1\r", "\nHost: x\r\n", "\r\n"}) {
    ASSERT_EQ(SendAll(fd.get(), piece), SendResult::kOk);
  }
  EXPECT_EQ(Parse(ReadUntilClosed(fd.get())).body, kBody);
}

// A request head of exactly the limit is served; one byte more is refused.
TEST_F(HttpServerTest, RequestHeadLimitIsExact) {
  StartServer({.max_request_head_bytes = 1024, .read_deadline = kLongDeadline});
  const std::string start = "GET /metrics HTTP/1.1\r\nX-Fill: ";
  const std::string end = "\r\n\r\n";
  const std::string at_limit = start + std::string(1024 - start.size() - end.size(), 'a') + end;
  ASSERT_EQ(at_limit.size(), 1024u);
  EXPECT_EQ(Ask(at_limit).status, 200);
  const std::string over = start + std::string(1025 - start.size() - end.size(), 'a') + end;
  EXPECT_EQ(Ask(over, /*half_close=*/true).status, 431);
}

TEST_F(HttpServerTest, OversizeRequestHeadGets431AndIsClosed) {
  StartServer();
  std::string request = "GET /metrics HTTP/1.1\r\n";
  for (int i = 0; i < 100; ++i)
    absl::StrAppend(&request, "X-Header-", i, ": ", std::string(90, 'v'), "\r\n");
  request += "\r\n";
  ASSERT_GT(request.size(), 8192u);
  // Half-close after sending, as a client that is done would; the server reads and
  // discards the rest, so its 431 arrives instead of a connection reset.
  const Reply reply = Ask(request, /*half_close=*/true);
  EXPECT_EQ(reply.status, 431);
  EXPECT_TRUE(reply.closed);

  // An endless head without a line end at all: still cut off at the limit.
  ScopedFd fd = Connect(port());
  ASSERT_EQ(SendAll(fd.get(), "GET /" + std::string(20000, 'a')), SendResult::kOk);
  ::shutdown(fd.get(), SHUT_WR);
  const Reply endless = Parse(ReadUntilClosed(fd.get()));
  EXPECT_EQ(endless.status, 431);
  EXPECT_TRUE(endless.closed);
}

TEST_F(HttpServerTest, SilentClientIsCutOffAtTheDeadline) {
  StartServer({.read_deadline = absl::Milliseconds(200)});
  ScopedFd fd = Connect(port());
  const Reply reply = Parse(ReadUntilClosed(fd.get()));
  EXPECT_TRUE(reply.closed) << "the server kept a silent connection open";
  EXPECT_EQ(reply.status, 408);
  EXPECT_TRUE(server_->AwaitInFlight(0, kClientTimeout));
  EXPECT_TRUE(server_->AwaitPending(0, kClientTimeout));
}

// Slowloris: a byte at a time keeps every single recv() happy, but the deadline is for
// the whole head.
TEST_F(HttpServerTest, TricklingClientIsCutOffAtTheDeadline) {
  StartServer({.read_deadline = absl::Milliseconds(200)});
  ScopedFd fd = Connect(port());
  const std::string head = "GET /metrics HTTP/1.1\r\nX-Slow: ";
  bool cut_off = false;
  // Bounded: 1000 bytes, a poll() of up to 20 ms after each.
  for (int i = 0; i < 1000 && !cut_off; ++i) {
    const char byte = i < static_cast<int>(head.size()) ? head[static_cast<size_t>(i)] : 'z';
    if (::send(fd.get(), &byte, 1, MSG_NOSIGNAL) != 1) break;  // already reset
    pollfd p{fd.get(), POLLIN, 0};
    cut_off = ::poll(&p, 1, 20) == 1;
  }
  // Whether it ends with the 408 or, as the client kept sending after the server
  // closed, with a reset, the connection must be over.
  EXPECT_TRUE(ReadUntilClosed(fd.get()).closed);
  EXPECT_TRUE(server_->AwaitInFlight(0, kClientTimeout));
  EXPECT_TRUE(server_->AwaitPending(0, kClientTimeout));
}

TEST_F(HttpServerTest, ClientThatDoesNotReadIsCutOffBySendTimeout) {
  // A body far larger than both sockets' buffers, to a client that never reads. The read
  // deadline is long: only the send timeout can free the slot.
  const std::string big(32 << 20, 'x');
  absl::Notification rendering;
  HttpServer server(
      {.read_deadline = kLongDeadline, .send_timeout = absl::Milliseconds(200)},
      [&] {
        if (!rendering.HasBeenNotified()) rendering.Notify();
        return big;
      },
      [] { return true; });
  ASSERT_TRUE(server.Start().ok());
  ScopedFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const int small = 4096;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(server.port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(SendAll(fd.get(), "GET /metrics HTTP/1.1\r\n\r\n"), SendResult::kOk);
  // The request is in flight (it holds its slot until it deregisters)...
  ASSERT_TRUE(rendering.WaitForNotificationWithTimeout(kClientTimeout));
  // ...and its slot frees although the client still holds the connection open, unread
  // (the slot is only for rendering)...
  EXPECT_TRUE(server.AwaitInFlight(0, kClientTimeout));
  // ...and the connection is dropped once the send timeout passes.
  EXPECT_TRUE(server.AwaitPending(0, kClientTimeout));
}

// Idle connections hold no request slot (they used to, and got the cap's 503 as soon as
// max_concurrent of them were open): the intake thread holds them until they send a
// complete head or their deadline passes.
TEST_F(HttpServerTest, IdleConnectionsHoldNoSlot) {
  StartServer({.max_concurrent = 2, .read_deadline = kLongDeadline});
  std::vector<ScopedFd> idle;
  for (int i = 0; i < 5; ++i) idle.push_back(Connect(port()));
  ASSERT_TRUE(server_->AwaitPending(5, kClientTimeout));
  EXPECT_EQ(server_->in_flight(), 0);
  EXPECT_EQ(AskGet("/metrics").body, kBody);
  EXPECT_EQ(AskGet("/healthz").status, 200);

  // And an idle connection is still served once it does send its request.
  ASSERT_EQ(SendAll(idle[0].get(), "GET /metrics HTTP/1.1\r\n\r\n"), SendResult::kOk);
  EXPECT_EQ(Parse(ReadUntilClosed(idle[0].get())).body, kBody);
}

// The reproduced failure: idle connections opened all the time, health checks among
// them. Every health check must say 200 (it used to be 503, as during shutdown).
TEST_F(HttpServerTest, HealthzStaysTruthfulAmongManyIdleConnections) {
  StartServer({.read_deadline = kLongDeadline});
  std::vector<ScopedFd> idle;
  for (int i = 0; i < 40; ++i) {
    idle.push_back(Connect(port()));
    const Reply reply = AskGet("/healthz");
    EXPECT_EQ(reply.status, 200) << "health check " << i;
    EXPECT_EQ(reply.body, "ok\n") << "health check " << i;
  }
  ASSERT_TRUE(server_->AwaitPending(40, kClientTimeout));
  for (int i = 0; i < 30; ++i) {
    const Reply reply = AskGet("/healthz");
    EXPECT_EQ(reply.status, 200) << "health check " << i;
  }
  EXPECT_EQ(AskGet("/metrics").body, kBody);
  EXPECT_EQ(server_->in_flight(), 0);
}

// The same beyond max_pending: each new idle connection pushes out the oldest, never the
// health check that came after it.
TEST_F(HttpServerTest, HealthzStaysTruthfulWhenIdleConnectionsExceedThePendingCap) {
  StartServer({.max_pending = 8, .read_deadline = kLongDeadline});
  std::vector<ScopedFd> idle;
  for (int i = 0; i < 40; ++i) {
    idle.push_back(Connect(port()));
    const Reply reply = AskGet("/healthz");
    EXPECT_EQ(reply.status, 200) << "health check " << i;
    EXPECT_EQ(reply.body, "ok\n") << "health check " << i;
  }
  // The oldest were closed with a 503 that says "busy", not "not accepting".
  for (int i = 0; i < 40 - 8; ++i) {
    const Reply reply = Parse(ReadUntilClosed(idle[static_cast<size_t>(i)].get()));
    EXPECT_TRUE(reply.closed) << "idle connection " << i;
    EXPECT_EQ(reply.status, 503) << "idle connection " << i;
    EXPECT_EQ(reply.body, "busy\n") << "idle connection " << i;
  }
  EXPECT_LE(server_->pending(), 8);
}

TEST_F(HttpServerTest, PendingCapClosesTheOldestConnection) {
  StartServer({.max_pending = 3, .read_deadline = kLongDeadline});
  ScopedFd first = Connect(port());
  ASSERT_TRUE(server_->AwaitPending(1, kClientTimeout));
  ScopedFd second = Connect(port());
  ScopedFd third = Connect(port());
  ASSERT_TRUE(server_->AwaitPending(3, kClientTimeout));

  ScopedFd fourth = Connect(port());
  const Reply pushed_out = Parse(ReadUntilClosed(first.get()));
  EXPECT_TRUE(pushed_out.closed);
  EXPECT_EQ(pushed_out.status, 503);
  EXPECT_EQ(pushed_out.body, "busy\n");
  EXPECT_EQ(Header(pushed_out, "Retry-After"), "1");
  EXPECT_TRUE(server_->AwaitPending(3, kClientTimeout));

  // The other three are still there, and each is answered once it asks.
  for (ScopedFd* client : {&second, &third, &fourth}) {
    ASSERT_EQ(SendAll(client->get(), "GET /healthz HTTP/1.1\r\n\r\n"), SendResult::kOk);
    const Reply reply = Parse(ReadUntilClosed(client->get()));
    EXPECT_EQ(reply.status, 200);
    EXPECT_EQ(reply.body, "ok\n");
  }
}

// A slot is taken only while /metrics renders; the request beyond max_concurrent gets a
// quick 503 that says "busy" (and when to retry), which a health checker cannot confuse
// with the "not accepting" of shutdown. /healthz never needs a slot.
TEST(HttpServerBusyTest, BeyondMaxConcurrentGets503BusyWhileHealthzStaysTruthful) {
  absl::Notification release;
  std::atomic<bool> healthy{true};
  HttpServer server(
      {.max_concurrent = 2, .read_deadline = kLongDeadline},
      [&] {
        release.WaitForNotification();
        return std::string(kBody);
      },
      [&] { return healthy.load(); });
  // Declared after `server`, so a failed assertion cannot leave Stop() waiting forever
  // for a callback.
  struct ReleaseOnExit {
    absl::Notification& release;
    ~ReleaseOnExit() {
      if (!release.HasBeenNotified()) release.Notify();
    }
  } release_on_exit{release};
  ASSERT_TRUE(server.Start().ok());

  ScopedFd first = Connect(server.port());
  ScopedFd second = Connect(server.port());
  ASSERT_EQ(SendAll(first.get(), "GET /metrics HTTP/1.1\r\n\r\n"), SendResult::kOk);
  ASSERT_EQ(SendAll(second.get(), "GET /metrics HTTP/1.1\r\n\r\n"), SendResult::kOk);
  ASSERT_TRUE(server.AwaitInFlight(2, kClientTimeout));

  const Reply busy = Get(server.port(), "/metrics");
  EXPECT_EQ(busy.status, 503);
  EXPECT_EQ(busy.body, "busy\n");
  EXPECT_EQ(Header(busy, "Retry-After"), "1");
  EXPECT_EQ(Header(busy, "Content-Length"), std::to_string(busy.body.size()));
  EXPECT_TRUE(busy.closed);
  const Reply busy_head = Exchange(server.port(), "HEAD /metrics HTTP/1.1\r\n\r\n");
  EXPECT_EQ(busy_head.status, 503);
  EXPECT_EQ(busy_head.body, "");

  // A flood of health checks while every slot is taken: all answered, all truthful.
  std::vector<std::thread> checkers;
  std::atomic<int> ok{0}, other{0};
  for (int t = 0; t < 8; ++t) {
    checkers.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        const Reply reply = Get(server.port(), "/healthz");
        (reply.status == 200 && reply.body == "ok\n" ? ok : other)++;
      }
    });
  }
  for (std::thread& checker : checkers) checker.join();
  EXPECT_EQ(ok.load(), 80);
  EXPECT_EQ(other.load(), 0);

  healthy = false;
  const Reply stopping = Get(server.port(), "/healthz");
  EXPECT_EQ(stopping.status, 503);
  EXPECT_EQ(stopping.body, "not accepting\n");
  EXPECT_EQ(Header(stopping, "Retry-After"), "");
  healthy = true;
  EXPECT_EQ(server.in_flight(), 2);

  // Once rendering finishes, both waiting requests get their whole answer, and the
  // slots are free again.
  release.Notify();
  EXPECT_EQ(Parse(ReadUntilClosed(first.get())).body, kBody);
  EXPECT_EQ(Parse(ReadUntilClosed(second.get())).body, kBody);
  ASSERT_TRUE(server.AwaitInFlight(0, kClientTimeout));
  EXPECT_EQ(Get(server.port(), "/metrics").body, kBody);
}

TEST_F(HttpServerTest, StopReturnsWithConnectionsOpen) {
  StartServer({.read_deadline = kLongDeadline, .send_timeout = kLongDeadline});
  std::vector<ScopedFd> clients;
  for (int i = 0; i < 3; ++i) clients.push_back(Connect(port()));
  ASSERT_EQ(SendAll(clients[2].get(), "GET /metr"), SendResult::kOk);  // half a request
  ASSERT_TRUE(server_->AwaitPending(3, kClientTimeout));
  server_->Stop();
  EXPECT_EQ(server_->in_flight(), 0);
  EXPECT_EQ(server_->pending(), 0);
  for (ScopedFd& client : clients) EXPECT_TRUE(ReadUntilClosed(client.get()).closed);
  server_->Stop();  // idempotent
}

// A response stuck in the send buffer of a client that does not read is cut off too.
TEST(HttpServerStopTest, StopClosesAResponseBeingSent) {
  const std::string big(8 << 20, 'x');
  absl::Notification rendering;
  HttpServer server(
      {.read_deadline = kLongDeadline, .send_timeout = kLongDeadline},
      [&] {
        if (!rendering.HasBeenNotified()) rendering.Notify();
        return big;
      },
      [] { return true; });
  ASSERT_TRUE(server.Start().ok());
  ScopedFd client = Connect(server.port());
  ASSERT_EQ(SendAll(client.get(), "GET /metrics HTTP/1.1\r\n\r\n"), SendResult::kOk);
  ASSERT_TRUE(rendering.WaitForNotificationWithTimeout(kClientTimeout));
  ASSERT_TRUE(server.AwaitInFlight(0, kClientTimeout));
  ASSERT_TRUE(server.AwaitPending(1, kClientTimeout));  // being sent
  server.Stop();
  EXPECT_EQ(server.pending(), 0);
  const ReadResult read = ReadUntilClosed(client.get());
  EXPECT_TRUE(read.closed);
  EXPECT_LT(read.data.size(), big.size());
}

TEST_F(HttpServerTest, DestructorStopsWithAConnectionOpen) {
  StartServer({.read_deadline = kLongDeadline});
  ScopedFd client = Connect(port());
  ASSERT_TRUE(server_->AwaitPending(1, kClientTimeout));
  server_.reset();
  EXPECT_TRUE(ReadUntilClosed(client.get()).closed);
}

TEST_F(HttpServerTest, ManySequentialRequestsReuseSlots) {
  StartServer({.max_concurrent = 1});
  for (int i = 0; i < 50; ++i) {
    // A 503 here would mean a finished request still held the only slot.
    ASSERT_TRUE(server_->AwaitInFlight(0, kClientTimeout));
    ASSERT_EQ(AskGet("/metrics").body, kBody) << "request " << i;
  }
}

// Clients in parallel get either the whole answer or a clean 503, never anything torn.
TEST_F(HttpServerTest, ParallelClientsGetCompleteAnswers) {
  StartServer();
  std::vector<std::thread> clients;
  std::atomic<int> ok{0}, busy{0}, bad{0};
  for (int t = 0; t < 8; ++t) {
    clients.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        const Reply reply = Get(port(), "/metrics");  // 503s are expected here
        if (reply.status == 200 && reply.body == kBody) {
          ++ok;
        } else if (reply.status == 503 && reply.closed) {
          ++busy;
        } else {
          ++bad;
        }
      }
    });
  }
  for (std::thread& client : clients) client.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(ok.load() + busy.load(), 80);
  EXPECT_GT(ok.load(), 0);
}

TEST(HttpServerLifecycleTest, StartTwiceFails) {
  HttpServer server(
      {}, [] { return std::string(); }, [] { return true; });
  ASSERT_TRUE(server.Start().ok());
  EXPECT_EQ(server.Start().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(HttpServerLifecycleTest, PortInUseFails) {
  HttpServer first(
      {}, [] { return std::string(); }, [] { return true; });
  ASSERT_TRUE(first.Start().ok());
  HttpServer second(
      {.port = first.port()}, [] { return std::string(); }, [] { return true; });
  const absl::Status status = second.Start();
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()), HasSubstr("bind"));
  EXPECT_EQ(second.port(), 0);
}

TEST(HttpServerLifecycleTest, BadAddressFails) {
  HttpServer server(
      {.address = "localhost"}, [] { return std::string(); }, [] { return true; });
  EXPECT_FALSE(server.Start().ok());
}

TEST(HttpServerLifecycleTest, StopBeforeStartAndStartAfterStop) {
  HttpServer server(
      {}, [] { return std::string(); }, [] { return true; });
  server.Stop();
  EXPECT_EQ(server.Start().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace chat::metrics
