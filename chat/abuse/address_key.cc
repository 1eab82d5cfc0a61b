#include "chat/abuse/address_key.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace chat {
namespace {

std::string FormatV4(const void* address_bytes) {
  char text[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, address_bytes, text, sizeof(text));
  return text;
}

}  // namespace

std::string AddressKey(const sockaddr* address, socklen_t length) {
  if (address == nullptr || length < static_cast<socklen_t>(sizeof(sa_family_t))) {
    return kUnknownAddressKey;
  }
  switch (address->sa_family) {
    case AF_INET: {
      if (length < static_cast<socklen_t>(sizeof(sockaddr_in))) return kUnknownAddressKey;
      sockaddr_in v4;
      std::memcpy(&v4, address, sizeof(v4));  // `address` may be under-aligned
      return FormatV4(&v4.sin_addr);
    }
    case AF_INET6: {
      if (length < static_cast<socklen_t>(sizeof(sockaddr_in6))) return kUnknownAddressKey;
      sockaddr_in6 v6;
      std::memcpy(&v6, address, sizeof(v6));
      if (IN6_IS_ADDR_V4MAPPED(&v6.sin6_addr)) return FormatV4(&v6.sin6_addr.s6_addr[12]);
      if (IN6_IS_ADDR_LOOPBACK(&v6.sin6_addr)) return "::1";
      in6_addr prefix = v6.sin6_addr;
      std::memset(&prefix.s6_addr[8], 0, 8);
      char text[INET6_ADDRSTRLEN] = {};
      ::inet_ntop(AF_INET6, &prefix, text, sizeof(text));
      return absl::StrCat(text, "/64");
    }
    default:
      return kLocalAddressKey;
  }
}

std::optional<std::string> TextAddressKey(std::string_view text) {
  text = text.substr(0, text.find(" via "));
  std::string host(text);
  if (absl::StartsWith(text, "[")) {  // [v6]:port
    const size_t close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = std::string(text.substr(1, close - 1));
  } else if (std::count(text.begin(), text.end(), ':') == 1) {  // v4:port
    host = std::string(text.substr(0, text.find(':')));
  }
  sockaddr_in v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4.sin_addr) == 1) {
    v4.sin_family = AF_INET;
    return AddressKey(reinterpret_cast<const sockaddr*>(&v4), sizeof(v4));
  }
  sockaddr_in6 v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6.sin6_addr) == 1) {
    v6.sin6_family = AF_INET6;
    return AddressKey(reinterpret_cast<const sockaddr*>(&v6), sizeof(v6));
  }
  return std::nullopt;
}

std::string PeerAddressKey(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return kUnknownAddressKey;
  }
  return AddressKey(reinterpret_cast<const sockaddr*>(&address), length);
}

}  // namespace chat
