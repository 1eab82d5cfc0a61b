// The real server binary with --tls_port: a real `openssl s_client` and a plain socket
// client in one room, certificate reloads on SIGHUP, and what a hostile TLS client costs.

#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "chat/socket.h"
#include "chat/testing/line_client.h"
#include "chat/testing/server_process.h"
#include "chat/testing/subprocess.h"
#include "chat/testing/test_files.h"
#include "chat/testing/tls_client.h"
#include "gtest/gtest.h"

namespace chat {
namespace {

using testing::GoldenWelcome;
using testing::LineClient;
using testing::MakeCertificate;
using testing::Subprocess;
using testing::TempPath;
using testing::TlsClient;

constexpr char kServer[] = "chat/server";
constexpr absl::Duration kPatience = absl::Seconds(30);



int FreePort() { return testing::FreeLoopbackPort(); }

// Reads "<prefix><port>" from the server's stdout.
int ReadPort(Subprocess& server, std::string_view prefix) {
  return testing::ReadPortLine(server, prefix, kPatience);
}

// Waits (bounded) until the server's log, from its start, says `text` `times` times.
bool AwaitLog(Subprocess& server, std::string_view text, int times = 1) {
  const absl::Time deadline = absl::Now() + kPatience;
  while (absl::Now() < deadline) {
    const std::string log = server.DrainStderr();  // all of it, every time
    int seen = 0;
    for (size_t at = log.find(text); at != std::string::npos; at = log.find(text, at + 1)) {
      ++seen;
    }
    if (seen >= times) return true;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return false;
}

class TlsBinaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempPath(::testing::UnitTest::GetInstance()->current_test_info()->name());
    MakeCertificate(dir_, "first");
  }

  // Starts the server with TLS on a free port and `extra` flags.
  void StartServer(std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {kServer,
                                     "--port=0",
                                     absl::StrCat("--tls_port=", FreePort()),
                                     absl::StrCat("--tls_cert_file=", dir_, "/cert.pem"),
                                     absl::StrCat("--tls_key_file=", dir_, "/key.pem")};
    argv.insert(argv.end(), extra.begin(), extra.end());
    server_.emplace(argv);
    port_ = ReadPort(*server_, "Listening on the port :");
    tls_port_ = ReadPort(*server_, "Listening for TLS on the port :");
    ASSERT_GT(port_, 0);
    ASSERT_GT(tls_port_, 0);
  }

  TlsClient TlsLoggedIn(std::string_view name) {
    absl::StatusOr<TlsClient> client = TlsClient::Connect(tls_port_);
    EXPECT_TRUE(client.ok()) << client.status();
    EXPECT_EQ(client->Read(GoldenWelcome().size()), GoldenWelcome());
    client->Send(absl::StrCat(name, "\n"));
    client->ReadUntil(absl::StrCat("[", name, "]:"));
    return *std::move(client);
  }

  void StopServer() {
    server_->Signal(SIGTERM);
    const std::optional<int> status = server_->Wait(kPatience);
    ASSERT_TRUE(status.has_value());
    EXPECT_TRUE(WIFEXITED(*status));
    EXPECT_EQ(WEXITSTATUS(*status), 0);
  }

