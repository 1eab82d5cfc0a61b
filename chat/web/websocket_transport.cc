#include "chat/web/websocket_transport.h"

#include <errno.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "chat/sanitize.h"
#include "chat/socket.h"
#include "chat/web/endpoint.h"
#include "glog/logging.h"

namespace chat {
namespace {

// Output held before the handshake completes: the banner and name prompt, at most a
// goodbye. Anything more is a misbehaving session, not a client.
constexpr size_t kMaxEarlyOutputBytes = 64 * 1024;
// Bytes read from the inner transport per call while reading the HTTP request.
constexpr size_t kRequestChunkBytes = 2048;

bool IsControl(uint8_t opcode) { return (opcode & 0x8) != 0; }

// Close codes a peer may send (RFC 6455 7.4.1; 1004-1006 and 1015 are never sent).
bool IsValidCloseCode(uint16_t code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011) ||
         (code >= 3000 && code <= 4999);
}

}  // namespace

WebSocketTransport::WebSocketTransport(std::unique_ptr<Transport> inner, WebSocketOptions options)
    : inner_(std::move(inner)), options_(options), request_(options.max_request_bytes) {
  // What the inner transport must send of its own (a TLS handshake) is ours to send too.
  inner_->SetOnOutputPending([this] { NotifyOutputPending(); });
  const wslay_frame_callbacks reader{nullptr, &WebSocketTransport::RecvCallback, nullptr};
  const wslay_frame_callbacks writer{&WebSocketTransport::SendCallback, nullptr, nullptr};
  CHECK_EQ(wslay_frame_context_init(&reader_frames_, &reader, this), 0) << "out of memory";
  CHECK_EQ(wslay_frame_context_init(&writer_frames_, &writer, this), 0) << "out of memory";
}

WebSocketTransport::~WebSocketTransport() {
  wslay_frame_context_free(reader_frames_);
  wslay_frame_context_free(writer_frames_);
}

// ---------------------------------------------------------------------------------------
// Reader thread.

void WebSocketTransport::SetReceiveTimeout(absl::Duration timeout) {
  receive_timeout_ = timeout;
  inner_->SetReceiveTimeout(timeout);
  inner_timeout_changed_ = false;
}

ssize_t WebSocketTransport::Receive(char* buffer, size_t size) {
  // The timeout bounds this whole call, however many frames of no data (pings, empty
  // fragments) or request bytes arrive meanwhile.
  if (inner_timeout_changed_) SetReceiveTimeout(receive_timeout_);
  deadline_ = std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(receive_timeout_);
  inner_read_once_ = false;
  if (reader_phase_ == Phase::kRequest) {
    const ssize_t result = ReadRequest();
    if (result <= 0) return result;
  }
  if (reader_phase_ != Phase::kOpen) return 0;
  return ReadMessage(buffer, size);
}

ssize_t WebSocketTransport::ReadInner(char* buffer, size_t size) {
  if (!leftover_.empty()) {
    const size_t n = std::min(size, leftover_.size());
    std::memcpy(buffer, leftover_.data(), n);
    leftover_.erase(0, n);
    return static_cast<ssize_t>(n);
  }
  if (receive_timeout_ > absl::ZeroDuration() && inner_read_once_) {
    const auto left = deadline_ - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) {
      read_status_ = ReadStatus::kTimedOut;
      return -1;
    }
    // Round up: zero would mean "wait forever".
    inner_->SetReceiveTimeout(absl::FromChrono(left) + absl::Milliseconds(1));
    inner_timeout_changed_ = true;
  }
  inner_read_once_ = true;
  const ssize_t got = inner_->Receive(buffer, size);
  if (got > 0) return got;
  if (got == 0) {
    read_status_ = ReadStatus::kEndOfStream;
  } else {
    read_errno_ = errno;
    read_status_ = errno == EAGAIN || errno == EWOULDBLOCK ? ReadStatus::kTimedOut
                                                           : ReadStatus::kError;
  }
  return -1;
}

