// chat/abuse/address_key.h: which peer addresses count as one source for abuse limits.
//
// Defines:
//   AddressKey      - a socket address -> the key per-source limits are counted under.
//   PeerAddressKey  - the same, for the remote end of a connected socket.

#ifndef CHAT_ABUSE_ADDRESS_KEY_H_
#define CHAT_ABUSE_ADDRESS_KEY_H_

#include <sys/socket.h>

#include <optional>
#include <string>
#include <string_view>

namespace chat {

// Keys for peers that have no IP address: AF_UNIX socketpairs (tests), and sockets whose
// peer cannot be read (already reset). Each is one shared source.
inline constexpr char kLocalAddressKey[] = "local";
inline constexpr char kUnknownAddressKey[] = "unknown";

// AddressKey() names the source a connection is limited as:
//   IPv4 1.2.3.4                  -> "1.2.3.4"
//   IPv4-mapped ::ffff:1.2.3.4    -> "1.2.3.4" (how IPv4 clients reach a dual-stack
//                                    listener: the same client, the same key)
//   IPv6 loopback ::1             -> "::1"
//   other IPv6                    -> its /64, e.g. "2001:db8:1:2::/64": one subscriber
//                                    gets a whole /64 and picks addresses in it at will
//                                    (privacy extensions), so per-address limits on IPv6
//                                    would limit nothing
//   anything else (AF_UNIX, ...)  -> kLocalAddressKey
// A truncated address (`length` too short for its family) is kUnknownAddressKey.
std::string AddressKey(const sockaddr* address, socklen_t length);

// PeerAddressKey() is AddressKey() of getpeername(fd), or kUnknownAddressKey if that fails.
std::string PeerAddressKey(int fd);

// TextAddressKey() is AddressKey() of an address written out: "1.2.3.4", "2001:db8::1",
// with a port ("1.2.3.4:5678", "[2001:db8::1]:5678"), or as a session names a client
// behind a load balancer ("1.2.3.4:5678 via 10.0.0.2:40000": the client, not the
// balancer). nullopt if it is none of these.
std::optional<std::string> TextAddressKey(std::string_view text);

}  // namespace chat

#endif  // CHAT_ABUSE_ADDRESS_KEY_H_
