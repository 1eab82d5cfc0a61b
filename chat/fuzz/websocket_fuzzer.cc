// Fuzz target for WebSocket frame reading: a fixed upgrade request, then the input as
// the client's frames, delivered in reads whose sizes the input also picks.
//
// Properties:
//   - Receive() never crashes or hangs, and ends with end of stream or EPROTO;
//   - every message it returns fits the limit and is valid UTF-8;
//   - the writer side (pongs, closes, output lines) never fails on the way out.

#include <errno.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "chat/sanitize.h"
#include "chat/transport/transport.h"
#include "chat/web/websocket_transport.h"
#include "glog/logging.h"

namespace {

constexpr size_t kMaxMessage = 256;

void Check(bool condition) {
  if (!condition) std::abort();
}

// A connection held in memory: reads come from `input` in chunks of 1..16 bytes chosen
// by the input itself; writes are counted and dropped.
class MemoryTransport final : public chat::Transport {
 public:
  explicit MemoryTransport(std::string input) : input_(std::move(input)) {}

  ssize_t Receive(char* buffer, size_t size) override {
    if (at_ >= input_.size()) return 0;
    const size_t chunk = std::min({size, input_.size() - at_,
                                   static_cast<size_t>(input_[at_] & 0x0F) + 1});
    input_.copy(buffer, chunk, at_);
    at_ += chunk;
    return static_cast<ssize_t>(chunk);
  }
  chat::SendResult Send(std::string_view bytes) override {
    sent_ += bytes.size();
    return chat::SendResult::kOk;
  }
  chat::SendResult FinishSending() override { return chat::SendResult::kOk; }
  void Shutdown(int) override {}
  void SetReceiveTimeout(absl::Duration) override {}
  void SetSendTimeout(absl::Duration) override {}
  int fd() const override { return -1; }
  std::string_view kind() const override { return "memory"; }

 private:
  std::string input_;
  size_t at_ = 0;
  size_t sent_ = 0;
};

constexpr std::string_view kUpgrade =
    "GET /ws HTTP/1.1\r\nHost: fuzz\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Refusals are logged as warnings: millions of them would only slow the fuzzer.
  static const bool quiet = [] { return (FLAGS_minloglevel = google::GLOG_FATAL) != 0; }();
  (void)quiet;
  const std::string_view frames(reinterpret_cast<const char*>(data), size);
  chat::WebSocketOptions options;
  options.max_message_bytes = kMaxMessage;
  options.max_fragments = 16;
  chat::WebSocketTransport transport(
      std::make_unique<MemoryTransport>(std::string(kUpgrade) + std::string(frames)), options);
  char buffer[1024];
  for (int messages = 0;; ++messages) {
    Check(messages <= static_cast<int>(size));  // each message costs input
    errno = 0;
    const ssize_t got = transport.Receive(buffer, sizeof(buffer));
    if (got <= 0) {
      Check(got == 0 || errno == EPROTO);
      break;
    }
    Check(static_cast<size_t>(got) <= kMaxMessage);
    Check(chat::IsValidUtf8(std::string_view(buffer, static_cast<size_t>(got))));
    // The writer answers as it goes (pongs) and echoes a line, split as it comes.
    const std::string_view echo(buffer, static_cast<size_t>(got));
    Check(transport.Send(echo.substr(0, echo.size() / 2)) == chat::SendResult::kOk);
    Check(transport.Send(std::string(echo.substr(echo.size() / 2)) + "\n") == chat::SendResult::kOk);
  }
  Check(transport.Send({}) == chat::SendResult::kOk);
  Check(transport.FinishSending() == chat::SendResult::kOk);
  return 0;
}
