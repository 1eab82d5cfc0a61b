#include "chat/testing/tls_client.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <functional>

#include "absl/strings/str_cat.h"
#include "chat/transport/tls_context.h"

namespace chat::testing {
namespace {

std::string OpenSslErrors() { return TakeOpenSslErrors("no OpenSSL error"); }

absl::Status WritePem(const std::string& path, const std::function<int(FILE*)>& write) {
  FILE* file = std::fopen(path.c_str(), "w");
  if (file == nullptr) return absl::InternalError(absl::StrCat("cannot write ", path));
  const bool ok = write(file) == 1;
  const bool closed = std::fclose(file) == 0;
  if (!ok || !closed) return absl::InternalError(absl::StrCat(path, ": ", OpenSslErrors()));
  return absl::OkStatus();
}

}  // namespace

absl::Status WriteSelfSignedCertificate(const std::string& cert_path, const std::string& key_path,
                                        const std::string& common_name) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  if (key == nullptr || cert == nullptr) return absl::InternalError(OpenSslErrors());
  static int serial = 1;
  X509_set_version(cert.get(), 2);  // v3
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial++);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509_set_issuer_name(cert.get(), name);
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
    return absl::InternalError(absl::StrCat("X509_sign: ", OpenSslErrors()));
  }
  if (absl::Status status = WritePem(
          key_path,
          [&](FILE* f) {
            return PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
          });
      !status.ok()) {
    return status;
  }
  return WritePem(cert_path, [&](FILE* f) { return PEM_write_X509(f, cert.get()); });
}

absl::StatusOr<TlsClient> TlsClient::Handshake(ScopedFd fd, Options options) {
  ERR_clear_error();
  std::shared_ptr<SSL_CTX> ctx(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
  if (ctx == nullptr) return absl::InternalError(OpenSslErrors());
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  if (options.max_version != 0) SSL_CTX_set_max_proto_version(ctx.get(), options.max_version);
  std::shared_ptr<SSL> ssl(SSL_new(ctx.get()), SSL_free);
  if (ssl == nullptr) return absl::InternalError(OpenSslErrors());
  // The deadline: LineClient's constructor sets SO_RCVTIMEO before the handshake runs.
  TlsClient client(std::move(fd), options.timeout, std::move(ctx), ssl);
  SSL_set_fd(ssl.get(), client.fd());
  if (SSL_connect(ssl.get()) != 1) {
    return absl::UnavailableError(absl::StrCat("TLS handshake failed: ", OpenSslErrors()));
  }
  return client;
}

absl::StatusOr<TlsClient> TlsClient::Connect(int port, Options options) {
  absl::StatusOr<LineClient> tcp = LineClient::ConnectSocket(LineClient::NewSocket(), port);
  if (!tcp.ok()) return tcp.status();
  // Take the descriptor back from the plain client.
  ScopedFd fd(::dup(tcp->fd()));
  tcp->Close();
  return Handshake(std::move(fd), options);
}

bool TlsClient::Send(std::string_view bytes) {
  while (!bytes.empty()) {
    ERR_clear_error();
    const int n = SSL_write(ssl_.get(), bytes.data(),
                            static_cast<int>(std::min<size_t>(bytes.size(), INT_MAX)));
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

ssize_t TlsClient::ReceiveSome(char* buffer, size_t size) {
  ERR_clear_error();
  const int n = SSL_read(ssl_.get(), buffer, static_cast<int>(std::min<size_t>(size, INT_MAX)));
  if (n > 0) return n;
  if (SSL_get_error(ssl_.get(), n) == SSL_ERROR_ZERO_RETURN) {
    saw_close_notify_ = true;
    return 0;
  }
  return -1;
}

bool TlsClient::SendCloseNotify() {
  ERR_clear_error();
  return SSL_shutdown(ssl_.get()) >= 0;
}

bool TlsClient::RequestKeyUpdate() {
  return SSL_key_update(ssl_.get(), SSL_KEY_UPDATE_REQUESTED) == 1;
}

bool TlsClient::Renegotiate() {
  ERR_clear_error();
  return SSL_renegotiate(ssl_.get()) == 1 && SSL_do_handshake(ssl_.get()) == 1;
}

std::string TlsClient::PeerCommonName() const {
  std::unique_ptr<X509, decltype(&X509_free)> cert(SSL_get1_peer_certificate(ssl_.get()),
                                                   X509_free);
  if (cert == nullptr) return "";
  char name[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert.get()), NID_commonName, name,
                            sizeof(name));
  return name;
}

std::string TlsClient::Version() const { return SSL_get_version(ssl_.get()); }

}  // namespace chat::testing
