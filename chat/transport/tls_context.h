// chat/transport/tls_context.h: the server's TLS settings, certificate and key.
//
// Defines:
//   TlsServerContext - an OpenSSL SSL_CTX loaded from PEM files, replaceable at run time.

#ifndef CHAT_TRANSPORT_TLS_CONTEXT_H_
#define CHAT_TRANSPORT_TLS_CONTEXT_H_

#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace chat {

// TlsServerContext holds the SSL_CTX new TLS connections are made from. Reload() reads
// the certificate and key files again and swaps in a new SSL_CTX; connections already
// open keep the one they started with (each SSL holds a reference to its SSL_CTX), so a
// certificate renewal drops nobody. Thread-safe.
//
// What every context is set to, and why (see README, TLS):
//   TLS 1.2 and 1.3 only; renegotiation off (SSL_OP_NO_RENEGOTIATION), so a client cannot
//   make the server redo the expensive half of a handshake at will; no session cache and
//   no tickets: a chat client connects once, and resumption would only add state and a
//   ticket key to protect; compression off; SSL_MODE_RELEASE_BUFFERS, so an idle
//   connection does not keep its 2 x 17 KB record buffers.
//
// Example:
//   absl::StatusOr<std::unique_ptr<TlsServerContext>> tls =
//       TlsServerContext::Load("cert.pem", "key.pem");
//   SSL* ssl = SSL_new((*tls)->Current().get());
//   ... on SIGHUP: if (absl::Status s = (*tls)->Reload(); !s.ok()) LOG(ERROR) << s;
class TlsServerContext {
 public:
  // TlsServerContext::Load() reads a PEM certificate chain (leaf first) and its PEM
  // private key; an error names the file and OpenSSL's reason.
  static absl::StatusOr<std::unique_ptr<TlsServerContext>> Load(std::string cert_file,
                                                                std::string key_file);

  // TlsServerContext::Reload() reads the same files again. On success new connections
  // use them; on failure nothing changes and the error says why.
  absl::Status Reload() ABSL_LOCKS_EXCLUDED(mu_);

  // The context for a new connection.
  std::shared_ptr<SSL_CTX> Current() const ABSL_LOCKS_EXCLUDED(mu_);

  const std::string& cert_file() const { return cert_file_; }
  const std::string& key_file() const { return key_file_; }

 private:
  TlsServerContext(std::string cert_file, std::string key_file, std::shared_ptr<SSL_CTX> ctx)
      : cert_file_(std::move(cert_file)), key_file_(std::move(key_file)), ctx_(std::move(ctx)) {}

  const std::string cert_file_;
  const std::string key_file_;
  mutable absl::Mutex mu_;
  std::shared_ptr<SSL_CTX> ctx_ ABSL_GUARDED_BY(mu_);
};

// OpenSSL's queued errors for this thread as one line (and the queue cleared), e.g.
// "error:0A00010B:SSL routines::wrong version number"; `fallback` when there are none.
std::string TakeOpenSslErrors(std::string_view fallback);

}  // namespace chat

#endif  // CHAT_TRANSPORT_TLS_CONTEXT_H_