ssize_t WebSocketTransport::RecvCallback(uint8_t* buffer, size_t size, int, void* self) {
  return static_cast<WebSocketTransport*>(self)->ReadInner(reinterpret_cast<char*>(buffer), size);
}

ssize_t WebSocketTransport::ReadRequest() {
  std::array<char, kRequestChunkBytes> chunk;
  HttpRequestReader::Result result = HttpRequestReader::Result::kNeedMore;
  std::string_view bytes;
  while (result == HttpRequestReader::Result::kNeedMore) {
    const ssize_t got = ReadInner(chunk.data(), chunk.size());
    if (got < 0) {
      if (read_status_ == ReadStatus::kEndOfStream) {
        // The client left before finishing its request (a port scan, a cancelled
        // preconnect): an ordinary end, with nothing to answer.
        reader_phase_ = Phase::kDone;
        absl::MutexLock lock(&mu_);
        phase_ = reader_phase_;
        std::string().swap(early_output_);
        return 0;
      }
      if (read_status_ == ReadStatus::kTimedOut) {
        errno = EAGAIN;  // the session decides whether the login timeout has passed
      } else {
        errno = read_errno_;
      }
      return -1;
    }
    bytes = std::string_view(chunk.data(), static_cast<size_t>(got));
    result = request_.Feed(bytes);
  }
  const HttpRequest& request = request_.request();
  const HttpAnswer answer = result == HttpRequestReader::Result::kComplete
                                ? AnswerRequest(request, options_.origins)
                                : AnswerUnreadable(result);
  const std::string peer = PeerAddress(fd());
  // The client chose the path: escaped, so it cannot forge log lines or send the
  // terminal of whoever reads the log escape sequences.
  const std::string what = result == HttpRequestReader::Result::kComplete
                               ? absl::StrCat(request.method, " ", absl::CHexEscape(request.path))
                               : std::string("unreadable request");
  if (answer.status == 200 || answer.status == 101) {
    VLOG(1) << "http " << peer << ": " << what << " " << answer.status;
  } else {
    LOG(INFO) << "http " << peer << ": " << what << " " << answer.status;
  }
  reader_phase_ = answer.upgrade ? Phase::kOpen : Phase::kDone;
  {
    absl::MutexLock lock(&mu_);
    http_answer_ = answer.response;
    phase_ = reader_phase_;
    if (!answer.upgrade) std::string().swap(early_output_);  // the banner is not HTTP
  }
  NotifyOutputPending();
  if (!answer.upgrade) return 0;  // answered: the end of this connection
  // A client may send its first frames right behind the request.
  leftover_.assign(bytes.substr(std::min(request_.consumed(), bytes.size())));
  return 1;
}

ssize_t WebSocketTransport::Fail(uint16_t code, std::string_view why) {
  LOG(WARNING) << "websocket " << PeerAddress(fd()) << ": " << why << "; closing with " << code;
  reader_phase_ = Phase::kDone;
  {
    absl::MutexLock lock(&mu_);
    if (!close_.has_value()) close_ = code;
  }
  NotifyOutputPending();
  errno = EPROTO;
  return -1;
}

uint16_t WebSocketTransport::StartFrame(const wslay_frame_iocb& frame, size_t limit,
                                        std::string_view* why) {
  const uint8_t opcode = frame.opcode;
  if (frame.rsv != 0) {
    *why = "reserved bits set, no extension agreed";
    return 1002;
  }
  if (!frame.mask) {
    *why = "unmasked frame from a client";
    return 1002;
  }
  if (IsControl(opcode)) {
    if (opcode != WSLAY_CONNECTION_CLOSE && opcode != WSLAY_PING && opcode != WSLAY_PONG) {
      *why = "unknown control opcode";
      return 1002;
    }
    control_.clear();
  } else if (opcode == WSLAY_BINARY_FRAME) {
    *why = "binary message (only JSON text is spoken)";
    return 1003;
  } else if (opcode == WSLAY_TEXT_FRAME) {
    if (in_message_) {
      *why = "a new message before the last one ended";
      return 1002;
    }
    in_message_ = true;
    fragments_ = 0;
    message_.clear();
  } else if (opcode != WSLAY_CONTINUATION_FRAME) {
    *why = "unknown data opcode";
    return 1002;
  } else if (!in_message_) {
    *why = "continuation frame outside a message";
    return 1002;
  }
  if (!IsControl(opcode)) {
    if (message_.size() > limit || frame.payload_length > limit - message_.size()) {
      *why = "message longer than the limit";
      return 1009;
    }
    if (++fragments_ > options_.max_fragments) {
      *why = "message in too many fragments";
      return 1009;
    }
  }
  in_frame_ = true;
  frame_opcode_ = opcode;
  frame_fin_ = frame.fin != 0;
  frame_length_ = frame.payload_length;
  frame_read_ = 0;
  return 0;
}

