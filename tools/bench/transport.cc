#include "tools/bench/transport.h"

#include <openssl/err.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <nlohmann/json.hpp>
#include <random>

#include "absl/strings/str_cat.h"

namespace chat::bench {

std::optional<Transport> ParseTransport(std::string_view name) {
  if (name == "tcp") return Transport::kTcp;
  if (name == "tls") return Transport::kTls;
  if (name == "ws") return Transport::kWs;
  if (name == "wss") return Transport::kWss;
  return std::nullopt;
}

std::string_view TransportName(Transport transport) {
  switch (transport) {
    case Transport::kTcp: return "tcp";
    case Transport::kTls: return "tls";
    case Transport::kWs: return "ws";
    case Transport::kWss: return "wss";
  }
  return "tcp";
}

// ---------------------------------------------------------------------------------------
// TLS.

std::string TakeSslErrors() {
  std::string text;
  while (const unsigned long error = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(error, buffer, sizeof(buffer));
    if (!text.empty()) text += "; ";
    text += buffer;
  }
  return text.empty() ? "no OpenSSL error" : text;
}

absl::StatusOr<TlsClientContext> TlsClientContext::Create() {
  ERR_clear_error();
  std::shared_ptr<SSL_CTX> ctx(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
  if (ctx == nullptr) return absl::InternalError(TakeSslErrors());
  // The bench's certificates are throwaway self-signed ones, and it talks to loopback only.
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  // Like the plaintext path: a send may take part of the buffer, and the rest follows
  // from the same (possibly reallocated) string once the socket has room.
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  // Read ahead: many small records come in one recv(), as plaintext lines do, instead of
  // two recv() calls per record. The bench then reads until SSL_read wants more, since
  // epoll cannot see what OpenSSL already holds.
  SSL_CTX_set_read_ahead(ctx.get(), 1);
  return TlsClientContext(std::move(ctx));
}

SslPtr TlsClientContext::NewSsl(int fd) const {
  SslPtr ssl(SSL_new(ctx_.get()));
  if (ssl == nullptr) return ssl;
  if (SSL_set_fd(ssl.get(), fd) != 1) return nullptr;
  SSL_set_connect_state(ssl.get());
  return ssl;
}

// ---------------------------------------------------------------------------------------
// WebSocket framing.

WebSocketFrames::WebSocketFrames() : mask_state_(std::random_device{}() | 1) {
  const wslay_frame_callbacks reader{nullptr, &WebSocketFrames::Recv, nullptr};
  const wslay_frame_callbacks writer{&WebSocketFrames::Send, nullptr, &WebSocketFrames::GenMask};
  if (wslay_frame_context_init(&reader_, &reader, this) != 0 ||
      wslay_frame_context_init(&writer_, &writer, this) != 0) {
    std::abort();  // out of memory
  }
}

WebSocketFrames::~WebSocketFrames() {
  wslay_frame_context_free(reader_);
  wslay_frame_context_free(writer_);
}

std::string WebSocketFrames::UpgradeRequest(std::string_view host, int port, bool secure) {
  const std::string authority = host.find(':') != std::string_view::npos
                                    ? absl::StrCat("[", host, "]:", port)
                                    : absl::StrCat(host, ":", port);
  // The server checks that Origin names the Host, as a page it served would send.
  return absl::StrCat("GET /ws HTTP/1.1\r\nHost: ", authority,
                      "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                      "Sec-WebSocket-Version: 13\r\nOrigin: ",
                      secure ? "https://" : "http://", authority, "\r\n\r\n");
}

ssize_t WebSocketFrames::Recv(uint8_t* buffer, size_t size, int, void* self) {
  auto* frames = static_cast<WebSocketFrames*>(self);
  const size_t n = std::min(size, frames->input_.size());
  if (n == 0) return -1;  // wslay_frame_recv() says WSLAY_ERR_WANT_READ and keeps its state
  std::memcpy(buffer, frames->input_.data(), n);
  frames->input_.remove_prefix(n);
  return static_cast<ssize_t>(n);
}

ssize_t WebSocketFrames::Send(const uint8_t* data, size_t size, int, void* self) {
  static_cast<WebSocketFrames*>(self)->output_->append(reinterpret_cast<const char*>(data), size);
  return static_cast<ssize_t>(size);
}

int WebSocketFrames::GenMask(uint8_t* buffer, size_t size, void* self) {
  // xorshift64: masks only have to vary (RFC 6455 10.3 is about browsers and proxies).
  uint64_t& x = static_cast<WebSocketFrames*>(self)->mask_state_;
  for (size_t i = 0; i < size; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    buffer[i] = static_cast<uint8_t>(x);
  }
  return 0;
}

void WebSocketFrames::AppendText(std::string_view text, std::string* out) {
  wslay_frame_iocb frame{};
  frame.fin = 1;
  frame.opcode = WSLAY_TEXT_FRAME;
  frame.mask = 1;
  frame.payload_length = text.size();
  frame.data = reinterpret_cast<const uint8_t*>(text.data());
  frame.data_length = text.size();
  output_ = out;
  // Into memory: the callback takes everything, so one call writes the whole frame.
  wslay_frame_send(writer_, &frame);
  output_ = nullptr;
}

WebSocketFrames::Result WebSocketFrames::Feed(
    std::string_view bytes, absl::FunctionRef<void(std::string_view)> on_message) {
  input_ = bytes;
  while (true) {
    wslay_frame_iocb frame{};
    const ssize_t got = wslay_frame_recv(reader_, &frame);
    if (got == WSLAY_ERR_WANT_READ) return Result::kOk;
    if (got < 0) return Result::kProtocolError;
    if (!in_frame_) {
      in_frame_ = true;
      frame_opcode_ = frame.opcode;
      frame_fin_ = frame.fin != 0;
      frame_left_ = frame.payload_length;
      frame_payload_.clear();
    }
    const size_t length = std::min<uint64_t>(frame.data_length, frame_left_);
    frame_left_ -= length;
    // One unfragmented frame arriving whole is handed over without a copy.
    const bool whole = frame_left_ == 0 && frame_payload_.empty();
    std::string_view payload(reinterpret_cast<const char*>(frame.data), length);
    if (!whole) {
      frame_payload_.append(payload);
      if (frame_left_ > 0) continue;
      payload = frame_payload_;
    }
    in_frame_ = false;
    switch (frame_opcode_) {
      case WSLAY_CONNECTION_CLOSE:
        return Result::kClosed;
      case WSLAY_PING:
      case WSLAY_PONG:
        continue;  // the server never pings; a client need not answer unsolicited pongs
      case WSLAY_TEXT_FRAME:
        if (in_message_) return Result::kProtocolError;
        if (frame_fin_) {
          on_message(payload);
        } else {
          message_.assign(payload);
          in_message_ = true;
        }
        continue;
      case WSLAY_CONTINUATION_FRAME:
        if (!in_message_) return Result::kProtocolError;
        message_.append(payload);
        if (frame_fin_) {
          in_message_ = false;
          on_message(message_);
          message_.clear();
        }
        continue;
      default:
        return Result::kProtocolError;  // binary, or reserved
    }
  }
}

// ---------------------------------------------------------------------------------------
// JSON.

namespace {

using Json = nlohmann::json;

// Keeps the top-level "type", "name" and "text", and every "text" of the objects in a
// top-level "history" array.
class MessageSax {
 public:
  explicit MessageSax(ServerMessage* out) : out_(out) {}

  bool null() { return true; }
  bool boolean(bool) { return true; }
  bool number_integer(Json::number_integer_t) { return true; }
  bool number_unsigned(Json::number_unsigned_t) { return true; }
  bool number_float(Json::number_float_t, const Json::string_t&) { return true; }
  bool binary(Json::binary_t&) { return true; }
  bool string(Json::string_t& value) {
    if (depth_ == 1) {
      if (key_ == Key::kType) out_->type.swap(value);
      if (key_ == Key::kName) out_->name.swap(value);
      if (key_ == Key::kText) out_->text.swap(value);
    } else if (depth_ == 3 && in_history_ && key_ == Key::kText) {
      out_->history_texts.push_back(std::move(value));
    }
    return true;
  }
  bool start_object(std::size_t) {
    ++depth_;
    return true;
  }
  bool end_object() {
    --depth_;
    key_ = Key::kOther;
    return true;
  }
  bool start_array(std::size_t) {
    in_history_ = depth_ == 1 && key_ == Key::kHistory;
    ++depth_;
    return true;
  }
  bool end_array() {
    --depth_;
    if (depth_ == 1) in_history_ = false;
    key_ = Key::kOther;
    return true;
  }
  bool key(Json::string_t& name) {
    key_ = Key::kOther;
    if (depth_ == 1) {
      if (name == "type") key_ = Key::kType;
      if (name == "name") key_ = Key::kName;
      if (name == "text") key_ = Key::kText;
      if (name == "history") key_ = Key::kHistory;
    } else if (depth_ == 3 && name == "text") {
      key_ = Key::kText;
    }
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) {
    return false;
  }

 private:
  enum class Key { kOther, kType, kName, kText, kHistory };
  ServerMessage* out_;
  int depth_ = 0;
  Key key_ = Key::kOther;
  bool in_history_ = false;
};

// Printable ASCII other than '"' and '\\': a JSON string's content that means itself.
// A table: every byte of every WebSocket delivery's text is looked up here.
constexpr std::array<bool, 256> kUnescaped = [] {
  std::array<bool, 256> plain{};
  for (int c = 0x20; c <= 0x7E; ++c) plain[c] = c != '"' && c != '\\';
  return plain;
}();

bool Unescaped(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return kUnescaped[static_cast<unsigned char>(c)]; });
}

}  // namespace

