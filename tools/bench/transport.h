// tools/bench/transport.h: what chat_bench needs to speak TLS and WebSocket to the
// server, so one load driver measures every port and their ratios reflect the server.
//
// Defines:
//   Transport         - tcp (net-cat), tls (net-cat inside TLS), ws and wss (JSON in
//                       WebSocket text messages on the web port, plain or inside TLS).
//   ParseTransport    - "tcp", "tls", "ws", "wss" -> Transport.
//   TransportName     - the reverse.
//   TlsClientContext  - a client SSL_CTX that verifies nothing (the bench's certificates
//                       are throwaway self-signed ones) and makes non-blocking SSLs.
//   WebSocketFrames   - client frames out (masked, by wslay), server frames in (wslay),
//                       reassembled into messages, fed in arbitrary pieces.
//   ServerMessage     - the members of a server's JSON message the bench looks at.
//   ParseServerMessage - one JSON message into a ServerMessage (nlohmann's SAX parser,
//                        into reused strings, so a delivery builds no DOM).
//   LoginMessage, AppendSayMessage - what the bench sends.

#ifndef TOOLS_BENCH_TRANSPORT_H_
#define TOOLS_BENCH_TRANSPORT_H_

#include <openssl/ssl.h>
#include <wslay/wslay.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"

namespace chat::bench {

enum class Transport { kTcp, kTls, kWs, kWss };

std::optional<Transport> ParseTransport(std::string_view name);
std::string_view TransportName(Transport transport);
inline bool UsesTls(Transport t) { return t == Transport::kTls || t == Transport::kWss; }
inline bool UsesWebSocket(Transport t) { return t == Transport::kWs || t == Transport::kWss; }

struct SslDeleter {
  void operator()(SSL* ssl) const { SSL_free(ssl); }
};
using SslPtr = std::unique_ptr<SSL, SslDeleter>;

// Not thread-safe to create; the SSLs it makes are used on one thread each.
class TlsClientContext {
 public:
  static absl::StatusOr<TlsClientContext> Create();

  // TlsClientContext::NewSsl() is a client SSL over `fd` (non-blocking), not yet
  // handshaking: call SSL_connect() until it returns 1.
  SslPtr NewSsl(int fd) const;

 private:
  explicit TlsClientContext(std::shared_ptr<SSL_CTX> ctx) : ctx_(std::move(ctx)) {}
  std::shared_ptr<SSL_CTX> ctx_;
};

// The most recent OpenSSL errors as text (and the queue cleared).
std::string TakeSslErrors();

// WebSocketFrames is one client connection's framing. Not thread-safe.
class WebSocketFrames {
 public:
  WebSocketFrames();
  ~WebSocketFrames();
  WebSocketFrames(const WebSocketFrames&) = delete;
  WebSocketFrames& operator=(const WebSocketFrames&) = delete;

  // The upgrade request for /ws on 127.0.0.1:port, with the Origin the server expects
  // of a page it served.
  static std::string UpgradeRequest(std::string_view host, int port, bool secure);

  // WebSocketFrames::AppendText() appends `text` as one masked text frame.
  void AppendText(std::string_view text, std::string* out);

  enum class Result { kOk, kClosed, kProtocolError };
  // WebSocketFrames::Feed() decodes `bytes` (after whatever earlier calls left
  // incomplete) and calls `on_message` with each complete text message. kClosed: a
  // close frame arrived (nothing after it is decoded); kProtocolError: not WebSocket.
  Result Feed(std::string_view bytes, absl::FunctionRef<void(std::string_view)> on_message);

 private:
  static ssize_t Recv(uint8_t* buffer, size_t size, int flags, void* self);
  static ssize_t Send(const uint8_t* data, size_t size, int flags, void* self);
  static int GenMask(uint8_t* buffer, size_t size, void* self);

  wslay_frame_context_ptr reader_ = nullptr;
  wslay_frame_context_ptr writer_ = nullptr;
  std::string_view input_;   // what Feed() has not handed to wslay yet
  std::string* output_ = nullptr;
  uint64_t mask_state_;
  // The frame being read, and the message its data frames make.
  bool in_frame_ = false;
  uint8_t frame_opcode_ = 0;
  bool frame_fin_ = false;
  uint64_t frame_left_ = 0;
  std::string frame_payload_;  // control frames and data frames, until complete
  std::string message_;       // a fragmented message's earlier frames
  bool in_message_ = false;
};

struct ServerMessage {
  std::string type;
  std::string name;
  std::string text;
  // "welcome": the texts of its history items, in order.
  std::vector<std::string> history_texts;
};

// ParseServerMessage() parses one message into `out` (its strings' capacity reused);
// false if it is not JSON. Only top-level members and the history's items are kept; of a
// "chat" message, only "type" and "text" (a plain one is taken without a full parse).
bool ParseServerMessage(std::string_view json, ServerMessage* out);

// PlainChatText() is the text of a "chat" message whose text has nothing escaped, taken
// from `json` without parsing it (a view into it); nullopt for anything else, which
// ParseServerMessage() parses in full. What every delivery of a load run is.
std::optional<std::string_view> PlainChatText(std::string_view json);

std::string LoginMessage(std::string_view name);
// SayMessage() appends {"type":"say","text":<text>} to `out`.
void AppendSayMessage(std::string_view text, std::string* out);

}  // namespace chat::bench

#endif  // TOOLS_BENCH_TRANSPORT_H_
