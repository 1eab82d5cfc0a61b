// chat/transport/tls_transport.h: the net-cat protocol inside TLS (server side).
//
// Defines:
//   TlsTransport - a Transport that runs OpenSSL over memory BIOs on a connected socket.

#ifndef CHAT_TRANSPORT_TLS_TRANSPORT_H_
#define CHAT_TRANSPORT_TLS_TRANSPORT_H_

#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "chat/metrics/metrics.h"
#include "chat/socket.h"
#include "chat/transport/transport.h"

namespace chat {

// TlsTransport is the server end of one TLS connection. OpenSSL never touches the
// socket: it reads ciphertext from one memory BIO and writes it to another, so the
// socket I/O happens outside any lock, on the Session's own threads:
//
//   reader (Receive): recv() ciphertext, no lock -> lock mu_: feed the read BIO,
//                     SSL_read -> unlock; if OpenSSL wants to answer (handshake
//                     flights, a KeyUpdate, an alert), call the output-pending callback.
//   writer (Send):    lock mu_: SSL_write one record, take the write BIO's ciphertext
//                     -> unlock -> send(), no lock. Send({}) sends just what is pending.
//
// An SSL object must not be used by two threads at once; mu_ is held around every SSL_*
// and BIO_* call and nothing else. The handshake is driven by SSL_read (accept state):
// plaintext the Session sends before it completes (the banner) is kept, bounded, and
// written once it has. A peer that breaks the protocol (garbage instead of a
// ClientHello, a bad record) makes Receive() fail with EPROTO, once, after logging why
// at INFO; the handshake failures among those are counted.
//
// Thread-safety: as Transport.
class TlsTransport final : public Transport {
 public:
  // `ctx` is the server's context (see TlsServerContext); the SSL keeps its own
  // reference. `handshake_failures` (may be null) counts handshakes the peer broke.
  TlsTransport(ScopedFd fd, SSL_CTX* ctx, metrics::Counter* handshake_failures = nullptr);
  ~TlsTransport() override;

  ssize_t Receive(char* buffer, size_t size) override ABSL_LOCKS_EXCLUDED(mu_);
  SendResult Send(std::string_view bytes) override ABSL_LOCKS_EXCLUDED(mu_);
  SendResult FinishSending() override ABSL_LOCKS_EXCLUDED(mu_);
  void Shutdown(int how) override;
  void SetReceiveTimeout(absl::Duration timeout) override;
  void SetSendTimeout(absl::Duration timeout) override;
  int fd() const override { return fd_.get(); }
  std::string_view kind() const override { return "tls"; }

  // Plaintext the Session may send before the handshake completes (the banner, a
  // login-timeout notice). More is refused (kClosed): nothing legitimate sends that much
  // to a client that has not said a word.
  // Ciphertext OpenSSL queued by itself (alerts, key update replies) that the writer has
  // not sent; past it the client is sending without reading, and the connection ends.
  static constexpr size_t kMaxPendingOutputBytes = 64 * 1024;
  // FinishSending() waits at most this long for a handshake the client has finished but
  // the reader has not yet read the end of, so a held goodbye is still delivered.
  static constexpr absl::Duration kFinishHandshakeWait = absl::Seconds(2);
  static constexpr size_t kMaxEarlyPlaintextBytes = 64 * 1024;

 private:
  enum class ReadOutcome { kData, kNeedMore, kClosed, kBroken };

  // One SSL_read into `buffer`; with kData, `*got` is the byte count.
  ReadOutcome ReadLocked(char* buffer, size_t size, size_t* got)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Writes (part of) the plaintext due: first what waited for the handshake, then
  // `*bytes`, at most one record per call, consuming what it wrote.
  bool WriteRecordLocked(std::string_view* bytes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Moves the write BIO's ciphertext to the end of `out`.
  void DrainLocked(std::string* out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Whether the writer has something to do that it was not asked for.
  bool OutputPendingLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Marks the connection broken; logs and counts `what` went wrong.
  void BreakLocked(std::string_view what) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const ScopedFd fd_;
  const std::string peer_;  // for logs
  metrics::Counter* const handshake_failures_;
  // Reader thread only: the receive timeout, which bounds a whole Receive() call (so a
  // trickle of handshake bytes cannot stretch it), and what SO_RCVTIMEO is set to now.
  absl::Duration receive_timeout_ = absl::ZeroDuration();
  absl::Duration socket_receive_timeout_ = absl::ZeroDuration();

  mutable absl::Mutex mu_;
  // Set in the constructor, freed in the destructor; null if OpenSSL ran out of memory
  // (then broken_ is set from the start).
  SSL* ssl_ ABSL_PT_GUARDED_BY(mu_) = nullptr;
  BIO* rbio_ ABSL_PT_GUARDED_BY(mu_) = nullptr;  // owned by ssl_
  BIO* wbio_ ABSL_PT_GUARDED_BY(mu_) = nullptr;  // owned by ssl_
  std::string early_plaintext_ ABSL_GUARDED_BY(mu_);
  bool broken_ ABSL_GUARDED_BY(mu_) = false;
  bool handshake_done_ ABSL_GUARDED_BY(mu_) = false;
  // The reader has seen the end of the stream or an error, or the socket was shut for
  // reading: the handshake can no longer complete.
  bool reader_done_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace chat

#endif  // CHAT_TRANSPORT_TLS_TRANSPORT_H_
