// chat/socket.h: thin, testable wrappers over POSIX sockets.
//
// Defines:
//   SendAll         - writes every byte, retrying EINTR and partial writes, never SIGPIPE.
//   RecvSome        - one recv(), retrying EINTR.
//   ListenTcp       - a listening socket on an address and port (0 = any free port).
//   LocalPort, PeerAddress, SetSendTimeout, SetReceiveTimeout, SetNoDelay, SetNonBlocking
//
// Nothing here takes a lock; callers decide which thread owns which descriptor.

#ifndef CHAT_SOCKET_H_
#define CHAT_SOCKET_H_

#include <sys/types.h>

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "chat/scoped_fd.h"

namespace chat {

// The outcome of SendAll().
enum class SendResult {
  kOk,
  kTimedOut,  // SO_SNDTIMEO expired with the peer accepting no data
  kClosed,    // the peer is gone (EPIPE, ECONNRESET, ...) or the socket was shut down
};

// SendAll() writes all of `data` to `fd` (blocking), with MSG_NOSIGNAL so a vanished
// peer is an error code, not a process-killing SIGPIPE.
SendResult SendAll(int fd, std::string_view data);

// RecvSome() reads up to `size` bytes. Returns the count, 0 at end of stream, or -1 with
// errno set (EINTR is retried here; EAGAIN means SO_RCVTIMEO expired).
ssize_t RecvSome(int fd, char* buffer, size_t size);

// ListenTcp() binds and listens with SO_REUSEADDR. An empty `address` means every
// interface: "::" dual-stack where IPv6 exists, else "0.0.0.0". `port` 0 picks a free one.
absl::StatusOr<ScopedFd> ListenTcp(const std::string& address, int port, int backlog);

// What an accept loop should do after accept() failed with `error`. One answer for every
// listener (the chat and the metrics endpoint used to disagree on EPROTO).
enum class AcceptFailure {
  kNothingPending,   // EAGAIN on a non-blocking listener: wait for readiness
  kRetryNow,         // that connection is gone (ECONNABORTED, EINTR, or a network error
                     // Linux passes on from it, e.g. EPROTO, ENETDOWN): take the next
  kOutOfResources,   // EMFILE, ENFILE, ENOBUFS, ENOMEM: back off, nothing changes at once
  kUnexpected,       // anything else: log it, back off
};
AcceptFailure ClassifyAcceptError(int error);

// LocalPort() is the port a bound socket got (useful after binding port 0).
absl::StatusOr<int> LocalPort(int fd);

// PeerAddress() renders the remote end as "1.2.3.4:5678" or "[::1]:5678", or
// "unix" for socketpair ends, for logs.
std::string PeerAddress(int fd);

// SetSendTimeout() sets SO_SNDTIMEO; a zero duration means "block forever".
bool SetSendTimeout(int fd, absl::Duration timeout);

// SetReceiveTimeout() sets SO_RCVTIMEO (recv fails with EAGAIN when it expires); a zero
// duration means "block forever".
bool SetReceiveTimeout(int fd, absl::Duration timeout);

// SetNoDelay() disables Nagle's algorithm: chat lines are small and latency matters.
bool SetNoDelay(int fd);

// SetNonBlocking() sets O_NONBLOCK, e.g. on a listener that poll() watches: a connection
// it reports may be gone by the time accept() runs, which must then not block.
bool SetNonBlocking(int fd);

}  // namespace chat

#endif  // CHAT_SOCKET_H_
