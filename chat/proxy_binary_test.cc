// The real binary behind a TCP load balancer (--proxy_protocol_from): the test plays the
// balancer, writing the PROXY header HAProxy's `send-proxy` writes. Per-address limits
// count the client named in the header; a trusted connection without a header is closed;
// untrusted connections are taken as they come; TLS starts after the header.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
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
using testing::Subprocess;
using testing::TempPath;
using testing::TlsClient;

constexpr char kServer[] = "chat/server";
constexpr absl::Duration kPatience = absl::Seconds(30);


// The header a balancer on this host writes for `client` (an IPv4 address).
std::string HeaderFor(std::string_view client, int port) {
  return absl::StrCat("PROXY TCP4 ", client, " 127.0.0.1 40000 ", port, "\r\n");
}

// A TCP connection to 127.0.0.1:port from source address `from` (any of 127/8).
ScopedFd ConnectFrom(const char* from, int port) {
  ScopedFd socket(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  ::inet_pton(AF_INET, from, &address.sin_addr);
  EXPECT_EQ(::bind(socket.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ::inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  address.sin_port = htons(static_cast<uint16_t>(port));
  EXPECT_EQ(::connect(socket.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  return socket;
}

// After ReadToEnd(): the server closed the connection (end of stream), rather than the
// client's deadline passing with the connection still open.
bool ClosedByServer(const LineClient& client) {
  char byte;
  return ::recv(client.fd(), &byte, 1, MSG_DONTWAIT) == 0;
}

class ProxyBinaryTest : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> extra) {
    std::vector<std::string> argv = {kServer, "--port=0", "--proxy_protocol_from=127.0.0.1"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    server_.emplace(argv);
    port_ = testing::ReadPortLine(*server_, "Listening on the port :", kPatience);
    ASSERT_GT(port_, 0);
  }

  // A client the balancer forwards from `client`, greeted and logged in as `name`.
  LineClient Through(std::string_view client, std::string_view name) {
    absl::StatusOr<LineClient> connection = LineClient::Connect(port_);
    EXPECT_TRUE(connection.ok()) << connection.status();
    connection->Send(HeaderFor(client, port_));
    EXPECT_EQ(connection->Read(GoldenWelcome().size()), GoldenWelcome());
    connection->Send(absl::StrCat(name, "\n"));
    EXPECT_TRUE(absl::StrContains(connection->ReadUntil(absl::StrCat("[", name, "]:")),
                                  absl::StrCat("[", name, "]:")));
    return *std::move(connection);
  }

  std::optional<Subprocess> server_;
  int port_ = -1;
};

TEST_F(ProxyBinaryTest, PerAddressLimitsCountTheClientTheHeaderNames) {
  Start({"--max_connections_per_ip=1"});
  // Two clients behind one balancer address: two addresses as far as limits go.
  LineClient alice = Through("192.0.2.7", "alice");
  LineClient bob = Through("192.0.2.8", "bob");
  EXPECT_TRUE(absl::StrContains(alice.ReadUntil("[alice]:"), "bob has joined our chat..."));
  // A second connection of 192.0.2.7 is its second: refused, and told why.
  absl::StatusOr<LineClient> again = LineClient::Connect(port_);
  ASSERT_TRUE(again.ok());
  again->Send(HeaderFor("192.0.2.7", port_));
  EXPECT_EQ(again->ReadToEnd(),
            "Too many connections from your address (1); close one and try again.\n");
  EXPECT_TRUE(ClosedByServer(*again));
  // The log says who the client is, and through whom.
  bob.Send("hi\n");
  EXPECT_TRUE(absl::StrContains(alice.ReadUntil("[alice]:"), "[bob]:hi\n"));
  const std::string log = server_->DrainStderr();
  EXPECT_TRUE(absl::StrContains(log, "login 192.0.2.7:40000 via 127.0.0.1:")) << log;
}

TEST_F(ProxyBinaryTest, ATrustedConnectionWithoutAHeaderIsClosedUngreeted) {
  Start({});
  absl::StatusOr<LineClient> bare = LineClient::Connect(port_);
  ASSERT_TRUE(bare.ok());
  bare->Send("alice\n");
  EXPECT_EQ(bare->ReadToEnd(), "");
  EXPECT_TRUE(ClosedByServer(*bare));
  // Nor is anyone else's connection the worse for it.
  LineClient bob = Through("192.0.2.8", "bob");
  bob.Send("still here\n");
  EXPECT_TRUE(absl::StrContains(bob.ReadUntil("[bob]:"), "[bob]:"));
}

TEST_F(ProxyBinaryTest, ABalancerThatSaysNothingIsTimedOut) {
  Start({"--login_timeout=1s"});
  absl::StatusOr<LineClient> silent = LineClient::Connect(port_);
  ASSERT_TRUE(silent.ok());
  silent->Send("PROXY TCP4 ");  // and then nothing
  EXPECT_EQ(silent->ReadToEnd(), "");
  EXPECT_TRUE(ClosedByServer(*silent));
}

TEST_F(ProxyBinaryTest, ConnectionsFromOtherAddressesAreTakenAsTheyCome) {
  Start({});
  LineClient direct(ConnectFrom("127.0.0.2", port_));
  // Greeted at once: no header is expected of it, and none would be believed.
  EXPECT_EQ(direct.Read(GoldenWelcome().size()), GoldenWelcome());
  direct.Send(HeaderFor("192.0.2.7", port_));
  EXPECT_TRUE(absl::StrContains(direct.ReadUntil("[ENTER YOUR NAME]: "), "[ENTER YOUR NAME]: "))
      << "the header is a bad name here, not an address";
}

TEST_F(ProxyBinaryTest, TlsStartsAfterTheHeader) {
  const std::string dir = TempPath("proxied_tls");
  testing::MakeCertificate(dir, "proxied");
  Start({absl::StrCat("--tls_port=", testing::FreeLoopbackPort()),
         absl::StrCat("--tls_cert_file=", dir, "/cert.pem"),
         absl::StrCat("--tls_key_file=", dir, "/key.pem")});
  const int tls_port = testing::ReadPortLine(*server_, "Listening for TLS on the port :", kPatience);
  ASSERT_GT(tls_port, 0);
  ScopedFd fd = ConnectFrom("127.0.0.1", tls_port);
  const std::string header = HeaderFor("192.0.2.9", tls_port);
  ASSERT_EQ(SendAll(fd.get(), header), SendResult::kOk);
  absl::StatusOr<TlsClient> tls = TlsClient::Handshake(std::move(fd));
  ASSERT_TRUE(tls.ok()) << tls.status();
  EXPECT_EQ(tls->Read(GoldenWelcome().size()), GoldenWelcome());
  tls->Send("carol\n");
  EXPECT_TRUE(absl::StrContains(tls->ReadUntil("[carol]:"), "[carol]:"));
  EXPECT_TRUE(absl::StrContains(server_->DrainStderr(), "connect 192.0.2.9:40000 via"));
}

TEST(ProxyFlagTest, AnAddressThatIsNotOneIsAStartupError) {
  Subprocess server({kServer, "--port=0", "--proxy_protocol_from=10.0.0.0/8"});
  const std::optional<int> status = server.Wait(kPatience);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(WEXITSTATUS(*status), 1);
  EXPECT_TRUE(absl::StrContains(server.DrainStderr(), "--proxy_protocol_from: not an IP address"));
}

}  // namespace
}  // namespace chat
