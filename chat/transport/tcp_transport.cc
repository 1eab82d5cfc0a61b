#include "chat/transport/tcp_transport.h"

#include <sys/socket.h>

namespace chat {

ssize_t TcpTransport::Receive(char* buffer, size_t size) {
  return RecvSome(fd_.get(), buffer, size);
}

SendResult TcpTransport::Send(std::string_view bytes) { return SendAll(fd_.get(), bytes); }

SendResult TcpTransport::FinishSending() {
  // Plain TCP has no goodbye of its own: the FIN is the end.
  Shutdown(SHUT_WR);
  return SendResult::kOk;
}

void TcpTransport::Shutdown(int how) { ::shutdown(fd_.get(), how); }

void TcpTransport::SetReceiveTimeout(absl::Duration timeout) {
  chat::SetReceiveTimeout(fd_.get(), timeout);
}

void TcpTransport::SetSendTimeout(absl::Duration timeout) {
  chat::SetSendTimeout(fd_.get(), timeout);
}

}  // namespace chat
