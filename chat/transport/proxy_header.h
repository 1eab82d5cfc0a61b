// chat/transport/proxy_header.h: the client's real address from a load balancer's PROXY
// protocol header (version 1, the text form HAProxy sends with `send-proxy`).
//
// Defines:
//   ProxyHeader        - what a complete header says: the client's address, or nothing.
//   ParseProxyHeader   - bytes received so far -> need more / invalid / a header.
//   ReadProxyHeader    - reads exactly one header from a socket, nothing after it.
//   TrustedProxies     - the balancers' addresses, whose connections must carry a header.
//
// Behind a TCP load balancer every connection comes from the balancer's address, so
// per-address limits, bans and /whois would all see one address. The balancer puts a
// one-line header before the client's bytes; only connections from addresses the
// operator trusts (--proxy_protocol_from) are read this way, because anyone else could
// claim any address. Debian 12 packages no PROXY protocol library, and version 1 is one
// line of text, so this is ours; its parser is fuzzed (chat/fuzz/proxy_header_fuzzer).
//
// Spec: https://www.haproxy.org/download/2.6/doc/proxy-protocol.txt, section 2.1.

#ifndef CHAT_TRANSPORT_PROXY_HEADER_H_
#define CHAT_TRANSPORT_PROXY_HEADER_H_

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace chat {

// The longest version 1 header, "\r\n" included (spec section 2.1).
inline constexpr size_t kMaxProxyHeaderBytes = 107;

struct ProxyHeader {
  // The bytes the header took, "\r\n" included; the client's own bytes follow.
  size_t length = 0;
  // The client's address ("PROXY TCP4 ..." or "TCP6"). Empty for "PROXY UNKNOWN", which
  // a balancer sends when it does not know (its own health checks): the connection's
  // own address stands.
  std::optional<sockaddr_storage> source;
  socklen_t source_length = 0;
  // The client's address and port for logs: "192.0.2.7:5678", "[2001:db8::1]:5678".
  std::string display;
};

enum class ProxyParse { kNeedMore, kInvalid, kComplete };

// ParseProxyHeader() reads the start of a connection's bytes. kNeedMore while `bytes`
// is a proper prefix of a header that could still be valid (and shorter than the
// bound); kInvalid as soon as it cannot be one; kComplete with `*header` set.
ProxyParse ParseProxyHeader(std::string_view bytes, ProxyHeader* header);

// ReadProxyHeader() receives one header from `fd` within `timeout` (zero: no limit; it
// sets the socket's receive timeout). It peeks first and then consumes exactly the
// header's bytes, so whatever the client sent next (a TLS ClientHello, an HTTP request)
// stays in the socket for the transport. Errors: end of stream (kUnavailable), the
// timeout (kDeadlineExceeded), a malformed header (kInvalidArgument).
absl::StatusOr<ProxyHeader> ReadProxyHeader(int fd, absl::Duration timeout);

// TrustedProxies is the set of addresses (exact IPv4 or IPv6 addresses, no ranges) whose
// connections begin with a PROXY header. A connection from anywhere else is taken as it
// comes: only the operator's balancers may say where a client is. Immutable; copyable.
class TrustedProxies {
 public:
  TrustedProxies() = default;  // trusts nobody
  // Parse() reads "127.0.0.1,::1" (commas, optional spaces; empty: nobody).
  static absl::StatusOr<TrustedProxies> Parse(std::string_view list);

  bool empty() const { return addresses_.empty(); }
  // Trusts() says whether the peer of connected socket `fd` is one of them. An IPv4
  // client of a dual-stack listener (::ffff:a.b.c.d) is the IPv4 address.
  bool Trusts(int fd) const;

 private:
  std::vector<in6_addr> addresses_;  // IPv4 as v4-mapped IPv6
};

}  // namespace chat

#endif  // CHAT_TRANSPORT_PROXY_HEADER_H_
