#include "chat/transport/tls_transport.h"

#include <errno.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "chat/transport/tls_context.h"
#include "glog/logging.h"

namespace chat {
namespace {

// The most plaintext one TLS record carries: the writer encrypts one record per turn, so
// it holds the lock and a ciphertext buffer for one record at a time.
constexpr size_t kRecordPlaintextBytes = SSL3_RT_MAX_PLAIN_LENGTH;

}  // namespace

TlsTransport::TlsTransport(ScopedFd fd, SSL_CTX* ctx, metrics::Counter* handshake_failures)
    : fd_(std::move(fd)), peer_(PeerAddress(fd_.get())), handshake_failures_(handshake_failures) {
  absl::MutexLock lock(&mu_);
  ssl_ = SSL_new(ctx);
  BIO* rbio = BIO_new(BIO_s_mem());
  BIO* wbio = BIO_new(BIO_s_mem());
  if (ssl_ == nullptr || rbio == nullptr || wbio == nullptr) {
    BIO_free(rbio);
    BIO_free(wbio);
    SSL_free(ssl_);
    ssl_ = nullptr;
    broken_ = true;
    LOG(ERROR) << "TLS for " << peer_ << ": " << TakeOpenSslErrors("out of memory");
    return;
  }
  // An empty read BIO means "wait for more", not end of stream: the socket says when the
  // stream ends.
  BIO_set_mem_eof_return(rbio, -1);
  SSL_set_bio(ssl_, rbio, wbio);
  rbio_ = rbio;
  wbio_ = wbio;
  SSL_set_accept_state(ssl_);
}

TlsTransport::~TlsTransport() {
  absl::MutexLock lock(&mu_);
  SSL_free(ssl_);  // and both BIOs
}

// ---------------------------------------------------------------------------------------
// Reader thread.

ssize_t TlsTransport::Receive(char* buffer, size_t size) {
  // A previous call may have shortened SO_RCVTIMEO to what was left of its deadline.
  if (socket_receive_timeout_ != receive_timeout_) {
    chat::SetReceiveTimeout(fd_.get(), receive_timeout_);
    socket_receive_timeout_ = receive_timeout_;
  }
  const bool bounded = receive_timeout_ > absl::ZeroDuration();
  const auto deadline =
      std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(receive_timeout_);
  bool first_recv = true;
  while (true) {
    ReadOutcome outcome;
    size_t got = 0;
    bool output_pending;
    {
      absl::MutexLock lock(&mu_);
      outcome = ReadLocked(buffer, size, &got);
      output_pending = OutputPendingLocked();
    }
    if (output_pending) NotifyOutputPending();
    switch (outcome) {
      case ReadOutcome::kData:
        return static_cast<ssize_t>(got);
      case ReadOutcome::kClosed:
        return 0;
      case ReadOutcome::kBroken:
        errno = EPROTO;
        return -1;
      case ReadOutcome::kNeedMore:
        break;
    }
    if (bounded && !first_recv) {
      // Bytes that were not application data (handshake records) do not restart the
      // timeout: the deadline is the call's.
      const auto left = deadline - std::chrono::steady_clock::now();
      if (left <= std::chrono::steady_clock::duration::zero()) {
        errno = EAGAIN;
        return -1;
      }
      // Rounded up: a zero SO_RCVTIMEO would mean "wait forever".
      socket_receive_timeout_ = absl::FromChrono(left) + absl::Milliseconds(1);
      chat::SetReceiveTimeout(fd_.get(), socket_receive_timeout_);
    }
    first_recv = false;
    // The caller's buffer doubles as the ciphertext buffer: BIO_write copies it before
    // SSL_read writes plaintext there.
    const ssize_t received = RecvSome(fd_.get(), buffer, size);
    if (received <= 0) {
      // End of stream or an error: nothing more will move a handshake on (see
      // FinishSending). A timeout is not the end; the session may call again.
      if (received == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
        absl::MutexLock lock(&mu_);
        reader_done_ = true;
      }
      return received;  // as recv()
    }
    absl::MutexLock lock(&mu_);
    if (broken_) continue;  // ReadLocked reports it
    // Records OpenSSL answers by itself (alerts to refused renegotiations, key updates)
    // pile up here while a client that never reads keeps our writer stuck in send().
    if (BIO_ctrl_pending(wbio_) > kMaxPendingOutputBytes) {
      BreakLocked("peer sends but does not read our replies");
      continue;
    }
    if (BIO_write(rbio_, buffer, static_cast<int>(std::min<size_t>(received, INT_MAX))) !=
        received) {
      BreakLocked("out of memory");
    }
  }
}

TlsTransport::ReadOutcome TlsTransport::ReadLocked(char* buffer, size_t size, size_t* got) {
  if (broken_) return ReadOutcome::kBroken;
  ERR_clear_error();
  const int n = SSL_read(ssl_, buffer, static_cast<int>(std::min<size_t>(size, INT_MAX)));
  if (!handshake_done_ && SSL_is_init_finished(ssl_)) {
    handshake_done_ = true;
    VLOG(1) << "TLS handshake with " << peer_ << ": " << SSL_get_version(ssl_) << " "
            << SSL_get_cipher_name(ssl_);
  }
  if (n > 0) {
    *got = static_cast<size_t>(n);
    return ReadOutcome::kData;
  }
  switch (SSL_get_error(ssl_, n)) {
    case SSL_ERROR_WANT_READ:
      return ReadOutcome::kNeedMore;
    case SSL_ERROR_ZERO_RETURN:  // close_notify: the peer is done sending
      return ReadOutcome::kClosed;
    default:
      BreakLocked("protocol error");
      return ReadOutcome::kBroken;
  }
}

bool TlsTransport::OutputPendingLocked() const {
  if (ssl_ == nullptr) return false;
  return BIO_ctrl_pending(wbio_) > 0 ||
         (SSL_is_init_finished(ssl_) &&
          (!early_plaintext_.empty() || SSL_get_key_update_type(ssl_) != SSL_KEY_UPDATE_NONE));
}

void TlsTransport::BreakLocked(std::string_view what) {
  if (broken_) return;
  broken_ = true;
  // Not SSL_is_init_finished(): after a fatal error OpenSSL is "in init" again, and a bad
  // record mid-session is not a failed handshake.
  const bool in_handshake = ssl_ != nullptr && !handshake_done_;
  if (in_handshake && handshake_failures_ != nullptr) handshake_failures_->Increment();
  LOG(INFO) << (in_handshake ? "TLS handshake with " : "TLS connection with ") << peer_
            << " failed: " << TakeOpenSslErrors(what);
}

// ---------------------------------------------------------------------------------------
// Writer thread.

SendResult TlsTransport::Send(std::string_view bytes) {
  std::string ciphertext;
  bool more = true;
  while (more) {
    {
      absl::MutexLock lock(&mu_);
      if (broken_) {
        more = false;  // send what OpenSSL queued last (its alert), nothing new
      } else if (!SSL_is_init_finished(ssl_)) {
        if (early_plaintext_.size() + bytes.size() > kMaxEarlyPlaintextBytes) {
          LOG(WARNING) << "TLS to " << peer_ << ": over " << kMaxEarlyPlaintextBytes
                       << " bytes queued before the handshake completed; closing";
          return SendResult::kClosed;
        }
        early_plaintext_.append(bytes);
        bytes = {};
        more = false;
      } else {
        if (SSL_get_key_update_type(ssl_) != SSL_KEY_UPDATE_NONE) {
          // The peer asked for a KeyUpdate: answer before any more data.
          ERR_clear_error();
          SSL_do_handshake(ssl_);
        }
        more = WriteRecordLocked(&bytes);
      }
      if (ssl_ != nullptr) DrainLocked(&ciphertext);
    }
    if (ciphertext.empty()) continue;
    const SendResult result = SendAll(fd_.get(), ciphertext);
    if (result != SendResult::kOk) return result;
    ciphertext.clear();
  }
  // Left over only if the connection broke first.
  return bytes.empty() ? SendResult::kOk : SendResult::kClosed;
}

bool TlsTransport::WriteRecordLocked(std::string_view* bytes) {
  const bool early = !early_plaintext_.empty();
  const std::string_view source = early ? std::string_view(early_plaintext_) : *bytes;
  if (source.empty()) return false;
  const size_t n = std::min(source.size(), kRecordPlaintextBytes);
  ERR_clear_error();
  const int written = SSL_write(ssl_, source.data(), static_cast<int>(n));
  if (written <= 0) {
    BreakLocked("write failed");
    return false;
  }
  if (early) {
    early_plaintext_.erase(0, static_cast<size_t>(written));
    // The banner's buffer is not kept for the rest of the session.
    if (early_plaintext_.empty()) std::string().swap(early_plaintext_);
  } else {
    bytes->remove_prefix(static_cast<size_t>(written));
  }
  return true;
}

void TlsTransport::DrainLocked(std::string* out) {
  const size_t pending = BIO_ctrl_pending(wbio_);
  if (pending == 0) return;
  const size_t at = out->size();
  out->resize(at + pending);
  const int read = BIO_read(wbio_, out->data() + at, static_cast<int>(pending));
  out->resize(at + static_cast<size_t>(std::max(read, 0)));
}

SendResult TlsTransport::FinishSending() {
  // A goodbye queued while the reader is still completing the handshake (the client has
  // sent its Finished, we have not read it yet) is plaintext held back; closing now
  // would drop it and end the stream without close_notify. Give the reader a moment.
  {
    absl::MutexLock lock(&mu_);
    const auto settled = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return broken_ || reader_done_ || SSL_is_init_finished(ssl_);
    };
    // Only worth waiting for while the reader can still read the client's Finished.
    if (!early_plaintext_.empty() && !reader_done_ && !SSL_in_before(ssl_)) {
      mu_.AwaitWithTimeout(absl::Condition(&settled), kFinishHandshakeWait);
    }
  }
  if (const SendResult flushed = Send({}); flushed != SendResult::kOk) {
    Shutdown(SHUT_WR);
    return flushed;
  }
  std::string ciphertext;
  {
    absl::MutexLock lock(&mu_);
    if (!broken_ && SSL_is_init_finished(ssl_)) {
      ERR_clear_error();
      SSL_shutdown(ssl_);  // queues close_notify; the peer's answer is not waited for
      ERR_clear_error();
    }
    if (ssl_ != nullptr) DrainLocked(&ciphertext);
  }
  const SendResult result =
      ciphertext.empty() ? SendResult::kOk : SendAll(fd_.get(), ciphertext);
  Shutdown(SHUT_WR);
  return result;
}

// ---------------------------------------------------------------------------------------
// Any thread.

void TlsTransport::Shutdown(int how) {
  ::shutdown(fd_.get(), how);
  if (how != SHUT_WR) {
    absl::MutexLock lock(&mu_);
    reader_done_ = true;  // no more reading: a FinishSending waiting on it stops waiting
  }
}

void TlsTransport::SetReceiveTimeout(absl::Duration timeout) {
  receive_timeout_ = timeout;
  socket_receive_timeout_ = timeout;
  chat::SetReceiveTimeout(fd_.get(), timeout);
}

void TlsTransport::SetSendTimeout(absl::Duration timeout) {
  chat::SetSendTimeout(fd_.get(), timeout);
}

}  // namespace chat