  std::string dir_;
  std::optional<Subprocess> server_;
  int port_ = -1;
  int tls_port_ = -1;
};

TEST_F(TlsBinaryTest, OpensslClientAndPlainClientChatInOneRoom) {
  StartServer();
  Subprocess alice({"/usr/bin/openssl", "s_client", "-quiet", "-connect",
                    absl::StrCat("127.0.0.1:", tls_port_)},
                   /*pipe_stdin=*/true);
  // The same bytes as over plain TCP.
  EXPECT_EQ(alice.ReadStdoutUntil("[ENTER YOUR NAME]: ", kPatience), GoldenWelcome())
      << alice.DrainStderr();
  ASSERT_TRUE(alice.WriteStdin("alice\n"));
  const std::optional<std::string> prompt = alice.ReadStdoutUntil("[alice]:", kPatience);
  ASSERT_TRUE(prompt.has_value());
  EXPECT_EQ(prompt->size(), std::string("[2026-11-23 18:30:00][alice]:").size()) << *prompt;

  absl::StatusOr<LineClient> bob = LineClient::Connect(port_);
  ASSERT_TRUE(bob.ok());
  EXPECT_EQ(bob->Read(GoldenWelcome().size()), GoldenWelcome());
  bob->Send("bob\n");
  bob->ReadUntil("[bob]:");
  const std::optional<std::string> joined = alice.ReadStdoutUntil("[alice]:", kPatience);
  ASSERT_TRUE(joined.has_value());
  EXPECT_TRUE(absl::StartsWith(*joined, "\nbob has joined our chat...\n[")) << *joined;

  bob->Send("hello from nc\n");
  bob->ReadUntil("[bob]:");  // the sender's fresh prompt
  const std::optional<std::string> from_bob = alice.ReadStdoutUntil("[alice]:", kPatience);
  ASSERT_TRUE(from_bob.has_value());
  EXPECT_TRUE(absl::StrContains(*from_bob, "][bob]:hello from nc\n[")) << *from_bob;

  ASSERT_TRUE(alice.WriteStdin("hello from tls\n"));
  ASSERT_TRUE(alice.ReadStdoutUntil("[alice]:", kPatience).has_value());  // her fresh prompt
  const std::string from_alice = bob->ReadUntil("[bob]:");
  EXPECT_TRUE(absl::StartsWith(from_alice, "\n[")) << from_alice;
  EXPECT_TRUE(absl::StrContains(from_alice, "][alice]:hello from tls\n[")) << from_alice;

  server_->Signal(SIGTERM);
  EXPECT_EQ(bob->ReadToEnd(), "\nServer is shutting down. Goodbye!\n");
  EXPECT_EQ(alice.ReadStdoutUntil("Goodbye!\n", kPatience),
            std::optional<std::string>("\nServer is shutting down. Goodbye!\n"));
  EXPECT_TRUE(alice.Wait(kPatience).has_value()) << "s_client saw the end of the stream";
  const std::optional<int> status = server_->Wait(kPatience);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(WEXITSTATUS(*status), 0);
}

TEST_F(TlsBinaryTest, WithTlsTheWebPortIsHttpsWithTheSameCertificate) {
  const int web_port = FreePort();
  StartServer({absl::StrCat("--http_port=", web_port)});
  EXPECT_EQ(server_->ReadStdoutLine(kPatience),
            std::optional<std::string>(absl::StrCat("Chat page on port ", web_port,
                                                    ": https://localhost:", web_port, "/")));
  absl::StatusOr<TlsClient> browser = TlsClient::Connect(web_port);
  ASSERT_TRUE(browser.ok()) << browser.status();
  browser->Send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
  const std::string page = browser->ReadToEnd();
  EXPECT_TRUE(absl::StartsWith(page, "HTTP/1.1 200")) << page.substr(0, 200);
  EXPECT_TRUE(absl::StrContains(page, "</html>")) << page.substr(0, 200);
  // Plain http on the same port gets no page: the bytes are not a TLS handshake.
  absl::StatusOr<LineClient> plain = LineClient::Connect(web_port);
  ASSERT_TRUE(plain.ok());
  plain->Send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
  EXPECT_FALSE(absl::StrContains(plain->ReadToEnd(), "HTTP/1.1 200"));
  StopServer();
}

TEST_F(TlsBinaryTest, SighupSwapsTheCertificateWithoutDroppingAnyone) {
  StartServer();
  TlsClient old_client = TlsLoggedIn("old");
  EXPECT_EQ(old_client.PeerCommonName(), "first");

  MakeCertificate(dir_, "second");
  server_->Signal(SIGHUP);
  ASSERT_TRUE(AwaitLog(*server_, "reloaded TLS certificate"));
  TlsClient new_client = TlsLoggedIn("new");
  EXPECT_EQ(new_client.PeerCommonName(), "second");

  // The connection made with the old certificate carries on.
  ASSERT_TRUE(old_client.Send("still here\n"));
  const std::string line = new_client.ReadUntil("[new]:");
  EXPECT_TRUE(absl::StrContains(line, "][old]:still here\n")) << line;

  // A broken file is refused and the certificate in use stays.
  FILE* cert = std::fopen(absl::StrCat(dir_, "/cert.pem").c_str(), "w");
  ASSERT_NE(cert, nullptr);
  std::fputs("-----BEGIN CERTIFICATE-----\nnot a certificate\n", cert);
  std::fclose(cert);
  server_->Signal(SIGHUP);
  ASSERT_TRUE(AwaitLog(*server_, "kept the old TLS certificate"));
  absl::StatusOr<TlsClient> third = TlsClient::Connect(tls_port_);
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_EQ(third->PeerCommonName(), "second");
  EXPECT_EQ(third->Read(GoldenWelcome().size()), GoldenWelcome());
  StopServer();
}

// Certificate renewal while people are chatting: clients keep sending and receiving through
// several reloads, nobody is dropped, no line is lost or reordered, and every connection
// made after a reload gets the new certificate.
TEST_F(TlsBinaryTest, ReloadsUnderLoadDropNobodyAndLoseNoLine) {
  StartServer({"--max_msgs_per_sec=0", "--ip_lines_per_sec=0", "--ip_bytes_per_sec=0",
               "--max_pending_per_ip=0", "--max_clients=20"});
  constexpr int kSenders = 4;
  constexpr int kLines = 300;
  constexpr int kReloads = 5;
  std::vector<TlsClient> clients;
  for (int i = 0; i < kSenders; ++i) clients.push_back(TlsLoggedIn(absl::StrCat("s", i)));

  // Each sender sends its lines, then reads until it has everyone else's last line.
  std::vector<std::string> received(kSenders);
  std::vector<std::jthread> senders;
  for (int i = 0; i < kSenders; ++i) {
    senders.emplace_back([&, i] {
      TlsClient& client = clients[i];
      for (int n = 0; n < kLines; ++n) {
        if (!client.Send(absl::StrCat("line ", n, " from s", i, "\n"))) return;
      }
      for (int other = 0; other < kSenders; ++other) {
        if (other == i) continue;
        received[i] += client.ReadUntil(absl::StrCat("line ", kLines - 1, " from s", other, "\n"));
      }
    });
  }
  for (int reload = 0; reload < kReloads; ++reload) {
    const std::string name = absl::StrCat("renewed", reload);
    ASSERT_TRUE(testing::WriteSelfSignedCertificate(absl::StrCat(dir_, "/cert.pem"),
                                                    absl::StrCat(dir_, "/key.pem"), name)
                    .ok());
    server_->Signal(SIGHUP);
    ASSERT_TRUE(AwaitLog(*server_, "reloaded TLS certificate", reload + 1));
    absl::StatusOr<TlsClient> fresh = TlsClient::Connect(tls_port_);
    ASSERT_TRUE(fresh.ok()) << fresh.status();
    EXPECT_EQ(fresh->PeerCommonName(), name);
    EXPECT_EQ(fresh->Read(GoldenWelcome().size()), GoldenWelcome());
  }
  senders.clear();  // joins

  for (int i = 0; i < kSenders; ++i) {
    // Everyone else's lines, each sender's in the order sent, none twice.
    std::vector<int> next(kSenders, 0);
    for (absl::string_view line : absl::StrSplit(received[i], '\n')) {
      const size_t at = line.find("]:line ");
      if (at == absl::string_view::npos) continue;
      int n = -1;
      int from = -1;
      ASSERT_EQ(std::sscanf(std::string(line.substr(at)).c_str(), "]:line %d from s%d", &n, &from), 2)
          << line;
      ASSERT_TRUE(from >= 0 && from < kSenders && from != i) << line;
      EXPECT_EQ(n, next[from]) << "s" << i << " got " << line;
      next[from] = n + 1;
    }
    for (int other = 0; other < kSenders; ++other) {
      if (other == i) continue;
      EXPECT_EQ(next[other], kLines) << "s" << i << " from s" << other;
    }
  }
  // And all of them are still there.
  for (TlsClient& client : clients) EXPECT_TRUE(client.Send("/ping\n"));
  for (TlsClient& client : clients) {
    EXPECT_TRUE(absl::StrContains(client.ReadUntil("pong "), "pong "));
  }
  StopServer();
}

// Returns true if the server closed `client`'s connection (end of stream, not a deadline).
bool ClosedByServer(LineClient& client) {
  client.ReadToEnd();
  char byte;
  return ::recv(client.fd(), &byte, 1, MSG_DONTWAIT) == 0;
}

TEST_F(TlsBinaryTest, SilentAndStalledHandshakesEndAtTheLoginTimeout) {
  StartServer({"--login_timeout=1s"});
  absl::StatusOr<LineClient> silent = LineClient::Connect(tls_port_);
  absl::StatusOr<LineClient> slowloris = LineClient::Connect(tls_port_);
  ASSERT_TRUE(silent.ok() && slowloris.ok());
  // The start of a ClientHello, and then nothing.
  ASSERT_TRUE(slowloris->Send(std::string("\x16\x03\x01\x02\x00\x01", 6)));
  EXPECT_TRUE(ClosedByServer(*silent));
  EXPECT_TRUE(ClosedByServer(*slowloris));
  EXPECT_TRUE(AwaitLog(*server_, "no name before the login timeout"));
  // Plain clients are unaffected throughout.
  absl::StatusOr<LineClient> plain = LineClient::Connect(port_);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->Read(GoldenWelcome().size()), GoldenWelcome());
  StopServer();
}

