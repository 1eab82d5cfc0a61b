#include "chat/transport/proxy_header.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <string>
#include <thread>

#include "chat/abuse/address_key.h"
#include "chat/socket.h"
#include "chat/testing/socket_pair.h"
#include "glog/logging.h"
#include "gtest/gtest.h"

namespace chat {
namespace {

std::string KeyOf(const ProxyHeader& header) {
  return AddressKey(reinterpret_cast<const sockaddr*>(&*header.source), header.source_length);
}

TEST(ParseProxyHeaderTest, ReadsAnIpv4Client) {
  const std::string bytes = "PROXY TCP4 192.0.2.7 127.0.0.1 56324 8989\r\nalice\n";
  ProxyHeader header;
  ASSERT_EQ(ParseProxyHeader(bytes, &header), ProxyParse::kComplete);
  EXPECT_EQ(header.length, bytes.find("alice"));
  ASSERT_TRUE(header.source.has_value());
  EXPECT_EQ(KeyOf(header), "192.0.2.7");
  EXPECT_EQ(header.display, "192.0.2.7:56324");
}

TEST(ParseProxyHeaderTest, ReadsAnIpv6ClientAndKeysItsSlash64) {
  ProxyHeader header;
  ASSERT_EQ(ParseProxyHeader("PROXY TCP6 2001:db8:1:2::9 ::1 40000 8989\r\n", &header),
            ProxyParse::kComplete);
  EXPECT_EQ(KeyOf(header), "2001:db8:1:2::/64");
  EXPECT_EQ(header.display, "[2001:db8:1:2::9]:40000");
}

TEST(ParseProxyHeaderTest, UnknownKeepsTheConnectionsOwnAddress) {
  ProxyHeader header;
  ASSERT_EQ(ParseProxyHeader("PROXY UNKNOWN\r\n", &header), ProxyParse::kComplete);
  EXPECT_FALSE(header.source.has_value());
  EXPECT_EQ(header.length, 15u);
  ASSERT_EQ(ParseProxyHeader("PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n", &header),
            ProxyParse::kComplete);
  EXPECT_FALSE(header.source.has_value());
}

TEST(ParseProxyHeaderTest, WaitsForMoreWhileAPrefixCouldStillBeAHeader) {
  const std::string full = "PROXY TCP4 192.0.2.7 127.0.0.1 56324 8989\r\n";
  for (size_t n = 0; n < full.size(); ++n) {
    ProxyHeader header;
    EXPECT_EQ(ParseProxyHeader(full.substr(0, n), &header), ProxyParse::kNeedMore) << n;
  }
}

TEST(ParseProxyHeaderTest, RefusesWhatIsNotAHeader) {
  const char* const bad[] = {
      "alice\r\n",                                         // a client that skipped the balancer
      "proxy TCP4 192.0.2.7 127.0.0.1 1 2\r\n",            // the signature is case-sensitive
      "PROXY TCP4 192.0.2.7 127.0.0.1 1\r\n",              // a field short
      "PROXY TCP4 192.0.2.7 127.0.0.1 1 2 3\r\n",          // a field over
      "PROXY TCP4 192.0.2.7  127.0.0.1 1 2\r\n",           // two spaces
      "PROXY TCP4 2001:db8::1 127.0.0.1 1 2\r\n",          // family mismatch
      "PROXY TCP6 192.0.2.7 ::1 1 2\r\n",                  // family mismatch
      "PROXY TCP4 192.0.2.256 127.0.0.1 1 2\r\n",          // not an address
      "PROXY TCP4 192.0.2.7 127.0.0.1 65536 2\r\n",        // port out of range
      "PROXY TCP4 192.0.2.7 127.0.0.1 01 2\r\n",           // leading zero
      "PROXY TCP4 192.0.2.7 127.0.0.1 -1 2\r\n",           // sign
      "PROXY UDP4 192.0.2.7 127.0.0.1 1 2\r\n",            // not TCP
      "PROXY TCP4 192.0.2.7 127.0.0.1 1 2\n",              // no "\r"
      "PROXY TCP4 192.0.2.7\t127.0.0.1 1 2\r\n",           // a control character
      "PROXY TCP4 192.0.2.7 127.0.0.1 1 2\x80\r\n",        // not ASCII
      "\r\n\r\n\0\r\nQUIT\n",                              // version 2 (not supported)
  };
  for (const char* text : bad) {
    ProxyHeader header;
    EXPECT_EQ(ParseProxyHeader(text, &header), ProxyParse::kInvalid) << text;
  }
  ProxyHeader header;
  EXPECT_EQ(ParseProxyHeader("PROXY UNKNOWN " + std::string(200, 'x'), &header),
            ProxyParse::kInvalid)
      << "no \\r\\n within 107 bytes";
  EXPECT_EQ(ParseProxyHeader("PROXY UNKNOWN " + std::string(91, 'x') + "\r\n", &header),
            ProxyParse::kComplete)
      << "exactly 107 bytes";
  EXPECT_EQ(ParseProxyHeader("PROXY UNKNOWN " + std::string(92, 'x') + "\r\n", &header),
            ProxyParse::kInvalid)
      << "108 bytes";
}

TEST(ReadProxyHeaderTest, TakesTheHeaderAndLeavesTheClientsBytes) {
  testing::SocketPair pair = testing::MakeSocketPair();
  ASSERT_EQ(SendAll(pair.client_end.get(), "PROXY TCP4 192.0.2.7 127.0.0.1 56324 8989\r\nhello"),
            SendResult::kOk);
  absl::StatusOr<ProxyHeader> header = ReadProxyHeader(pair.server_end.get(), absl::Seconds(30));
  ASSERT_TRUE(header.ok()) << header.status();
  EXPECT_EQ(header->display, "192.0.2.7:56324");
  char rest[16];
  EXPECT_EQ(::recv(pair.server_end.get(), rest, sizeof rest, 0), 5);
  EXPECT_EQ(std::string(rest, 5), "hello");
}

TEST(ReadProxyHeaderTest, AssemblesAHeaderThatArrivesInPieces) {
  testing::SocketPair pair = testing::MakeSocketPair();
  std::thread sender([fd = pair.client_end.get()] {
    for (std::string_view piece : {"PRO", "XY TCP6 2001:db8::1 ::1 ", "1 2\r", "\nrest"}) {
      SendAll(fd, piece);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  absl::StatusOr<ProxyHeader> header = ReadProxyHeader(pair.server_end.get(), absl::Seconds(30));
  sender.join();
  ASSERT_TRUE(header.ok()) << header.status();
  EXPECT_EQ(header->display, "[2001:db8::1]:1");
  char rest[16];
  EXPECT_EQ(::recv(pair.server_end.get(), rest, sizeof rest, 0), 4);
}

TEST(ReadProxyHeaderTest, SaysWhyItGotNoHeader) {
  {
    testing::SocketPair pair = testing::MakeSocketPair();
    SendAll(pair.client_end.get(), "GET / HTTP/1.1\r\n");
    EXPECT_EQ(ReadProxyHeader(pair.server_end.get(), absl::Seconds(30)).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
  {
    testing::SocketPair pair = testing::MakeSocketPair();
    SendAll(pair.client_end.get(), "PROXY TCP4");
    ::shutdown(pair.client_end.get(), SHUT_WR);
    EXPECT_EQ(ReadProxyHeader(pair.server_end.get(), absl::Seconds(30)).status().code(),
              absl::StatusCode::kUnavailable);
  }
  {
    // A proxy that connects and says nothing is timed out, not waited on for ever.
    testing::SocketPair pair = testing::MakeSocketPair();
    SendAll(pair.client_end.get(), "PROXY ");
    EXPECT_EQ(ReadProxyHeader(pair.server_end.get(), absl::Milliseconds(50)).status().code(),
              absl::StatusCode::kDeadlineExceeded);
  }
}

// A loopback TCP connection: the accepted end, whose peer is `client_address`.
ScopedFd AcceptedFrom(const char* client_address, ScopedFd* client) {
  absl::StatusOr<ScopedFd> listener = ListenTcp("127.0.0.1", 0, 4);
  CHECK(listener.ok()) << listener.status();
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(*LocalPort(listener->get())));
  ::inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  sockaddr_in from = to;
  from.sin_port = 0;
  ::inet_pton(AF_INET, client_address, &from.sin_addr);
  client->Reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  CHECK_EQ(::bind(client->get(), reinterpret_cast<sockaddr*>(&from), sizeof from), 0);
  CHECK_EQ(::connect(client->get(), reinterpret_cast<sockaddr*>(&to), sizeof to), 0);
  return ScopedFd(::accept4(listener->get(), nullptr, nullptr, SOCK_CLOEXEC));
}

TEST(TrustedProxiesTest, TrustsOnlyTheListedAddresses) {
  absl::StatusOr<TrustedProxies> trusted = TrustedProxies::Parse(" 127.0.0.1 , ::1");
  ASSERT_TRUE(trusted.ok()) << trusted.status();
  ScopedFd balancer_client, other_client;
  const ScopedFd balancer = AcceptedFrom("127.0.0.1", &balancer_client);
  const ScopedFd other = AcceptedFrom("127.0.0.2", &other_client);  // all of 127/8 is loopback
  EXPECT_TRUE(trusted->Trusts(balancer.get()));
  EXPECT_FALSE(trusted->Trusts(other.get()));
  EXPECT_FALSE(TrustedProxies().Trusts(balancer.get()));
  EXPECT_FALSE(TrustedProxies::Parse("::1")->Trusts(balancer.get()));
  EXPECT_TRUE(TrustedProxies::Parse("::ffff:127.0.0.1")->Trusts(balancer.get()));
  // A socketpair has no IP address at all.
  testing::SocketPair pair = testing::MakeSocketPair();
  EXPECT_FALSE(trusted->Trusts(pair.server_end.get()));
}

TEST(TrustedProxiesTest, RefusesWhatIsNotAnAddress) {
  EXPECT_TRUE(TrustedProxies::Parse("")->empty());
  EXPECT_FALSE(TrustedProxies::Parse("127.0.0.1")->empty());
  EXPECT_FALSE(TrustedProxies::Parse("10.0.0.0/8").ok());
  EXPECT_FALSE(TrustedProxies::Parse("localhost").ok());
  EXPECT_FALSE(TrustedProxies::Parse("127.0.0.1;::1").ok());
}

}  // namespace
}  // namespace chat
