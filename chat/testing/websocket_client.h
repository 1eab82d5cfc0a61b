// chat/testing/websocket_client.h: the test's side of a WebSocket connection to the web
// port: the upgrade request, client frames (masked, or broken on purpose) and reading
// the server's messages, every read with LineClient's deadline.

#ifndef CHAT_TESTING_WEBSOCKET_CLIENT_H_
#define CHAT_TESTING_WEBSOCKET_CLIENT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "chat/testing/line_client.h"

namespace chat::testing {

// Not thread-safe; one per test thread.
class WebSocketClient {
 public:
  explicit WebSocketClient(LineClient client) : client_(std::move(client)) {}
  // WebSocketClient::Connect() opens TCP to 127.0.0.1:port (no request sent yet).
  static absl::StatusOr<WebSocketClient> Connect(int port);

  // The upgrade request for /ws, Host `host`, with `extra` header lines ("Name: v\r\n").
  static std::string UpgradeRequest(std::string_view host = "127.0.0.1",
                                    std::string_view extra = "");
  // WebSocketClient::Frame() is a frame as a client sends it, encoded by wslay: masked
  // unless `masked` is false; `rsv`: the reserved bits (RSV1 << 2 | RSV2 << 1 | RSV3).
  static std::string Frame(uint8_t opcode, std::string_view payload, bool fin = true,
                           bool masked = true, uint8_t rsv = 0);

  bool Send(std::string_view bytes) { return client_.Send(bytes); }
  bool SendText(std::string_view text) { return Send(Frame(0x1, text)); }
  // WebSocketClient::Upgrade() sends the upgrade request and returns the answer's head.
  std::string Upgrade(std::string_view host = "127.0.0.1", std::string_view extra = "");
  // The head of an HTTP response, up to and including the blank line.
  std::string ReadHead() { return client_.ReadUntil("\r\n\r\n"); }

  struct Message {
    int opcode = -1;  // -1: the stream ended or the deadline passed first
    std::string payload;
  };
  // WebSocketClient::Read() returns the next message: a control frame as it comes, data
  // frames reassembled.
  Message Read();
  // The status code of a close message's payload (0 if it has none).
  static uint16_t CloseCode(const Message& message);

  LineClient& line() { return client_; }

 private:
  LineClient client_;
};

}  // namespace chat::testing

#endif  // CHAT_TESTING_WEBSOCKET_CLIENT_H_
