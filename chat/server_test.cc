// Server end to end over loopback TCP, in process, with a fake clock for exact bytes.

#include "chat/server.h"

#include <arpa/inet.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "chat/message.h"
#include "chat/testing/fake_clock.h"
#include "chat/testing/line_client.h"
#include "chat/testing/protocol.h"
#include "chat/transport/tcp_transport.h"
#include "gtest/gtest.h"

namespace chat {
namespace {

using testing::LineClient;
using testing::LogIn;
using testing::Welcome;

const absl::Time kStart =
    absl::FromCivil(absl::CivilSecond(2026, 11, 23, 18, 30, 0), absl::UTCTimeZone());

std::string Prompt(std::string_view name) {
  return absl::StrCat("[2026-11-23 18:30:00][", name, "]:");
}
std::string Event(std::string_view line, std::string_view recipient) {
  return absl::StrCat("\n", line, "\n", Prompt(recipient));
}
std::string Chat(std::string_view name, std::string_view text) {
  return absl::StrCat("[2026-11-23 18:30:00][", name, "]:", text);
}

class ServerTest : public ::testing::Test {
 protected:
  ServerTest() : clock_(kStart) {}

  void StartServer(ServerOptions options = {}, std::vector<ListenerOptions> listeners = {}) {
    options.address = "127.0.0.1";
    options.port = 0;
    server_ = std::make_unique<Server>(options, clock_, absl::UTCTimeZone());
    for (ListenerOptions& listener : listeners) server_->AddListener(std::move(listener));
    ASSERT_TRUE(server_->Listen().ok());
    runner_ = std::jthread([this] { server_->Run(); });
  }

  ~ServerTest() override {
    if (server_ != nullptr) {
      server_->Stop();
      runner_.join();
    }
  }

  LineClient Connect() {
    absl::StatusOr<LineClient> client = LineClient::Connect(server_->port());
    EXPECT_TRUE(client.ok()) << client.status();
    return *std::move(client);
  }

  LineClient LoggedIn(std::string_view name) {
    LineClient client = Connect();
    LogIn(client, name, Prompt(name));
    return client;
  }

  // Connects from another loopback address (all of 127.0.0.0/8 is loopback on Linux), so
  // the per-address limits see a different source.
  LineClient ConnectFrom(const char* source) {
    ScopedFd socket = LineClient::NewSocket();
    sockaddr_in local{};
    local.sin_family = AF_INET;
    ::inet_pton(AF_INET, source, &local.sin_addr);
    EXPECT_EQ(::bind(socket.get(), reinterpret_cast<const sockaddr*>(&local), sizeof(local)), 0);
    absl::StatusOr<LineClient> client = LineClient::ConnectSocket(std::move(socket), server_->port());
    EXPECT_TRUE(client.ok()) << client.status();
    return *std::move(client);
  }

