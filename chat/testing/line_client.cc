#include "chat/testing/line_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace chat::testing {
LineClient::LineClient(ScopedFd fd, absl::Duration timeout)
    : fd_(std::move(fd)), timeout_(timeout) {
  SetReceiveTimeout(fd_.get(), timeout_);
}

absl::StatusOr<LineClient> LineClient::Connect(int port, const std::string& host,
                                               absl::Duration timeout) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("bad IPv4 address ", host));
  }
  ScopedFd fd = NewSocket();
  if (!fd.valid()) return absl::UnavailableError(std::strerror(errno));
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    return absl::UnavailableError(absl::StrCat("connect: ", std::strerror(errno)));
  }
  return LineClient(std::move(fd), timeout);
}

ScopedFd LineClient::NewSocket() { return ScopedFd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)); }

absl::StatusOr<LineClient> LineClient::ConnectSocket(ScopedFd socket, int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(socket.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    return absl::UnavailableError(absl::StrCat("connect: ", std::strerror(errno)));
  }
  return LineClient(std::move(socket));
}

bool LineClient::Send(std::string_view bytes) { return SendAll(fd_.get(), bytes) == SendResult::kOk; }

ssize_t LineClient::ReceiveSome(char* buffer, size_t size) {
  return RecvSome(fd_.get(), buffer, size);
}

bool LineClient::Fill() {
  char buffer[16384];
  const ssize_t got = ReceiveSome(buffer, sizeof(buffer));
  if (got <= 0) return false;
  pending_.append(buffer, static_cast<size_t>(got));
  return true;
}

std::string LineClient::Read(size_t n) {
  while (pending_.size() < n && Fill()) {
  }
  const size_t take = std::min(n, pending_.size());
  std::string out = pending_.substr(0, take);
  pending_.erase(0, take);
  return out;
}

std::string LineClient::ReadUntil(std::string_view marker) {
  size_t at;
  while ((at = pending_.find(marker)) == std::string::npos && Fill()) {
  }
  const size_t take = at == std::string::npos ? pending_.size() : at + marker.size();
  std::string out = pending_.substr(0, take);
  pending_.erase(0, take);
  return out;
}

std::string LineClient::ReadToEnd() {
  while (Fill()) {
  }
  return std::exchange(pending_, {});
}

bool LineClient::ReceivedNothingFor(absl::Duration wait) {
  if (!pending_.empty()) return false;
  pollfd p{.fd = fd_.get(), .events = POLLIN, .revents = 0};
  return ::poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(wait))) == 0;
}

void LineClient::ShutdownWrite() { ::shutdown(fd_.get(), SHUT_WR); }

void LineClient::Reset() {
  const linger hard{.l_onoff = 1, .l_linger = 0};
  ::setsockopt(fd_.get(), SOL_SOCKET, SO_LINGER, &hard, sizeof(hard));
  fd_.Reset();
}

}  // namespace chat::testing