ssize_t WebSocketTransport::ReadMessage(char* buffer, size_t size) {
  const size_t limit = std::min(size, options_.max_message_bytes);
  while (true) {
    wslay_frame_iocb frame{};
    read_status_ = ReadStatus::kOk;
    const ssize_t got = wslay_frame_recv(reader_frames_, &frame);
    if (got == WSLAY_ERR_WANT_READ) {
      switch (read_status_) {
        case ReadStatus::kOk:
          continue;  // part of a header: read on
        case ReadStatus::kEndOfStream:
          return 0;  // gone without a close frame
        case ReadStatus::kTimedOut:
          errno = EAGAIN;
          return -1;
        case ReadStatus::kError:
          errno = read_errno_;
          return -1;
      }
    }
    if (got < 0) return Fail(1002, "malformed frame header");
    if (!in_frame_) {
      std::string_view why;
      if (const uint16_t code = StartFrame(frame, limit, &why); code != 0) return Fail(code, why);
    }
    std::string& into = IsControl(frame_opcode_) ? control_ : message_;
    into.append(reinterpret_cast<const char*>(frame.data), frame.data_length);
    frame_read_ += frame.data_length;
    if (frame_read_ < frame_length_) continue;
    in_frame_ = false;

    switch (frame_opcode_) {
      case WSLAY_PING: {
        absl::MutexLock lock(&mu_);
        pong_ = control_;
      }
        NotifyOutputPending();
        continue;
      case WSLAY_PONG:
        continue;
      case WSLAY_CONNECTION_CLOSE: {
        uint16_t code = 1000;
        if (control_.size() == 1) return Fail(1002, "close frame with a one-byte body");
        if (control_.size() >= 2) {
          code = static_cast<uint16_t>((static_cast<uint8_t>(control_[0]) << 8) |
                                       static_cast<uint8_t>(control_[1]));
          if (!IsValidCloseCode(code)) return Fail(1002, "invalid close code");
          if (!IsValidUtf8(std::string_view(control_).substr(2))) {
            return Fail(1007, "close reason is not UTF-8");
          }
        }
        reader_phase_ = Phase::kDone;
        {
          absl::MutexLock lock(&mu_);
          if (!close_.has_value()) close_ = code;  // the closing handshake's answer
        }
        NotifyOutputPending();
        return 0;
      }
      default:
        break;
    }
    if (!frame_fin_) continue;
    in_message_ = false;
    if (!IsValidUtf8(message_)) return Fail(1007, "text message is not UTF-8");
    std::memcpy(buffer, message_.data(), message_.size());
    const ssize_t length = static_cast<ssize_t>(message_.size());
    // Keep no capacity an idle client does not need.
    if (message_.capacity() > 1024) std::string().swap(message_);
    // An empty message is no end of stream: it reads as one blank line would.
    if (length == 0) continue;
    return length;
  }
}

// ---------------------------------------------------------------------------------------
// Writer thread.

ssize_t WebSocketTransport::SendCallback(const uint8_t* data, size_t size, int, void* self) {
  static_cast<WebSocketTransport*>(self)->out_.append(reinterpret_cast<const char*>(data), size);
  return static_cast<ssize_t>(size);
}