TEST_F(TlsBinaryTest, PlainTextOnTheTlsPortIsRefusedAndCounted) {
  const int metrics_port = FreePort();
  StartServer({absl::StrCat("--metrics_port=", metrics_port)});
  absl::StatusOr<LineClient> confused = LineClient::Connect(tls_port_);
  ASSERT_TRUE(confused.ok());
  confused->Send("alice\nhello\n");
  EXPECT_TRUE(ClosedByServer(*confused));
  // The server carries on, on both ports.
  TlsClient alice = TlsLoggedIn("alice");
  absl::StatusOr<LineClient> bob = LineClient::Connect(port_);
  ASSERT_TRUE(bob.ok());
  EXPECT_EQ(bob->Read(GoldenWelcome().size()), GoldenWelcome());

  // The client can see the close (the alert, then end of stream, from the writer) just
  // before the reader counts the disconnect: scrape until it is counted (bounded).
  const char kProtocolError[] = "tcpchat_disconnects_total{reason=\"protocol_error\"} 1\n";
  std::string metrics;
  for (const absl::Time deadline = absl::Now() + kPatience; absl::Now() < deadline;
       absl::SleepFor(absl::Milliseconds(20))) {
    absl::StatusOr<LineClient> scrape = LineClient::Connect(metrics_port);
    ASSERT_TRUE(scrape.ok());
    scrape->Send("GET /metrics HTTP/1.0\r\n\r\n");
    metrics = scrape->ReadToEnd();
    if (absl::StrContains(metrics, kProtocolError)) break;
  }
  EXPECT_TRUE(absl::StrContains(metrics, "\ntcpchat_tls_handshake_failures_total 1\n")) << metrics;
  EXPECT_TRUE(absl::StrContains(
      metrics, "\ntcpchat_transport_connections_accepted_total{transport=\"tls\"} 2\n"))
      << metrics;
  EXPECT_TRUE(absl::StrContains(
      metrics, "\ntcpchat_transport_connected_clients{transport=\"tcp\"} 1\n"))
      << metrics;
  EXPECT_TRUE(absl::StrContains(metrics, kProtocolError)) << metrics;
  StopServer();
}

