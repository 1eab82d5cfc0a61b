#include "chat/web/web_listener.h"

#include <memory>
#include <utility>

#include "chat/transport/tcp_transport.h"
#include "chat/web/endpoint.h"
#include "chat/web/json_protocol.h"

namespace chat {

ListenerOptions WebListener(std::string address, int port, TransportFactory make_inner,
                            WebSocketOptions options) {
  ListenerOptions listener;
  listener.name = "web";
  listener.address = std::move(address);
  listener.port = port;
  listener.make_transport = [options, make_inner](ScopedFd fd) -> std::unique_ptr<Transport> {
    std::unique_ptr<Transport> inner = make_inner ? make_inner(std::move(fd))
                                                  : std::make_unique<TcpTransport>(std::move(fd));
    return std::make_unique<WebSocketTransport>(std::move(inner), options);
  };
  listener.make_protocol = [](const SessionOptions& session) -> std::unique_ptr<Protocol> {
    return std::make_unique<JsonProtocol>(session.max_line_bytes);
  };
  listener.frame_refusal = [](std::string_view notice) { return AnswerRefused(notice).response; };
  return listener;
}

}  // namespace chat
