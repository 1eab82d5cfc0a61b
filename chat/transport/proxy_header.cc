#include "chat/transport/proxy_header.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <algorithm>
#include <cstring>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/ascii.h"
#include "chat/socket.h"

namespace chat {
namespace {

constexpr std::string_view kSignature = "PROXY ";

// A port as the spec writes it: decimal, no sign, no leading zeros, at most 65535.
bool ParsePort(std::string_view text, uint16_t* port) {
  if (text.empty() || text.size() > 5 || (text.size() > 1 && text[0] == '0')) return false;
  uint32_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<uint32_t>(c - '0');
  }
  if (value > 65535) return false;
  *port = static_cast<uint16_t>(value);
  return true;
}

// inet_pton wants a NUL-terminated string; the field is bounded by the header's length.
bool ParseAddress(int family, std::string_view text, void* out) {
  if (text.size() >= INET6_ADDRSTRLEN) return false;
  const std::string terminated(text);
  return ::inet_pton(family, terminated.c_str(), out) == 1;
}

bool ParseLine(std::string_view line, ProxyHeader* header) {
  const std::vector<std::string_view> fields = absl::StrSplit(line, ' ');
  if (fields.front() == "UNKNOWN") return true;  // whatever follows is to be ignored
  if (fields.size() != 5) return false;
  const bool v4 = fields[0] == "TCP4";
  if (!v4 && fields[0] != "TCP6") return false;
  uint16_t source_port = 0, destination_port = 0;
  if (!ParsePort(fields[3], &source_port) || !ParsePort(fields[4], &destination_port)) {
    return false;
  }
  sockaddr_storage source{};
  if (v4) {
    auto* in = reinterpret_cast<sockaddr_in*>(&source);
    in_addr destination;  // checked for form, not used: it is this server
    if (!ParseAddress(AF_INET, fields[1], &in->sin_addr) ||
        !ParseAddress(AF_INET, fields[2], &destination)) {
      return false;
    }
    in->sin_family = AF_INET;
    in->sin_port = htons(source_port);
    header->source_length = sizeof(sockaddr_in);
    header->display = absl::StrCat(fields[1], ":", source_port);
  } else {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&source);
    in6_addr destination;
    if (!ParseAddress(AF_INET6, fields[1], &in6->sin6_addr) ||
        !ParseAddress(AF_INET6, fields[2], &destination)) {
      return false;
    }
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(source_port);
    header->source_length = sizeof(sockaddr_in6);
    header->display = absl::StrCat("[", fields[1], "]:", source_port);
  }
  header->source = source;
  return true;
}

}  // namespace

ProxyParse ParseProxyHeader(std::string_view bytes, ProxyHeader* header) {
  const std::string_view signature = kSignature.substr(0, std::min(bytes.size(), kSignature.size()));
  if (bytes.substr(0, signature.size()) != signature) return ProxyParse::kInvalid;
  const std::string_view window = bytes.substr(0, kMaxProxyHeaderBytes);
  const size_t end = window.find("\r\n");
  if (end == std::string_view::npos) {
    // Only printable ASCII may come before the "\r\n" ('\r' may be the last byte so far).
    for (size_t i = signature.size(); i < window.size(); ++i) {
      const char c = window[i];
      if ((c < ' ' || c > '~') && !(c == '\r' && i + 1 == window.size())) {
        return ProxyParse::kInvalid;
      }
    }
    return window.size() < kMaxProxyHeaderBytes ? ProxyParse::kNeedMore : ProxyParse::kInvalid;
  }
  const std::string_view line = window.substr(kSignature.size(), end - kSignature.size());
  for (char c : line) {
    if (c < ' ' || c > '~') return ProxyParse::kInvalid;
  }
  ProxyHeader parsed;
  if (!ParseLine(line, &parsed)) return ProxyParse::kInvalid;
  parsed.length = end + 2;
  *header = std::move(parsed);
  return ProxyParse::kComplete;
}

