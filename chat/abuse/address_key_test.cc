#include "chat/abuse/address_key.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <string>

#include "chat/socket.h"
#include "chat/testing/socket_pair.h"
#include "gtest/gtest.h"

namespace chat {
namespace {

std::string KeyOfV4(const char* text, int port = 4242) {
  sockaddr_in v4{};
  v4.sin_family = AF_INET;
  v4.sin_port = htons(port);
  EXPECT_EQ(::inet_pton(AF_INET, text, &v4.sin_addr), 1) << text;
  return AddressKey(reinterpret_cast<const sockaddr*>(&v4), sizeof(v4));
}

std::string KeyOfV6(const char* text, int port = 4242) {
  sockaddr_in6 v6{};
  v6.sin6_family = AF_INET6;
  v6.sin6_port = htons(port);
  EXPECT_EQ(::inet_pton(AF_INET6, text, &v6.sin6_addr), 1) << text;
  return AddressKey(reinterpret_cast<const sockaddr*>(&v6), sizeof(v6));
}

TEST(AddressKeyTest, IPv4IsItsDottedFormWithoutThePort) {
  EXPECT_EQ(KeyOfV4("203.0.113.7"), "203.0.113.7");
  EXPECT_EQ(KeyOfV4("203.0.113.7", 1), KeyOfV4("203.0.113.7", 65535));
  EXPECT_NE(KeyOfV4("203.0.113.7"), KeyOfV4("203.0.113.8"));
  EXPECT_EQ(KeyOfV4("127.0.0.1"), "127.0.0.1");
}

TEST(AddressKeyTest, IPv4MappedIPv6IsTheSameClientAsPlainIPv4) {
  EXPECT_EQ(KeyOfV6("::ffff:203.0.113.7"), "203.0.113.7");
  EXPECT_EQ(KeyOfV6("::ffff:203.0.113.7"), KeyOfV4("203.0.113.7"));
  EXPECT_EQ(KeyOfV6("::ffff:127.0.0.1"), KeyOfV4("127.0.0.1"));
}

TEST(AddressKeyTest, IPv6IsGroupedByItsSlash64) {
  EXPECT_EQ(KeyOfV6("2001:db8:1:2::1"), "2001:db8:1:2::/64");
  EXPECT_EQ(KeyOfV6("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
  EXPECT_EQ(KeyOfV6("2001:db8:1:2:ffff:ffff:ffff:ffff"), KeyOfV6("2001:db8:1:2::"));
  EXPECT_NE(KeyOfV6("2001:db8:1:2::1"), KeyOfV6("2001:db8:1:3::1"));
  EXPECT_NE(KeyOfV6("2001:db8:1:2::1"), KeyOfV6("2001:db9:1:2::1"));
  EXPECT_EQ(KeyOfV6("fe80::1234:5678"), "fe80::/64");
}

TEST(AddressKeyTest, IPv6LoopbackIsItsOwnKey) {
  EXPECT_EQ(KeyOfV6("::1"), "::1");
  EXPECT_NE(KeyOfV6("::1"), KeyOfV6("::2"));
  EXPECT_NE(KeyOfV6("::1"), KeyOfV4("127.0.0.1"));
}

TEST(AddressKeyTest, NonIpFamiliesAreLocal) {
  sockaddr_un unix_address{};
  unix_address.sun_family = AF_UNIX;
  EXPECT_EQ(AddressKey(reinterpret_cast<const sockaddr*>(&unix_address), sizeof(unix_address)),
            kLocalAddressKey);
}

TEST(AddressKeyTest, TruncatedAddressesAreUnknown) {
  sockaddr_in6 v6{};
  v6.sin6_family = AF_INET6;
  const auto* address = reinterpret_cast<const sockaddr*>(&v6);
  EXPECT_EQ(AddressKey(address, sizeof(sockaddr_in)), kUnknownAddressKey);
  EXPECT_EQ(AddressKey(address, 0), kUnknownAddressKey);
  EXPECT_EQ(AddressKey(nullptr, sizeof(v6)), kUnknownAddressKey);
  sockaddr_in v4{};
  v4.sin_family = AF_INET;
  EXPECT_EQ(AddressKey(reinterpret_cast<const sockaddr*>(&v4), sizeof(v4) - 1),
            kUnknownAddressKey);
}

// How /whois and other servers' presence records write an address, back to its key.
TEST(TextAddressKeyTest, AddressesWithPortsAndBalancers) {
  EXPECT_EQ(TextAddressKey("192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(TextAddressKey("192.0.2.7:5678"), "192.0.2.7");
  EXPECT_EQ(TextAddressKey("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
  EXPECT_EQ(TextAddressKey("[2001:db8:1:2::9]:5678"), "2001:db8:1:2::/64");
  EXPECT_EQ(TextAddressKey("[::1]:5678"), "::1");
  // Behind a load balancer the client is the first address, not the balancer.
  EXPECT_EQ(TextAddressKey("192.0.2.7:5678 via 10.0.0.2:40000"), "192.0.2.7");
  EXPECT_EQ(TextAddressKey("[::ffff:192.0.2.7]:1 via 10.0.0.2:4"), "192.0.2.7");
  EXPECT_EQ(TextAddressKey(""), std::nullopt);
  EXPECT_EQ(TextAddressKey("alice"), std::nullopt);
  EXPECT_EQ(TextAddressKey("[2001:db8::1"), std::nullopt);
  EXPECT_EQ(TextAddressKey("local"), std::nullopt);
}

TEST(PeerAddressKeyTest, SocketPairIsLocal) {
  testing::SocketPair pair = testing::MakeSocketPair();
  EXPECT_EQ(PeerAddressKey(pair.server_end.get()), kLocalAddressKey);
}

TEST(PeerAddressKeyTest, ClosedDescriptorIsUnknown) {
  EXPECT_EQ(PeerAddressKey(-1), kUnknownAddressKey);
}

// Connects a new socket of `family` to `address` (a sockaddr of that family) and returns
// the accepted end, or an invalid ScopedFd.
ScopedFd ConnectAndAccept(int listener, int family, const sockaddr* address,
                          socklen_t length, ScopedFd* client) {
  *client = ScopedFd(::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!client->valid() || ::connect(client->get(), address, length) != 0) return ScopedFd();
  return ScopedFd(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
}

// The production listener (ListenTcp with no address: dual-stack "::" where IPv6 exists)
// sees an IPv4 client as ::ffff:127.0.0.1; its key must be plain "127.0.0.1".
TEST(PeerAddressKeyTest, IPv4ClientOfTheDefaultListenerIsItsDottedAddress) {
  absl::StatusOr<ScopedFd> listener = ListenTcp("", 0, 4);
  ASSERT_TRUE(listener.ok()) << listener.status();
  absl::StatusOr<int> port = LocalPort(listener->get());
  ASSERT_TRUE(port.ok()) << port.status();
  sockaddr_in v4{};
  v4.sin_family = AF_INET;
  v4.sin_port = htons(*port);
  ASSERT_EQ(::inet_pton(AF_INET, "127.0.0.1", &v4.sin_addr), 1);
  ScopedFd client;
  ScopedFd accepted = ConnectAndAccept(listener->get(), AF_INET,
                                       reinterpret_cast<const sockaddr*>(&v4), sizeof(v4),
                                       &client);
  ASSERT_TRUE(accepted.valid());
  EXPECT_EQ(PeerAddressKey(accepted.get()), "127.0.0.1");
  EXPECT_EQ(PeerAddressKey(client.get()), "127.0.0.1");
}

TEST(PeerAddressKeyTest, IPv6LoopbackClient) {
  absl::StatusOr<ScopedFd> listener = ListenTcp("::1", 0, 4);
  if (!listener.ok()) GTEST_SKIP() << "no IPv6 loopback here: " << listener.status();
  absl::StatusOr<int> port = LocalPort(listener->get());
  ASSERT_TRUE(port.ok()) << port.status();
  sockaddr_in6 v6{};
  v6.sin6_family = AF_INET6;
  v6.sin6_port = htons(*port);
  v6.sin6_addr = in6addr_loopback;
  ScopedFd client;
  ScopedFd accepted = ConnectAndAccept(listener->get(), AF_INET6,
                                       reinterpret_cast<const sockaddr*>(&v6), sizeof(v6),
                                       &client);
  ASSERT_TRUE(accepted.valid());
  EXPECT_EQ(PeerAddressKey(accepted.get()), "::1");
}

}  // namespace
}  // namespace chat
