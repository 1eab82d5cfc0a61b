// chat/testing/tls_client.h: the test's side of a TLS chat connection, and certificates.
//
// Defines:
//   WriteSelfSignedCertificate - a fresh key and self-signed certificate, as PEM files.
//   TlsClient                  - a LineClient that speaks TLS (OpenSSL, blocking).

#ifndef CHAT_TESTING_TLS_CLIENT_H_
#define CHAT_TESTING_TLS_CLIENT_H_

#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "chat/socket.h"
#include "chat/testing/line_client.h"

namespace chat::testing {

// WriteSelfSignedCertificate() writes a new P-256 key to `key_path` and a certificate
// for it, subject and issuer CN=`common_name`, valid from an hour ago for a day, to
// `cert_path`.
absl::Status WriteSelfSignedCertificate(const std::string& cert_path,
                                        const std::string& key_path,
                                        const std::string& common_name);

struct TlsClientOptions {
  // The newest version offered, e.g. TLS1_2_VERSION; 0: the newest OpenSSL has.
  int max_version = 0;
  absl::Duration timeout = LineClient::kDefaultTimeout;
};

// TlsClient is a TLS client over a connected stream socket. It verifies nothing (the
// tests' certificates are self-signed) but reports what the server presented.
class TlsClient : public LineClient {
 public:
  using Options = TlsClientOptions;

  // TlsClient::Handshake() completes a handshake over `fd` (blocking, within the timeout).
  static absl::StatusOr<TlsClient> Handshake(ScopedFd fd, Options options = {});
  // TlsClient::Connect() opens a TCP connection to 127.0.0.1:port and handshakes.
  static absl::StatusOr<TlsClient> Connect(int port, Options options = {});

  bool Send(std::string_view bytes) override;

  // TlsClient::SendCloseNotify() says goodbye the TLS way (the socket stays open).
  bool SendCloseNotify();
  // TlsClient::RequestKeyUpdate() (TLS 1.3) updates our keys and asks the server to
  // update its own; takes effect with the next Send().
  bool RequestKeyUpdate();
  // TlsClient::Renegotiate() (TLS 1.2) asks for a new handshake on this connection and
  // waits for it; true if the server went through with it.
  bool Renegotiate();

  // The CN of the certificate the server presented.
  std::string PeerCommonName() const;
  // "TLSv1.3", "TLSv1.2".
  std::string Version() const;
  // True once a read ended in the server's close_notify (not a bare end of stream).
  bool saw_close_notify() const { return saw_close_notify_; }

 protected:
  ssize_t ReceiveSome(char* buffer, size_t size) override;

 private:
  TlsClient(ScopedFd fd, absl::Duration timeout, std::shared_ptr<SSL_CTX> ctx,
            std::shared_ptr<SSL> ssl)
      : LineClient(std::move(fd), timeout), ctx_(std::move(ctx)), ssl_(std::move(ssl)) {}

  std::shared_ptr<SSL_CTX> ctx_;
  std::shared_ptr<SSL> ssl_;
  bool saw_close_notify_ = false;
};

}  // namespace chat::testing

#endif  // CHAT_TESTING_TLS_CLIENT_H_