absl::StatusOr<ProxyHeader> ReadProxyHeader(int fd, absl::Duration timeout) {
  const auto deadline = std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(timeout);
  std::string consumed;  // header bytes already taken out of the socket
  char peeked[kMaxProxyHeaderBytes];
  for (;;) {
    if (timeout > absl::ZeroDuration()) {
      const auto left = deadline - std::chrono::steady_clock::now();
      if (left <= std::chrono::steady_clock::duration::zero()) {
        return absl::DeadlineExceededError("no PROXY header in time");
      }
      // Round up: a zero SO_RCVTIMEO would mean "wait forever".
      SetReceiveTimeout(fd, absl::FromChrono(left) + absl::Milliseconds(1));
    }
    const ssize_t got =
        ::recv(fd, peeked, kMaxProxyHeaderBytes - consumed.size(), MSG_PEEK);
    if (got == 0) return absl::UnavailableError("end of stream before the PROXY header");
    if (got < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        return absl::DeadlineExceededError("no PROXY header in time");
      }
      return absl::UnavailableError(absl::StrCat("recv: ", std::strerror(errno)));
    }
    const std::string so_far = absl::StrCat(consumed, std::string_view(peeked, got));
    ProxyHeader header;
    const ProxyParse parse = ParseProxyHeader(so_far, &header);
    if (parse == ProxyParse::kInvalid) {
      return absl::InvalidArgumentError("malformed PROXY header");
    }
    // Take what belongs to the header: all of the peek while it is still incomplete
    // (the next peek then waits for more), else exactly up to its "\r\n".
    const size_t take =
        parse == ProxyParse::kComplete ? header.length - consumed.size() : static_cast<size_t>(got);
    size_t taken = 0;
    while (taken < take) {
      const ssize_t n = ::recv(fd, peeked, take - taken, 0);
      if (n <= 0) {
        if (n < 0 && errno == EINTR) continue;
        return absl::UnavailableError("lost the connection inside the PROXY header");
      }
      taken += static_cast<size_t>(n);
    }
    if (parse == ProxyParse::kComplete) return header;
    consumed = so_far;
  }
}

namespace {

in6_addr V4Mapped(const in_addr& v4) {
  in6_addr mapped{};
  mapped.s6_addr[10] = 0xff;
  mapped.s6_addr[11] = 0xff;
  std::memcpy(&mapped.s6_addr[12], &v4, sizeof v4);
  return mapped;
}

}  // namespace

absl::StatusOr<TrustedProxies> TrustedProxies::Parse(std::string_view list) {
  TrustedProxies trusted;
  for (std::string_view entry : absl::StrSplit(list, ',', absl::SkipWhitespace())) {
    entry = absl::StripAsciiWhitespace(entry);
    in_addr v4;
    in6_addr v6;
    if (ParseAddress(AF_INET, entry, &v4)) {
      trusted.addresses_.push_back(V4Mapped(v4));
    } else if (ParseAddress(AF_INET6, entry, &v6)) {
      trusted.addresses_.push_back(v6);
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("not an IP address: \"", entry, "\" (one address per balancer, no ranges)"));
    }
  }
  return trusted;
}

bool TrustedProxies::Trusts(int fd) const {
  if (addresses_.empty()) return false;
  sockaddr_storage peer{};
  socklen_t length = sizeof peer;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &length) != 0) return false;
  in6_addr address;
  if (peer.ss_family == AF_INET && length >= sizeof(sockaddr_in)) {
    address = V4Mapped(reinterpret_cast<const sockaddr_in*>(&peer)->sin_addr);
  } else if (peer.ss_family == AF_INET6 && length >= sizeof(sockaddr_in6)) {
    address = reinterpret_cast<const sockaddr_in6*>(&peer)->sin6_addr;
  } else {
    return false;
  }
  for (const in6_addr& trusted : addresses_) {
    if (std::memcmp(&trusted, &address, sizeof address) == 0) return true;
  }
  return false;
}

}  // namespace chat
