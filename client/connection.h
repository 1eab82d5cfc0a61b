// client/connection.h: the client's socket, plain TCP or TLS, non-blocking once open.
//
// Opening (DNS, connect, the TLS handshake) blocks, before the screen is set up; after
// that every call returns at once and the UI's poll() loop waits on fd(). Output is
// bounded: Queue() refuses bytes past kMaxOutputBytes, so a server that stops reading
// cannot make the client grow without bound.

#ifndef CLIENT_CONNECTION_H_
#define CLIENT_CONNECTION_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace chat::client {

struct TlsOptions {
  bool enabled = false;
  // Verify the server's certificate chain and name against the system's trust store
  // (or `ca_file`). Turning it off is for test servers with self-signed certificates.
  bool verify = true;
  std::string ca_file;  // PEM certificates to trust instead of the system's
};

class Connection {
 public:
  static constexpr size_t kMaxOutputBytes = 256 * 1024;

  // Connection::Open() resolves `host`, connects to the first address that answers and,
  // with TLS, completes the handshake (with `timeout_seconds` for each step).
  static absl::StatusOr<std::unique_ptr<Connection>> Open(const std::string& host,
                                                          const std::string& port,
                                                          const TlsOptions& tls,
                                                          int timeout_seconds = 30);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  int fd() const { return fd_; }

  enum class ReadResult { kData, kWouldBlock, kClosed };
  // Connection::Read() appends what is available now to `out`; an error is a status.
  absl::StatusOr<ReadResult> Read(std::string* out);
  // Connection::Queue() adds bytes to send; false (nothing queued) past the bound.
  bool Queue(std::string_view bytes);
  // Connection::Flush() sends what the socket takes now.
  absl::Status Flush();
  // What poll() should wait for besides input.
  bool WantsWrite() const;
  // Bytes OpenSSL has already decrypted: read them without waiting for the socket.
  bool HasBufferedInput() const;
  size_t queued_bytes() const { return output_.size(); }
  // "TLSv1.3" and the like, or "" for plain TCP.
  std::string Describe() const;

 private:
  Connection(int fd, SSL_CTX* ctx, SSL* ssl) : fd_(fd), ctx_(ctx), ssl_(ssl) {}

  int fd_;
  SSL_CTX* ctx_;
  SSL* ssl_;
  std::string output_;
  size_t tls_write_size_ = 0;  // an SSL_write to repeat with the same length
  bool read_wants_write_ = false;
};

}  // namespace chat::client

#endif  // CLIENT_CONNECTION_H_
