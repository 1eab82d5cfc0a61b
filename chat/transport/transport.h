// chat/transport/transport.h: what a Session reads from and writes to.
//
// Defines:
//   Transport - a byte (or message) stream to one client: plain TCP, TLS, WebSocket...
//
// The seam lets one Session (login, rooms, limits, rendering) serve clients that reach
// the server in different ways, and lets transports stack: a WebSocket transport frames
// its messages inside an inner Transport that is TCP or TLS.

#ifndef CHAT_TRANSPORT_TRANSPORT_H_
#define CHAT_TRANSPORT_TRANSPORT_H_

#include <sys/types.h>

#include <cstddef>
#include <functional>
#include <string_view>
#include <utility>

#include "absl/time/time.h"
#include "chat/socket.h"

namespace chat {

// Transport carries one connection. Session drives it from exactly two threads:
//
//   reader thread: Receive(), SetReceiveTimeout()
//   writer thread: Send(), FinishSending(), SetSendTimeout()
//   any thread:    Shutdown(), fd(), kind()
//
// Only the writer thread ever writes to the socket, so a transport that must answer
// what it reads (a TLS handshake, a WebSocket ping) does not write from Receive(): it
// keeps the answer and calls the output-pending callback, and the Session wakes its
// writer, which calls Send({}) to put it on the wire. Records of a stream cipher are
// therefore never interleaved by two threads.
//
// The descriptor stays open until the transport is destroyed. Shutdown() may race with
// Receive() and Send() (that is what it is for), but not with destruction: the owner
// (Session) destroys the transport only after both of its threads are done.
class Transport {
 public:
  virtual ~Transport() = default;
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // Transport::SetOnOutputPending() registers what Receive() calls when the transport
  // has bytes of its own to send (handshake replies, a pong). Call before the threads
  // start. The callback must not block and must not call back into the transport; Session's
  // wakes its writer.
  void SetOnOutputPending(std::function<void()> callback) {
    on_output_pending_ = std::move(callback);
  }

  // Transport::Receive() blocks for the next application data and copies up to `size`
  // bytes of it into `buffer`. Returns:
  //   > 0  that many bytes. A message-oriented transport (WebSocket) returns exactly one
  //        whole message per call, so `size` must hold the largest message it accepts.
  //   0    end of stream: the peer closed (TCP FIN, TLS close_notify, WebSocket close).
  //   -1   with errno: EAGAIN/EWOULDBLOCK when the receive timeout passed with no
  //        application data (bytes the transport consumed itself, e.g. a handshake, do
  //        not restart it); EPROTO when the peer broke the transport's protocol (the
  //        transport has already logged why); anything else from recv().
  // Reader thread only.
  virtual ssize_t Receive(char* buffer, size_t size) = 0;

  // Transport::Send() writes all of `bytes` (blocking, bounded by the send timeout), or
  // says why not. Send({}) writes only what the transport has pending of its own (see
  // SetOnOutputPending). Writer thread only.
  virtual SendResult Send(std::string_view bytes) = 0;

  // Transport::FinishSending() ends the sending side gracefully after the last Send():
  // the protocol's goodbye (TLS close_notify, a WebSocket close frame), then SHUT_WR, so
  // the peer reads everything up to the end and then end of stream. Receive() keeps
  // working. Writer thread only.
  virtual SendResult FinishSending() = 0;

  // Transport::Shutdown() shuts the socket down in `how` (SHUT_RD, SHUT_WR, SHUT_RDWR),
  // waking a blocked Receive() or Send(). Any thread; never blocks.
  virtual void Shutdown(int how) = 0;

  // Transport::SetReceiveTimeout() bounds how long Receive() waits for application data;
  // zero means forever. Reader thread only.
  virtual void SetReceiveTimeout(absl::Duration timeout) = 0;

  // Transport::SetSendTimeout() makes Send() fail with kTimedOut when the peer accepts
  // no data for `timeout`; zero means never. Call before the threads start, or from the
  // writer thread.
  virtual void SetSendTimeout(absl::Duration timeout) = 0;

  // The connected socket, for the peer's address (logs, per-address limits) and socket
  // options. Never read or write it directly: that is the transport's job.
  virtual int fd() const = 0;

  // A short lower-case name ("tcp", "tls"): the `transport` label of metrics, and logs.
  virtual std::string_view kind() const = 0;

 protected:
  Transport() = default;

  // For implementations' Receive(): tells the Session there is output to send.
  void NotifyOutputPending() const {
    if (on_output_pending_) on_output_pending_();
  }

 private:
  std::function<void()> on_output_pending_;
};

}  // namespace chat

#endif  // CHAT_TRANSPORT_TRANSPORT_H_