// Each TLS connection costs the server a signature: one address that handshakes and hangs
// up in a loop is refused, in plain text and before any handshake, once it has taken a
// minute's worth; people on the plain port, and the address's live sessions, carry on.
TEST_F(TlsBinaryTest, AnAddressHandshakingInALoopIsRefusedBeforeTheHandshake) {
  const int metrics_port = FreePort();
  StartServer({"--tls_handshakes_per_minute_per_ip=2", "--max_pending_per_ip=0",
               absl::StrCat("--metrics_port=", metrics_port)});
  TlsClient alice = TlsLoggedIn("alice");
  TlsClient bob = TlsLoggedIn("bob");
  absl::StatusOr<LineClient> third = LineClient::Connect(tls_port_);
  ASSERT_TRUE(third.ok());
  const std::string refusal = third->ReadToEnd();
  EXPECT_TRUE(absl::StrContains(
      refusal, "Too many TLS connections from your address; try again in "))
      << refusal;
  // The sessions already open are not touched, nor is the plain port.
  alice.Send("still here\n");
  bob.ReadUntil("still here");
  absl::StatusOr<LineClient> plain = LineClient::Connect(port_);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->Read(GoldenWelcome().size()), GoldenWelcome());

  absl::StatusOr<LineClient> scrape = LineClient::Connect(metrics_port);
  ASSERT_TRUE(scrape.ok());
  scrape->Send("GET /metrics HTTP/1.0\r\n\r\n");
  const std::string metrics = scrape->ReadToEnd();
  EXPECT_TRUE(absl::StrContains(metrics,
                                "\ntcpchat_refused_connections_total{reason=\"handshakes\"} 1\n"))
      << metrics;
  EXPECT_TRUE(absl::StrContains(metrics, "\ntcpchat_tls_handshake_failures_total 0\n")) << metrics;
  StopServer();
}

TEST(TlsFlagsTest, MissingOrBrokenCertificateIsAStartupError) {
  const int port = FreePort();
  {
    Subprocess server({kServer, "--port=0", absl::StrCat("--tls_port=", port)});
    const std::optional<int> status = server.Wait(kPatience);
    ASSERT_TRUE(status.has_value());
    EXPECT_EQ(WEXITSTATUS(*status), 1);
    EXPECT_TRUE(absl::StrContains(server.DrainStderr(), "--tls_cert_file"));
  }
  {
    const std::string missing = TempPath("no_such_cert.pem");
    Subprocess server({kServer, "--port=0", absl::StrCat("--tls_port=", port),
                       absl::StrCat("--tls_cert_file=", missing),
                       absl::StrCat("--tls_key_file=", missing)});
    const std::optional<int> status = server.Wait(kPatience);
    ASSERT_TRUE(status.has_value());
    EXPECT_EQ(WEXITSTATUS(*status), 1);
    const std::string err = server.DrainStderr();
    EXPECT_TRUE(absl::StrContains(err, "cannot start TLS: certificate")) << err;
    EXPECT_TRUE(absl::StrContains(err, missing)) << err;
  }
}

}  // namespace
}  // namespace chat
