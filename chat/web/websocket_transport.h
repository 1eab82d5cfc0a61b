// chat/web/websocket_transport.h: WebSocket (RFC 6455) over an inner Transport (plain TCP
// now, TLS for wss:// later), with the HTTP request that opens it.
//
// Defines:
//   WebSocketOptions   - the bounds.
//   WebSocketTransport - the web port's transport: serves the page's files or upgrades
//                        to WebSocket, then carries one text message per line of output
//                        and returns one whole text message per Receive().

#ifndef CHAT_WEB_WEBSOCKET_TRANSPORT_H_
#define CHAT_WEB_WEBSOCKET_TRANSPORT_H_

#include <wslay/wslay.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "chat/transport/transport.h"
#include "chat/web/endpoint.h"
#include "chat/web/http.h"

namespace chat {

struct WebSocketOptions {
  // The longest message a client may send, reassembled from its fragments; longer ones
  // close the connection with 1009. Also bounded by the Receive() buffer.
  size_t max_message_bytes = 16 * 1024;
  // A message in more fragments than this is refused the same way: each costs a header
  // to parse, and a client must not make a small message expensive.
  size_t max_fragments = 256;
  // The HTTP request's head (request line and headers); longer: 431.
  size_t max_request_bytes = 8 * 1024;
  // Pages other than the chat's own that may open the WebSocket (--http_allowed_origins).
  OriginPolicy origins;
};

// The first Receive() reads the HTTP request (within the session's receive timeout, so the
// login timeout bounds a client that never finishes it, or sends a byte a second). A
// request for the page is answered, and Receive() reports end of stream; a valid /ws
// upgrade is answered 101 and the connection is a WebSocket from then on.
//
// Input: text messages, reassembled from fragments and checked to be UTF-8 (else close
// 1007); the client must mask every frame (else 1002); binary messages close with 1003,
// oversized ones with 1009, anything RFC 6455 forbids (reserved bits or opcodes, a
// continuation out of place) with 1002. Pings are answered with a pong (the latest one
// only, so a ping flood queues nothing); a close is answered with a close and is end of
// stream. Control frames do not count as data for the receive timeout.
//
// Output: what the session sends is JSON Lines (chat/web/json_renderer.h): each line is
// sent as one text message; a line not finished at the end of a Send() is sent as a
// fragment, continued by the next. Output before the handshake is complete (the banner
// is queued at once) is held, and sent after the 101; for a page request it is dropped.
//
// As every Transport: Receive() on the reader thread only, Send() and FinishSending() on
// the writer thread only; the reader never writes: pongs, closes and HTTP answers wait
// for the writer (NotifyOutputPending). Each thread has its own wslay frame context.
class WebSocketTransport final : public Transport {
 public:
  explicit WebSocketTransport(std::unique_ptr<Transport> inner, WebSocketOptions options = {});
  ~WebSocketTransport() override;

  ssize_t Receive(char* buffer, size_t size) override;
  SendResult Send(std::string_view bytes) override;
  SendResult FinishSending() override;
  void Shutdown(int how) override { inner_->Shutdown(how); }
  void SetReceiveTimeout(absl::Duration timeout) override;
  void SetSendTimeout(absl::Duration timeout) override { inner_->SetSendTimeout(timeout); }
  int fd() const override { return inner_->fd(); }
  std::string_view kind() const override { return "websocket"; }

 private:
  enum class Phase {
    kRequest,  // reading the HTTP request
    kOpen,     // upgraded: WebSocket frames both ways
    kDone,     // answered without upgrading, or closing: no more messages
  };
  // Why the inner transport gave no bytes, for the reader.
  enum class ReadStatus { kOk, kEndOfStream, kTimedOut, kError };

  // Reader thread.
  // Reads the HTTP request and answers it; 1 once upgraded, else Receive()'s result.
  ssize_t ReadRequest();
  // Reads frames until a whole message is in `buffer` (its size), or the stream ends.
  ssize_t ReadMessage(char* buffer, size_t size);
  // Checks a frame's header as it starts and begins reading it: 0, or the close code
  // the client is failed with and `why`. `limit`: the longest message accepted.
  uint16_t StartFrame(const wslay_frame_iocb& frame, size_t limit, std::string_view* why);
  // Queues a close with `code`, logs `why`, and makes Receive() fail with EPROTO.
  ssize_t Fail(uint16_t code, std::string_view why);
  // wslay's source of bytes: what followed the request, then the inner transport,
  // within the deadline.
  ssize_t ReadInner(char* buffer, size_t size);
  static ssize_t RecvCallback(uint8_t* buffer, size_t size, int flags, void* self);

  // Writer thread.
  void EncodeFrame(uint8_t opcode, std::string_view payload, bool fin);
  // Lines of output as text messages (see the class comment).
  void EncodeMessages(std::string_view lines);
  void EncodeClose(uint16_t code);
  static ssize_t SendCallback(const uint8_t* data, size_t size, int flags, void* self);

  const std::unique_ptr<Transport> inner_;
  const WebSocketOptions options_;

  // Shared by the reader (which decides) and the writer (which sends).
  absl::Mutex mu_;
  Phase phase_ ABSL_GUARDED_BY(mu_) = Phase::kRequest;
  std::string http_answer_ ABSL_GUARDED_BY(mu_);   // to send as it is
  std::string early_output_ ABSL_GUARDED_BY(mu_);  // Send()s before the handshake
  std::optional<std::string> pong_ ABSL_GUARDED_BY(mu_);  // the latest ping's payload
  std::optional<uint16_t> close_ ABSL_GUARDED_BY(mu_);     // a close frame to send

  // Reader thread only.
  Phase reader_phase_ = Phase::kRequest;
  HttpRequestReader request_;
  std::string leftover_;  // bytes after the request's head, read before the frames
  wslay_frame_context_ptr reader_frames_ = nullptr;
  ReadStatus read_status_ = ReadStatus::kOk;
  int read_errno_ = 0;
  absl::Duration receive_timeout_;  // zero: none
  std::chrono::steady_clock::time_point deadline_;
  bool inner_timeout_changed_ = false;  // the inner timeout is the deadline's remainder
  bool inner_read_once_ = false;        // in this Receive()
  bool in_frame_ = false;
  uint8_t frame_opcode_ = 0;
  bool frame_fin_ = false;
  uint64_t frame_length_ = 0;
  uint64_t frame_read_ = 0;
  bool in_message_ = false;
  size_t fragments_ = 0;
  std::string message_;  // the text message being reassembled
  std::string control_;  // the control frame being read (at most 125 bytes)

  // Writer thread only.
  wslay_frame_context_ptr writer_frames_ = nullptr;
  std::string out_;  // frames encoded for one inner Send()
  bool out_in_message_ = false;  // a fragmented message is open
  bool close_sent_ = false;
};

}  // namespace chat

#endif  // CHAT_WEB_WEBSOCKET_TRANSPORT_H_
