#include "chat/testing/websocket_client.h"

#include <wslay/wslay.h>

#include <cstring>

#include "absl/strings/str_cat.h"

namespace chat::testing {
namespace {

ssize_t Collect(const uint8_t* data, size_t size, int, void* out) {
  static_cast<std::string*>(out)->append(reinterpret_cast<const char*>(data), size);
  return static_cast<ssize_t>(size);
}

int FixedMask(uint8_t* key, size_t size, void*) {
  std::memcpy(key, "\x37\xfa\x21\x3d", size);
  return 0;
}

uint64_t BigEndian(std::string_view bytes) {
  uint64_t value = 0;
  for (const char c : bytes) value = (value << 8) | static_cast<uint8_t>(c);
  return value;
}

}  // namespace

absl::StatusOr<WebSocketClient> WebSocketClient::Connect(int port) {
  absl::StatusOr<LineClient> client = LineClient::Connect(port);
  if (!client.ok()) return client.status();
  return WebSocketClient(*std::move(client));
}

std::string WebSocketClient::UpgradeRequest(std::string_view host, std::string_view extra) {
  return absl::StrCat("GET /ws HTTP/1.1\r\nHost: ", host,
                      "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                      "Sec-WebSocket-Version: 13\r\n",
                      extra, "\r\n");
}

std::string WebSocketClient::Frame(uint8_t opcode, std::string_view payload, bool fin,
                                   bool masked, uint8_t rsv) {
  std::string out;
  const wslay_frame_callbacks callbacks{&Collect, nullptr, &FixedMask};
  wslay_frame_context_ptr context = nullptr;
  wslay_frame_context_init(&context, &callbacks, &out);
  wslay_frame_iocb frame{};
  frame.fin = fin ? 1 : 0;
  frame.rsv = rsv;
  frame.opcode = opcode;
  frame.mask = masked ? 1 : 0;
  frame.payload_length = payload.size();
  frame.data = reinterpret_cast<const uint8_t*>(payload.data());
  frame.data_length = payload.size();
  // The callback takes everything, so one call writes the whole frame.
  wslay_frame_send(context, &frame);
  wslay_frame_context_free(context);
  return out;
}

std::string WebSocketClient::Upgrade(std::string_view host, std::string_view extra) {
  Send(UpgradeRequest(host, extra));
  return ReadHead();
}

WebSocketClient::Message WebSocketClient::Read() {
  Message message;
  while (true) {
    const std::string head = client_.Read(2);
    if (head.size() < 2) return Message{};
    const uint8_t first = static_cast<uint8_t>(head[0]);
    const uint8_t second = static_cast<uint8_t>(head[1]);
    uint64_t length = second & 0x7F;
    if (length == 126) length = BigEndian(client_.Read(2));
    if (length == 127) length = BigEndian(client_.Read(8));
    const std::string mask = (second & 0x80) != 0 ? client_.Read(4) : std::string();
    std::string payload = client_.Read(length);
    if (payload.size() < length) return Message{};
    for (size_t i = 0; i < payload.size() && !mask.empty(); ++i) payload[i] ^= mask[i % 4];
    const int opcode = first & 0x0F;
    if ((opcode & 0x8) != 0) return Message{opcode, std::move(payload)};
    if (opcode != 0) message.opcode = opcode;
    message.payload += payload;
    if ((first & 0x80) != 0) return message;
  }
}

uint16_t WebSocketClient::CloseCode(const Message& message) {
  if (message.payload.size() < 2) return 0;
  return static_cast<uint16_t>(BigEndian(message.payload.substr(0, 2)));
}

}  // namespace chat::testing
