// chat/testing/line_client.h: the test's side of a chat connection.
//
// Every read has a deadline (SO_RCVTIMEO), so a server that hangs fails the test with
// the bytes it did send instead of hanging it.

#ifndef CHAT_TESTING_LINE_CLIENT_H_
#define CHAT_TESTING_LINE_CLIENT_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "chat/socket.h"

namespace chat::testing {

// Not thread-safe; one per test thread. TlsClient (tls_client.h) speaks TLS through the
// same reads.
class LineClient {
 public:
  static constexpr absl::Duration kDefaultTimeout = absl::Seconds(20);

  LineClient() = default;  // not connected; assign one later
  explicit LineClient(ScopedFd fd, absl::Duration timeout = kDefaultTimeout);

  // LineClient::Connect() opens a TCP connection to host:port.
  static absl::StatusOr<LineClient> Connect(int port, const std::string& host = "127.0.0.1",
                                            absl::Duration timeout = kDefaultTimeout);

  // LineClient::ConnectSocket() connects an already created (unconnected) IPv4 TCP
  // socket to 127.0.0.1:port; for tests that must not allocate a descriptor later.
  static absl::StatusOr<LineClient> ConnectSocket(ScopedFd socket, int port);

  // LineClient::NewSocket() creates an unconnected IPv4 TCP socket for ConnectSocket().
  static ScopedFd NewSocket();

  LineClient(LineClient&&) = default;
  LineClient& operator=(LineClient&&) = default;
  virtual ~LineClient() = default;

  virtual bool Send(std::string_view bytes);

  // LineClient::Read() returns the next `n` bytes, or fewer if the stream ended or the
  // deadline passed (so a comparison with the expected bytes fails informatively).
  std::string Read(size_t n);

  // LineClient::ReadUntil() returns everything up to and including the first
  // occurrence of `marker`, or all it got before end of stream / the deadline.
  std::string ReadUntil(std::string_view marker);

  // LineClient::ReadToEnd() reads until the server closes the connection (or deadline).
  std::string ReadToEnd();

  // LineClient::ReceivedNothingFor() is true if no byte arrives within `wait`. Only a
  // "nothing arrived" that a correct server guarantees should be asserted with it.
  bool ReceivedNothingFor(absl::Duration wait);

  // LineClient::ShutdownWrite() half-closes (as `nc -N` does at end of input).
  void ShutdownWrite();
  // LineClient::Reset() closes with a TCP RST (SO_LINGER 0), an abrupt disconnect.
  void Reset();
  void Close() { fd_.Reset(); }

  int fd() const { return fd_.get(); }

 protected:
  // One read of the stream: as recv(), a count, 0 at its end, or -1.
  virtual ssize_t ReceiveSome(char* buffer, size_t size);

 private:
  // Appends one recv() worth to pending_; false on end of stream, error or deadline.
  bool Fill();

  ScopedFd fd_;
  std::string pending_;
  absl::Duration timeout_ = kDefaultTimeout;
};

}  // namespace chat::testing

#endif  // CHAT_TESTING_LINE_CLIENT_H_
