#include "client/connection.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace chat::client {
namespace {

std::string OpenSslError() {
  std::string text;
  while (const unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof(buffer));
    if (!text.empty()) text += "; ";
    text += buffer;
  }
  return text.empty() ? "unknown OpenSSL error" : text;
}

bool IsIpAddress(const std::string& host) {
  unsigned char buffer[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buffer) == 1 ||
         inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

absl::StatusOr<int> ConnectTcp(const std::string& host, const std::string& port,
                               int timeout_seconds) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* addresses = nullptr;
  if (const int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &addresses); rc != 0) {
    return absl::UnavailableError(absl::StrCat(host, ": ", gai_strerror(rc)));
  }
  std::string error = "no address";
  int fd = -1;
  for (addrinfo* a = addresses; a != nullptr && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    // Bounded blocking for connect and the handshake; the UI does not exist yet.
    timeval tv{timeout_seconds, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      error = std::strerror(errno);
      ::close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(addresses);
  if (fd < 0) return absl::UnavailableError(absl::StrCat(host, " port ", port, ": ", error));
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));  // typed lines, not bulk
  return fd;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(const std::string& host,
                                                             const std::string& port,
                                                             const TlsOptions& tls,
                                                             int timeout_seconds) {
  absl::StatusOr<int> fd = ConnectTcp(host, port, timeout_seconds);
  if (!fd.ok()) return fd.status();
  std::unique_ptr<Connection> connection(new Connection(*fd, nullptr, nullptr));
  if (tls.enabled) {
    ERR_clear_error();
    connection->ctx_ = SSL_CTX_new(TLS_client_method());
    if (connection->ctx_ == nullptr) return absl::InternalError(OpenSslError());
    SSL_CTX* ctx = connection->ctx_;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    if (tls.verify) {
      const bool loaded = tls.ca_file.empty()
                              ? SSL_CTX_set_default_verify_paths(ctx) == 1
                              : SSL_CTX_load_verify_locations(ctx, tls.ca_file.c_str(), nullptr) == 1;
      if (!loaded) {
        return absl::FailedPreconditionError(
            absl::StrCat("cannot load trusted certificates: ", OpenSslError()));
      }
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    } else {
      SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
    }
    // Writes may complete in parts, from a buffer that moves as the output queue grows.
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    connection->ssl_ = SSL_new(ctx);
    SSL* ssl = connection->ssl_;
    if (ssl == nullptr) return absl::InternalError(OpenSslError());
    if (tls.verify) {
      // The certificate must name the host we asked for (a DNS name, or an IP address).
      X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
      const int named = IsIpAddress(host) ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str())
                                          : X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
      if (named != 1) return absl::InvalidArgumentError(absl::StrCat("bad host name ", host));
    }
    if (!IsIpAddress(host)) SSL_set_tlsext_host_name(ssl, host.c_str());
    SSL_set_fd(ssl, connection->fd_);
    if (SSL_connect(ssl) != 1) {
      std::string reason = OpenSslError();
      const long verify = SSL_get_verify_result(ssl);
      if (verify != X509_V_OK) {
        reason = absl::StrCat("certificate not trusted: ", X509_verify_cert_error_string(verify),
                              " (--tls_insecure skips the check, for test servers only)");
      }
      return absl::UnavailableError(absl::StrCat("TLS handshake with ", host, ": ", reason));
    }
  }
  const int flags = ::fcntl(connection->fd_, F_GETFL);
  ::fcntl(connection->fd_, F_SETFL, flags | O_NONBLOCK);
  return connection;
}

Connection::~Connection() {
  if (ssl_ != nullptr) SSL_free(ssl_);
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
  ::close(fd_);
}

absl::StatusOr<Connection::ReadResult> Connection::Read(std::string* out) {
  char buffer[16384];
  if (ssl_ == nullptr) {
    const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
    if (n > 0) {
      out->append(buffer, static_cast<size_t>(n));
      return ReadResult::kData;
    }
    if (n == 0) return ReadResult::kClosed;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return ReadResult::kWouldBlock;
    return absl::UnavailableError(std::strerror(errno));
  }
  ERR_clear_error();
  read_wants_write_ = false;
  const int n = SSL_read(ssl_, buffer, sizeof(buffer));
  if (n > 0) {
    out->append(buffer, static_cast<size_t>(n));
    return ReadResult::kData;
  }
  switch (SSL_get_error(ssl_, n)) {
    case SSL_ERROR_WANT_READ:
      return ReadResult::kWouldBlock;
    case SSL_ERROR_WANT_WRITE:
      read_wants_write_ = true;
      return ReadResult::kWouldBlock;
    case SSL_ERROR_ZERO_RETURN:
      return ReadResult::kClosed;
    case SSL_ERROR_SYSCALL:
      if (errno == 0 || errno == ECONNRESET) return ReadResult::kClosed;
      return absl::UnavailableError(std::strerror(errno));
    default:
      return absl::UnavailableError(OpenSslError());
  }
}

bool Connection::Queue(std::string_view bytes) {
  if (output_.size() + bytes.size() > kMaxOutputBytes) return false;
  output_.append(bytes);
  return true;
}

absl::Status Connection::Flush() {
  while (!output_.empty()) {
    if (ssl_ == nullptr) {
      const ssize_t n = ::send(fd_, output_.data(), output_.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return absl::OkStatus();
        return absl::UnavailableError(std::strerror(errno));
      }
      output_.erase(0, static_cast<size_t>(n));
      continue;
    }
    ERR_clear_error();
    // After WANT_WRITE, OpenSSL requires the same call again; the length is kept.
    if (tls_write_size_ == 0) tls_write_size_ = std::min<size_t>(output_.size(), 16384);
    const int n = SSL_write(ssl_, output_.data(), static_cast<int>(tls_write_size_));
    if (n > 0) {
      output_.erase(0, static_cast<size_t>(n));
      tls_write_size_ = 0;
      continue;
    }
    const int error = SSL_get_error(ssl_, n);
    if (error == SSL_ERROR_WANT_WRITE || error == SSL_ERROR_WANT_READ) return absl::OkStatus();
    return absl::UnavailableError(error == SSL_ERROR_SYSCALL ? std::strerror(errno)
                                                             : OpenSslError());
  }
  return absl::OkStatus();
}

bool Connection::WantsWrite() const { return !output_.empty() || read_wants_write_; }

bool Connection::HasBufferedInput() const { return ssl_ != nullptr && SSL_pending(ssl_) > 0; }

std::string Connection::Describe() const {
  return ssl_ == nullptr ? "" : SSL_get_version(ssl_);
}

}  // namespace chat::client