  testing::FakeClock clock_;
  std::unique_ptr<Server> server_;
  std::jthread runner_;
};

TEST_F(ServerTest, BannerAndPromptOverTcp) {
  StartServer();
  LineClient client = Connect();
  EXPECT_EQ(client.Read(Welcome().size()), Welcome());
}

TEST_F(ServerTest, ThreeClientsChat) {
  StartServer();
  LineClient alice = LoggedIn("alice");
  LineClient bob = LoggedIn("bob");
  LineClient carol = LoggedIn("carol");
  EXPECT_EQ(alice.ReadUntil(Prompt("alice")), Event("bob has joined our chat...", "alice"));
  EXPECT_EQ(alice.ReadUntil(Prompt("alice")), Event("carol has joined our chat...", "alice"));
  EXPECT_EQ(bob.ReadUntil(Prompt("bob")), Event("carol has joined our chat...", "bob"));

  alice.Send("hi all\r\n");
  EXPECT_EQ(alice.Read(Prompt("alice").size()), Prompt("alice"));
  EXPECT_EQ(bob.ReadUntil(Prompt("bob")), Event(Chat("alice", "hi all"), "bob"));
  EXPECT_EQ(carol.ReadUntil(Prompt("carol")), Event(Chat("alice", "hi all"), "carol"));

  carol.Send("\n");  // empty: only a fresh prompt for carol
  carol.Send("hey alice\n");
  EXPECT_EQ(carol.Read(2 * Prompt("carol").size()), Prompt("carol") + Prompt("carol"));
  EXPECT_EQ(alice.ReadUntil(Prompt("alice")), Event(Chat("carol", "hey alice"), "alice"));
  EXPECT_EQ(bob.ReadUntil(Prompt("bob")), Event(Chat("carol", "hey alice"), "bob"));

  bob.Reset();  // abrupt: RST
  EXPECT_EQ(alice.ReadUntil(Prompt("alice")), Event("bob has left our chat...", "alice"));
  EXPECT_EQ(carol.ReadUntil(Prompt("carol")), Event("bob has left our chat...", "carol"));
  alice.Send("still here\n");
  EXPECT_EQ(carol.ReadUntil(Prompt("carol")), Event(Chat("alice", "still here"), "carol"));
}

TEST_F(ServerTest, LateJoinerGetsHistoryInOrder) {
  StartServer();
  LineClient alice = LoggedIn("alice");
  for (int i = 0; i < 5; ++i) {
    alice.Send(absl::StrCat("line ", i, "\n"));
    alice.Read(Prompt("alice").size());
  }
  LineClient bob = Connect();
  bob.Read(Welcome().size());
  bob.Send("bob\n");
  std::string expected;
  for (int i = 0; i < 5; ++i) absl::StrAppend(&expected, Chat("alice", absl::StrCat("line ", i)), "\n");
  expected += Prompt("bob");
  EXPECT_EQ(bob.Read(expected.size()), expected);
}

TEST_F(ServerTest, ThreeClientsAcrossTwoRooms) {
  StartServer();
  LineClient alice = LoggedIn("alice");
  LineClient bob = LoggedIn("bob");
  LineClient carol = LoggedIn("carol");
  alice.ReadUntil(Prompt("alice"));  // bob joined
  alice.ReadUntil(Prompt("alice"));  // carol joined
  bob.ReadUntil(Prompt("bob"));      // carol joined

  carol.Send("/join dev\n");
  EXPECT_EQ(carol.ReadUntil(Prompt("carol")), "You are now in dev.\n" + Prompt("carol"));
  EXPECT_EQ(alice.ReadUntil(Prompt("alice")), Event("carol has left our chat...", "alice"));
  EXPECT_EQ(bob.ReadUntil(Prompt("bob")), Event("carol has left our chat...", "bob"));

  alice.Send("general only\n");
  alice.Read(Prompt("alice").size());
  EXPECT_EQ(bob.ReadUntil(Prompt("bob")), Event(Chat("alice", "general only"), "bob"));
  carol.Send("dev only\n");
  carol.Read(Prompt("carol").size());
  bob.Send("/msg carol across rooms\n");
  bob.Read(Prompt("bob").size());
  EXPECT_EQ(carol.ReadUntil(Prompt("carol")),
            Event("[2026-11-23 18:30:00][bob -> you]:across rooms", "carol"));
  EXPECT_TRUE(alice.ReceivedNothingFor(absl::Milliseconds(50)));

  bob.Send("/rooms\n");
  EXPECT_EQ(bob.ReadUntil(Prompt("bob")), "Rooms: dev (1), general (2)\n" + Prompt("bob"));
  bob.Send("/join dev\n");
  EXPECT_EQ(bob.ReadUntil(Prompt("bob")),
            "You are now in dev.\n" + Chat("carol", "dev only") + "\n" + Prompt("bob"));
  EXPECT_EQ(carol.ReadUntil(Prompt("carol")), Event("bob has joined our chat...", "carol"));
  bob.Send("/users\n");
  EXPECT_EQ(bob.ReadUntil(Prompt("bob")),
            "Users in dev (2): bob, carol\nConnected in total: 3\n" + Prompt("bob"));
}

TEST_F(ServerTest, EleventhClientWaitsUntilASlotFrees) {
  StartServer();  // default max_clients = 10
  std::vector<LineClient> clients;
  for (int i = 0; i < 10; ++i) {
    clients.push_back(LoggedIn(absl::StrCat("user", i)));
  }
  // The acceptor is parked at the full gate; the 11th connection completes its TCP
  // handshake in the kernel backlog but is not accepted, so it gets no banner.
  ASSERT_TRUE(server_->gate().AwaitBlocked(absl::Seconds(30)));
  LineClient eleventh = Connect();
  EXPECT_TRUE(eleventh.ReceivedNothingFor(absl::Milliseconds(300)));
  EXPECT_EQ(server_->gate().in_use(), 10);

  clients[3].Close();
  EXPECT_EQ(eleventh.Read(Welcome().size()), Welcome());
  eleventh.Send("newcomer\n");
  EXPECT_EQ(eleventh.ReadUntil(Prompt("newcomer")), Prompt("newcomer"));
}

// A second port, with transports of its own making: its clients share the room and the
// client limit with the plain port's.
TEST_F(ServerTest, SecondListenerSharesRoomsAndTheClientLimit) {
  std::atomic<int> made = 0;
  ListenerOptions second{"second", "127.0.0.1", 0, [&made](ScopedFd fd) {
                           ++made;
                           return std::make_unique<TcpTransport>(std::move(fd));
                         }};
  ServerOptions options;
  options.max_clients = 2;
  StartServer(options, {std::move(second)});
  const int second_port = server_->port_of("second");
  ASSERT_GT(second_port, 0);
  ASSERT_NE(second_port, server_->port());
  EXPECT_EQ(server_->port_of("tcp"), server_->port());
  EXPECT_EQ(server_->port_of("nonexistent"), 0);

  LineClient alice = LoggedIn("alice");
  absl::StatusOr<LineClient> bob = LineClient::Connect(second_port);
  ASSERT_TRUE(bob.ok());
  LogIn(*bob, "bob", Prompt("bob"));
  EXPECT_EQ(made.load(), 1);
  EXPECT_EQ(alice.Read(Event("bob has joined our chat...", "alice").size()),
            Event("bob has joined our chat...", "alice"));
  bob->Send("hi from the second port\n");
  EXPECT_EQ(alice.ReadUntil(Prompt("alice")),
            Event(Chat("bob", "hi from the second port"), "alice"));

  // Both slots are taken: a third client waits in either port's backlog.
  ASSERT_TRUE(server_->gate().AwaitBlocked(absl::Seconds(30)));
  absl::StatusOr<LineClient> carol = LineClient::Connect(second_port);
  ASSERT_TRUE(carol.ok());
  EXPECT_TRUE(carol->ReceivedNothingFor(absl::Milliseconds(300)));
  alice.Close();
  EXPECT_EQ(carol->Read(Welcome().size()), Welcome());
  EXPECT_EQ(made.load(), 2);
}

TEST_F(ServerTest, ClientLeavingAtNamePromptFreesItsSlot) {
  ServerOptions options;
  options.max_clients = 1;
  StartServer(options);
  {
    LineClient shy = Connect();
    EXPECT_EQ(shy.Read(Welcome().size()), Welcome());
  }  // closes without ever giving a name
  LineClient next = Connect();
  EXPECT_EQ(next.Read(Welcome().size()), Welcome());
}

TEST_F(ServerTest, ResetWhileReceivingIsANormalLeave) {
  ServerOptions options;
  options.session.max_msgs_per_sec = 0;
  options.address_limits = AddressLimitsOptions::Disabled();  // every client is 127.0.0.1
  StartServer(options);
  LineClient alice = LoggedIn("alice");
  LineClient bob = LoggedIn("bob");
  LineClient carol = LoggedIn("carol");
  EXPECT_EQ(alice.ReadUntil(Prompt("alice")), Event("bob has joined our chat...", "alice"));
  EXPECT_EQ(alice.ReadUntil(Prompt("alice")), Event("carol has joined our chat...", "alice"));
  for (int i = 0; i < 200; ++i) {
    bob.Send(absl::StrCat("line ", i, "\n"));
    EXPECT_EQ(alice.ReadUntil(Prompt("alice")),
              Event(Chat("bob", absl::StrCat("line ", i)), "alice"));
  }
  carol.Reset();  // RST with unread data, while the server is writing to her
  EXPECT_EQ(alice.ReadUntil(Prompt("alice")), Event("carol has left our chat...", "alice"));
  bob.Send("still fine\n");
  EXPECT_EQ(alice.ReadUntil(Prompt("alice")), Event(Chat("bob", "still fine"), "alice"));
}

int CountDirectoryEntries(const char* path) {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(path)) {
    (void)entry;
    ++count;
  }
  return count;
}

// Thousands of connections that log in, chat or leave early, politely or with a reset,
// leave no descriptor or thread behind.
TEST_F(ServerTest, ConnectDisconnectCyclesLeakNothing) {
  const int fds_before = CountDirectoryEntries("/proc/self/fd");
  const int threads_before = CountDirectoryEntries("/proc/self/task");
  ServerOptions options;
  options.session.max_msgs_per_sec = 0;
  options.address_limits = AddressLimitsOptions::Disabled();  // every client is 127.0.0.1
  StartServer(options);
  // The server itself adds the listening socket, the thread running Run() and the
  // lobby's notice sweeper.
  const int fds_expected = fds_before + 1;
  const int threads_expected = threads_before + 2;

  constexpr int kCycles = 2000;
  for (int i = 0; i < kCycles; ++i) {
    LineClient client = Connect();
    ASSERT_EQ(client.Read(Welcome().size()), Welcome()) << "cycle " << i;
    switch (i % 4) {
      case 0:
        break;  // leaves at the name prompt
      case 1:
        client.Send(absl::StrCat("u", i, "\n"));
        client.ReadUntil(Prompt(absl::StrCat("u", i)));
        break;
      case 2:
        client.Send(absl::StrCat("u", i, "\nhello\n"));
        client.ReadUntil(Prompt(absl::StrCat("u", i)));
        client.Reset();
        break;
      case 3:
        client.Send(absl::StrCat("u", i, "\n"));
        client.ShutdownWrite();
        client.ReadToEnd();
        break;
    }
  }
  ASSERT_TRUE(server_->AwaitNoLiveSessions(absl::Seconds(60)));
  // A finished session's reader thread may still be returning; give it time to go.
  int threads_after = CountDirectoryEntries("/proc/self/task");
  for (int i = 0; i < 3000 && threads_after != threads_expected; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
    threads_after = CountDirectoryEntries("/proc/self/task");
  }
  EXPECT_EQ(threads_after, threads_expected);
  EXPECT_EQ(CountDirectoryEntries("/proc/self/fd"), fds_expected);
  EXPECT_EQ(server_->default_room().member_count(), 0u);
}

// GETs `path` from the metrics port and returns the whole response.
std::string HttpGet(int port, std::string_view path) {
  absl::StatusOr<LineClient> http = LineClient::Connect(port);
  if (!http.ok()) return "";
  http->Send(absl::StrCat("GET ", path, " HTTP/1.0\r\n\r\n"));
  return http->ReadToEnd();
}

// The value of an unlabelled series in a Prometheus scrape, or -1.
double Metric(const std::string& scrape, std::string_view series) {
  for (std::string_view line : absl::StrSplit(scrape, '\n')) {
    if (absl::ConsumePrefix(&line, series) && absl::ConsumePrefix(&line, " ")) {
      double value = -1;
      return absl::SimpleAtod(line, &value) ? value : -1;
    }
  }
  return -1;
}

TEST_F(ServerTest, MetricsMoveAsClientsJoinChatAndLeave) {
  ServerOptions options;
  options.metrics_port = 0;  // any free port
  StartServer(options);
  const int port = server_->metrics_port();
  ASSERT_GT(port, 0);
  EXPECT_TRUE(absl::StartsWith(HttpGet(port, "/healthz"), "HTTP/1.1 200"));
  std::string scrape = HttpGet(port, "/metrics");
  EXPECT_EQ(Metric(scrape, "tcpchat_logged_in_clients"), 0);

  LineClient alice = LoggedIn("alice");
  LineClient bob = LoggedIn("bob");
  alice.ReadUntil(Prompt("alice"));
  bob.Send("hello\n");
  bob.Read(Prompt("bob").size());
  alice.ReadUntil(Prompt("alice"));
  bob.Send(std::string(5000, 'x') + "\n");  // too long: rejected
  bob.ReadUntil(Prompt("bob"));
  scrape = HttpGet(port, "/metrics");
  EXPECT_EQ(Metric(scrape, "tcpchat_logged_in_clients"), 2);
  EXPECT_EQ(Metric(scrape, "tcpchat_connected_clients"), 2);
  EXPECT_EQ(Metric(scrape, "tcpchat_connections_accepted_total"), 2);
  EXPECT_EQ(Metric(scrape, "tcpchat_messages_received_total"), 2);
  EXPECT_EQ(Metric(scrape, "tcpchat_deliveries_total"), 2);  // bob's join, bob's hello
  EXPECT_EQ(Metric(scrape, "tcpchat_rejected_lines_total{reason=\"too_long\"}"), 1);
  EXPECT_GT(Metric(scrape, "tcpchat_received_bytes_total"), 5000);
  EXPECT_GT(Metric(scrape, "tcpchat_sent_bytes_total"), 2 * kBanner.size());

  bob.Close();
  EXPECT_EQ(alice.ReadUntil(Prompt("alice")), Event("bob has left our chat...", "alice"));
  // The session counts its disconnect before the leave notice goes out.
  scrape = HttpGet(port, "/metrics");
  EXPECT_EQ(Metric(scrape, "tcpchat_logged_in_clients"), 1);
  EXPECT_EQ(Metric(scrape, "tcpchat_disconnects_total{reason=\"peer_closed\"}"), 1);
  EXPECT_EQ(HttpGet(port, "/nope").substr(0, 12), "HTTP/1.1 404");

  server_->Stop();
  runner_.join();
  EXPECT_TRUE(absl::StartsWith(HttpGet(port, "/healthz"), "HTTP/1.1 503"));
  server_.reset();
}

TEST_F(ServerTest, StopSaysGoodbyeToEveryoneAndReturns) {
  StartServer();
  LineClient alice = LoggedIn("alice");
  LineClient bob = LoggedIn("bob");
  EXPECT_EQ(alice.ReadUntil(Prompt("alice")), Event("bob has joined our chat...", "alice"));
  LineClient lurker = Connect();
  lurker.Read(Welcome().size());
  server_->Stop();
  runner_.join();
  // Only the goodbye: no "bob has left" from the shutdown itself.
  EXPECT_EQ(alice.ReadToEnd(), std::string(kShutdownNotice));
  EXPECT_EQ(bob.ReadToEnd(), std::string(kShutdownNotice));
  EXPECT_EQ(lurker.ReadToEnd(), std::string(kShutdownNotice));
  EXPECT_EQ(server_->session_count(), 0u);
  server_.reset();
}

TEST_F(ServerTest, StopCutsOffAClientThatDoesNotRead) {
  ServerOptions options;
  options.shutdown_grace = absl::Milliseconds(200);
  options.session.send_timeout = absl::ZeroDuration();  // block forever, but for Stop
  options.session.max_outbox_bytes = 64 << 20;          // and never overflow
  options.session.max_msgs_per_sec = 0;
  options.address_limits = AddressLimitsOptions::Disabled();  // every client is 127.0.0.1                  // alice's 4000 lines are fine
  StartServer(options);
  LineClient alice = LoggedIn("alice");
  LineClient stalled = LoggedIn("stalled");
  // Fill stalled's socket buffers (several MB on loopback) so the goodbye cannot go out.
  for (int i = 0; i < 4000; ++i) {
    alice.Send(absl::StrCat(std::string(4000, 'x'), "\n"));
    alice.Read(Prompt("alice").size());
  }
  server_->Stop();
  runner_.join();  // returns although `stalled` never reads
  EXPECT_EQ(server_->session_count(), 0u);
  server_.reset();
}

// The attack this pins: ten silent sockets from one address took every client slot for
// the 60 s login timeout, over and over. Now one address holds at most 3 at the prompt;
// the 4th is told why and closed at once, and someone else still gets in.
TEST_F(ServerTest, SilentConnectionsFromOneAddressCannotTakeEverySlot) {
  StartServer();
  std::vector<LineClient> silent;
  for (int i = 0; i < 3; ++i) {
    silent.push_back(ConnectFrom("127.0.0.2"));
    EXPECT_EQ(silent.back().Read(Welcome().size()), Welcome());
  }
  LineClient fourth = ConnectFrom("127.0.0.2");
  EXPECT_EQ(fourth.ReadToEnd(),
            "Too many connections from your address are waiting at the name prompt (3); "
            "log in on one of them first.\n");
  LineClient someone_else = ConnectFrom("127.0.0.3");
  LogIn(someone_else, "alice", Prompt("alice"));
  // Logging in on one of the three frees its place at the prompt.
  silent[0].Send("eve\n");
  EXPECT_EQ(silent[0].ReadUntil(Prompt("eve")), Prompt("eve"));
  LineClient again = ConnectFrom("127.0.0.2");
  EXPECT_EQ(again.Read(Welcome().size()), Welcome());
}

// The attack this pins: flood control reset on every reconnect, so connect / 47 long
// lines / quit in a loop sent at will. The per-address bucket survives reconnects.
TEST_F(ServerTest, FloodControlFollowsTheAddressAcrossReconnects) {
  ServerOptions options;
  options.address_limits.line_burst = 5;
  options.address_limits.lines_per_second = 0.001;  // the fake clock does not move anyway
  StartServer(options);
  LineClient observer = LoggedIn("observer");
  int tokens = 5;  // every line counts, commands included
  for (int round = 0; round < 2; ++round) {
    LineClient eve = ConnectFrom("127.0.0.2");
    EXPECT_EQ(eve.Read(Welcome().size()), Welcome());
    eve.Send(absl::StrCat("eve", round, "\n"));
    eve.ReadUntil(Prompt(absl::StrCat("eve", round)));  // history, then the prompt
    observer.ReadUntil(Prompt("observer"));  // the join notice
    for (int i = 0; i < 3; ++i) {
      eve.Send(absl::StrCat("line ", round, ".", i, "\n"));
      const std::string reply = eve.ReadUntil(Prompt(absl::StrCat("eve", round)));
      if (tokens-- > 0) {
        EXPECT_EQ(reply, Prompt(absl::StrCat("eve", round)));
        EXPECT_EQ(observer.ReadUntil(Prompt("observer")),
                  Event(Chat(absl::StrCat("eve", round), absl::StrCat("line ", round, ".", i)),
                        "observer"));
      } else if (tokens == -1) {  // one notice per flood
        EXPECT_TRUE(absl::StartsWith(reply, "Your address is sending too fast (over 0.001 lines"))
            << reply;
      }
    }
    eve.Close();
    observer.ReadUntil(Prompt("observer"));  // the leave notice
  }
  EXPECT_TRUE(observer.ReceivedNothingFor(absl::Milliseconds(100)));
}

// The attack this pins: reconnect loops sent every member two notices per connection, as
// fast as TCP allowed. Logins per address are a bucket: the refused one sees no join.
TEST_F(ServerTest, LoginsPerAddressAreLimited) {
  ServerOptions options;
  options.address_limits.login_burst = 2;
  options.address_limits.logins_per_minute = 1;
  StartServer(options);
  LineClient observer = LoggedIn("observer");
  for (int i = 0; i < 2; ++i) {
    LineClient eve = ConnectFrom("127.0.0.2");
    LogIn(eve, absl::StrCat("eve", i), Prompt(absl::StrCat("eve", i)));
    eve.Close();
    observer.ReadUntil(Prompt("observer"));
    observer.ReadUntil(Prompt("observer"));
  }
  LineClient eve = ConnectFrom("127.0.0.2");
  EXPECT_EQ(eve.Read(Welcome().size()), Welcome());
  eve.Send("eve9\n");
  EXPECT_EQ(eve.ReadToEnd(), "Too many logins from your address; try again in 1m.\n");
  EXPECT_TRUE(observer.ReceivedNothingFor(absl::Milliseconds(100)));  // no join, no leave
}

}  // namespace
}  // namespace chat
