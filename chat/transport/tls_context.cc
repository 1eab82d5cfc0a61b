#include "chat/transport/tls_context.h"

#include <openssl/err.h>

#include <utility>

#include "absl/strings/str_cat.h"

namespace chat {
namespace {

absl::StatusOr<std::shared_ptr<SSL_CTX>> NewServerContext(const std::string& cert_file,
                                                          const std::string& key_file) {
  ERR_clear_error();
  std::shared_ptr<SSL_CTX> ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  if (ctx == nullptr) {
    return absl::InternalError(absl::StrCat("SSL_CTX_new: ", TakeOpenSslErrors("failed")));
  }
  SSL_CTX* const raw = ctx.get();
  if (SSL_CTX_set_min_proto_version(raw, TLS1_2_VERSION) != 1) {
    return absl::InternalError(absl::StrCat("TLS 1.2: ", TakeOpenSslErrors("unsupported")));
  }
  SSL_CTX_set_options(raw, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_NO_TICKET |
                               SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_session_cache_mode(raw, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(raw, 0);
  SSL_CTX_set_mode(raw, SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_use_certificate_chain_file(raw, cert_file.c_str()) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("certificate ", cert_file, ": ", TakeOpenSslErrors("unreadable")));
  }
  if (SSL_CTX_use_PrivateKey_file(raw, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("private key ", key_file, ": ", TakeOpenSslErrors("unreadable")));
  }
  if (SSL_CTX_check_private_key(raw) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("private key ", key_file,
                                                   " does not match certificate ", cert_file,
                                                   ": ", TakeOpenSslErrors("mismatch")));
  }
  return ctx;
}

}  // namespace

std::string TakeOpenSslErrors(std::string_view fallback) {
  std::string out;
  while (const unsigned long error = ERR_get_error()) {
    char text[256];
    ERR_error_string_n(error, text, sizeof(text));
    absl::StrAppend(&out, out.empty() ? "" : "; ", text);
  }
  return out.empty() ? std::string(fallback) : out;
}

absl::StatusOr<std::unique_ptr<TlsServerContext>> TlsServerContext::Load(std::string cert_file,
                                                                         std::string key_file) {
  absl::StatusOr<std::shared_ptr<SSL_CTX>> ctx = NewServerContext(cert_file, key_file);
  if (!ctx.ok()) return ctx.status();
  return std::unique_ptr<TlsServerContext>(
      new TlsServerContext(std::move(cert_file), std::move(key_file), *std::move(ctx)));
}

absl::Status TlsServerContext::Reload() {
  // Files are read with no lock held: a slow disk must not stall new connections.
  absl::StatusOr<std::shared_ptr<SSL_CTX>> ctx = NewServerContext(cert_file_, key_file_);
  if (!ctx.ok()) return ctx.status();
  std::shared_ptr<SSL_CTX> old;
  {
    absl::MutexLock lock(&mu_);
    old = std::exchange(ctx_, *std::move(ctx));
  }
  return absl::OkStatus();  // `old` is freed here, outside the lock, once unused
}

std::shared_ptr<SSL_CTX> TlsServerContext::Current() const {
  absl::MutexLock lock(&mu_);
  return ctx_;
}

}  // namespace chat
