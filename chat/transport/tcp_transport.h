// chat/transport/tcp_transport.h: the plain-text transport, as `nc` speaks it.
//
// Defines:
//   TcpTransport - a connected stream socket, read and written as it is.

#ifndef CHAT_TRANSPORT_TCP_TRANSPORT_H_
#define CHAT_TRANSPORT_TCP_TRANSPORT_H_

#include <string_view>

#include "chat/socket.h"
#include "chat/transport/transport.h"

namespace chat {

// TcpTransport reads and writes the socket directly: no framing, no output of its own.
// Also works over any stream socket (tests use socketpairs).
class TcpTransport final : public Transport {
 public:
  explicit TcpTransport(ScopedFd fd) : fd_(std::move(fd)) {}

  ssize_t Receive(char* buffer, size_t size) override;
  SendResult Send(std::string_view bytes) override;
  SendResult FinishSending() override;
  void Shutdown(int how) override;
  void SetReceiveTimeout(absl::Duration timeout) override;
  void SetSendTimeout(absl::Duration timeout) override;
  int fd() const override { return fd_.get(); }
  std::string_view kind() const override { return "tcp"; }

 private:
  const ScopedFd fd_;
};

}  // namespace chat

#endif  // CHAT_TRANSPORT_TCP_TRANSPORT_H_
