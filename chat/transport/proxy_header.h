// chat/transport/proxy_header.h: the client's real address from a load balancer's PROXY
// protocol header (version 1, the text form HAProxy sends with `send-proxy`).
//
// Defines:
//   ProxyHeader        - what a complete header says: the client's address, or nothing.
//   ParseProxyHeader   - bytes received so far -> need more / invalid / a header.
//   ReadProxyHeader    - reads exactly one header from a socket, nothing after it.
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

#include <sys/socket.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

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

}  // namespace chat

#endif  // CHAT_TRANSPORT_PROXY_HEADER_H_