// A delivery is {"type":"chat",...,"text":"<text>"} with "text" last (README, The JSON
// protocol). When <text> has nothing escaped it is taken as it is: nlohmann's lexer costs
// about 3 us a message, which would make the driver, not the server, what a WebSocket
// run measures. A plain text has no '"' of its own, so it starts after the last '"'
// before the closing one, which must end `,"text":"`. Found with memrchr rather than
// rfind(`,"text":"`): that backward search, a byte at a time, was the driver's most
// expensive line per WebSocket delivery.
std::optional<std::string_view> PlainChatText(std::string_view json) {
  constexpr std::string_view kHead = R"({"type":"chat",)";
  constexpr std::string_view kText = R"(,"text":")";
  constexpr std::string_view kTail = R"("})";
  if (!json.starts_with(kHead) || !json.ends_with(kTail)) return std::nullopt;
  const std::string_view body = json.substr(0, json.size() - kTail.size());
  const void* quote = memrchr(body.data(), '"', body.size());
  if (quote == nullptr) return std::nullopt;
  const size_t from = static_cast<size_t>(static_cast<const char*>(quote) - body.data()) + 1;
  // The member's comma may be the head's own: {"type":"chat","text":"..."}.
  if (from + 1 < kHead.size() + kText.size() ||
      body.substr(from - kText.size(), kText.size()) != kText) {
    return std::nullopt;
  }
  const std::string_view text = body.substr(from);
  if (!Unescaped(text)) return std::nullopt;
  return text;
}

bool ParseServerMessage(std::string_view json, ServerMessage* out) {
  out->type.clear();
  out->name.clear();
  out->text.clear();
  out->history_texts.clear();
  if (const std::optional<std::string_view> text = PlainChatText(json)) {
    out->type.assign("chat");
    out->text.assign(*text);
    return true;
  }
  if (json.empty() || json.front() != '{') return false;
  MessageSax sax(out);
  return Json::sax_parse(json.begin(), json.end(), &sax);
}

std::string LoginMessage(std::string_view name) {
  return Json{{"type", "login"}, {"name", name}}.dump();
}

void AppendSayMessage(std::string_view text, std::string* out) {
  out->append(Json{{"type", "say"}, {"text", text}}.dump());
}

}  // namespace chat::bench