void WebSocketTransport::EncodeFrame(uint8_t opcode, std::string_view payload, bool fin) {
  wslay_frame_iocb frame{};
  frame.fin = fin ? 1 : 0;
  frame.opcode = opcode;
  frame.payload_length = payload.size();
  frame.data = reinterpret_cast<const uint8_t*>(payload.data());
  frame.data_length = payload.size();
  // Into memory: the callback takes everything, so one call writes the whole frame.
  const ssize_t sent = wslay_frame_send(writer_frames_, &frame);
  CHECK_EQ(sent, static_cast<ssize_t>(payload.size())) << "wslay_frame_send";
}

void WebSocketTransport::EncodeMessages(std::string_view lines) {
  while (!lines.empty()) {
    const size_t end = lines.find('\n');
    const uint8_t opcode = out_in_message_ ? WSLAY_CONTINUATION_FRAME : WSLAY_TEXT_FRAME;
    if (end == std::string_view::npos) {
      EncodeFrame(opcode, lines, /*fin=*/false);
      out_in_message_ = true;
      return;
    }
    if (end > 0 || out_in_message_) EncodeFrame(opcode, lines.substr(0, end), /*fin=*/true);
    out_in_message_ = false;
    lines.remove_prefix(end + 1);
  }
}

void WebSocketTransport::EncodeClose(uint16_t code) {
  const char payload[2] = {static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
  EncodeFrame(WSLAY_CONNECTION_CLOSE, std::string_view(payload, 2), /*fin=*/true);
  close_sent_ = true;
}

SendResult WebSocketTransport::Send(std::string_view bytes) {
  std::string answer;
  std::string early;
  std::optional<std::string> pong;
  std::optional<uint16_t> close;
  Phase phase;
  {
    absl::MutexLock lock(&mu_);
    phase = phase_;
    if (phase == Phase::kRequest) {
      // Sent once the handshake is done; until then the client could not read it.
      if (early_output_.size() + bytes.size() > kMaxEarlyOutputBytes) return SendResult::kClosed;
      early_output_.append(bytes);
    } else {
      answer.swap(http_answer_);
      early.swap(early_output_);
      pong.swap(pong_);
      close.swap(close_);
    }
  }
  // Kept, not replaced: out_'s capacity from the last Send() saves growing it again,
  // a reallocation and a copy at every doubling, for every batch.
  out_.assign(answer);
  if (phase == Phase::kOpen && !close_sent_) {
    // The frames are the lines plus a header each: 2 bytes for a line of up to 125
    // bytes, which most are; one growth at most for a batch of short lines.
    out_.reserve(out_.size() + early.size() + bytes.size() + bytes.size() / 8 + 64);
    if (pong.has_value()) EncodeFrame(WSLAY_PONG, *pong, /*fin=*/true);
    if (close.has_value()) {
      // Closing: no more messages after the close frame (RFC 6455 5.5.1).
      EncodeClose(*close);
    } else {
      EncodeMessages(early);
      EncodeMessages(bytes);
    }
  }
  // Even with nothing of ours: the inner transport may have output of its own (TLS).
  const SendResult result = inner_->Send(out_);
  if (out_.capacity() > 64 * 1024) std::string().swap(out_);
  return result;
}

SendResult WebSocketTransport::FinishSending() {
  // Whatever is pending first (an HTTP answer, a pong, a close).
  if (const SendResult result = Send({}); result != SendResult::kOk) return result;
  Phase phase;
  {
    absl::MutexLock lock(&mu_);
    phase = phase_;
  }
  out_.clear();
  if (phase == Phase::kRequest) {
    // The session ended (login timeout, shutdown) before the request was complete.
    out_ = AnswerUnreadable(HttpRequestReader::Result::kNeedMore, /*timed_out=*/true).response;
  } else if (phase == Phase::kOpen && !close_sent_) {
    EncodeClose(1000);  // the closing handshake, from our side
  }
  if (!out_.empty()) {
    if (const SendResult result = inner_->Send(out_); result != SendResult::kOk) return result;
  }
  return inner_->FinishSending();
}

}  // namespace chat
