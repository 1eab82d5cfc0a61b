// chat/abuse/address_key.h: which peer addresses count as one source for abuse limits.
//
// Defines:
//   AddressKey      - a socket address -> the key per-source limits are counted under.
//   PeerAddressKey  - the same, for the remote end of a connected socket.

#ifndef CHAT_ABUSE_ADDRESS_KEY_H_
#define CHAT_ABUSE_ADDRESS_KEY_H_

#include <sys/socket.h>

#include <string>

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

}  // namespace chat

#endif  // CHAT_ABUSE_ADDRESS_KEY_H_
