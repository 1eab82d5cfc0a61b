// TlsTransport over socketpair(2), driven the way Session drives it (a reader thread and
// a writer thread), against an in-process OpenSSL client.

#include "chat/transport/tls_transport.h"

#include <errno.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <cstdlib>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "chat/metrics/metrics.h"
#include "chat/testing/line_client.h"
#include "chat/testing/socket_pair.h"
#include "chat/testing/test_files.h"
#include "chat/testing/tls_client.h"
#include "chat/transport/tls_context.h"
#include "gtest/gtest.h"

namespace chat {
namespace {

using testing::LineClient;
using testing::TempPath;
using testing::TlsClient;

// The server's context, from a certificate made for this test binary.
std::shared_ptr<SSL_CTX> ServerContext() {
  static TlsServerContext* const context = [] {
    const std::string cert = TempPath("transport_cert.pem");
    const std::string key = TempPath("transport_key.pem");
    const absl::Status written = testing::WriteSelfSignedCertificate(cert, key, "transport-test");
    EXPECT_TRUE(written.ok()) << written;
    absl::StatusOr<std::unique_ptr<TlsServerContext>> loaded = TlsServerContext::Load(cert, key);
    EXPECT_TRUE(loaded.ok()) << loaded.status();
    return loaded->release();
  }();
  return context->Current();
}

// Runs a transport as Session does: the reader thread collects what Receive() returns
// until it ends; the writer thread sends what the test queues, answers the output-pending
// callback with Send({}), and finishes on request.
class Driver {
 public:
  explicit Driver(std::unique_ptr<Transport> transport) : transport_(std::move(transport)) {
    transport_->SetOnOutputPending([this] {
      absl::MutexLock lock(&mu_);
      output_pending_ = true;
    });
    writer_ = std::jthread([this] { WriteLoop(); });
    reader_ = std::jthread([this] { ReadLoop(); });
  }
  ~Driver() {
    {
      absl::MutexLock lock(&mu_);
      stop_ = true;
    }
    transport_->Shutdown(SHUT_RDWR);
    reader_.join();
    writer_.join();
  }

  void Queue(std::string bytes) {
    absl::MutexLock lock(&mu_);
    queue_.push_back(std::move(bytes));
  }
  // The writer ends the stream (FinishSending) once everything queued is sent.
  void Finish() {
    absl::MutexLock lock(&mu_);
    finish_ = true;
  }

  // Waits until `n` bytes have been received or Receive() ended; returns them.
  std::string AwaitReceived(size_t n) {
    absl::MutexLock lock(&mu_);
    const auto ready = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return received_.size() >= n || end_.has_value();
    };
    mu_.AwaitWithTimeout(absl::Condition(&ready), absl::Seconds(30));
    return received_;
  }
  // Waits for Receive() to end; its last result (0 or -1) and errno.
  std::pair<ssize_t, int> AwaitEnd() {
    absl::MutexLock lock(&mu_);
    const auto ended = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return end_.has_value(); };
    mu_.AwaitWithTimeout(absl::Condition(&ended), absl::Seconds(30));
    return end_.value_or(std::pair<ssize_t, int>{1, 0});
  }
  // The writer's results so far, in order: the last Send's.
  SendResult last_send() {
    absl::MutexLock lock(&mu_);
    return last_send_;
  }

  Transport& transport() { return *transport_; }

 private:
  void ReadLoop() {
    char buffer[16 * 1024];
    while (true) {
      const ssize_t got = transport_->Receive(buffer, sizeof(buffer));
      const int error = errno;
      absl::MutexLock lock(&mu_);
      if (got <= 0) {
        end_ = {got, error};
        return;
      }
      received_.append(buffer, static_cast<size_t>(got));
    }
  }

  void WriteLoop() {
    while (true) {
      std::deque<std::string> batch;
      bool finish = false;
      {
        absl::MutexLock lock(&mu_);
        const auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return stop_ || finish_ || output_pending_ || !queue_.empty();
        };
        mu_.Await(absl::Condition(&ready));
        if (stop_) return;
        batch.swap(queue_);
        output_pending_ = false;
        finish = finish_;
      }
      SendResult result = transport_->Send({});
      for (const std::string& bytes : batch) {
        if (result == SendResult::kOk) result = transport_->Send(bytes);
      }
      if (finish && result == SendResult::kOk) result = transport_->FinishSending();
      absl::MutexLock lock(&mu_);
      last_send_ = result;
      if (finish) {
        const auto stopped = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_; };
        mu_.Await(absl::Condition(&stopped));
        return;
      }
    }
  }

  const std::unique_ptr<Transport> transport_;
  absl::Mutex mu_;
  std::deque<std::string> queue_ ABSL_GUARDED_BY(mu_);
  bool output_pending_ ABSL_GUARDED_BY(mu_) = false;
  bool finish_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::string received_ ABSL_GUARDED_BY(mu_);
  std::optional<std::pair<ssize_t, int>> end_ ABSL_GUARDED_BY(mu_);
  SendResult last_send_ ABSL_GUARDED_BY(mu_) = SendResult::kOk;
  std::jthread writer_;
  std::jthread reader_;
};

class TlsTransportTest : public ::testing::Test {
 protected:
  // A TlsTransport on one end of a socketpair, running; the test gets the other end.
  ScopedFd Start() {
    testing::SocketPair pair = testing::MakeSocketPair();
    driver_ = std::make_unique<Driver>(std::make_unique<TlsTransport>(
        std::move(pair.server_end), ServerContext().get(), &handshake_failures_));
    return std::move(pair.client_end);
  }

  TlsClient Handshake(int max_version = 0) {
    absl::StatusOr<TlsClient> client =
        TlsClient::Handshake(Start(), TlsClient::Options{.max_version = max_version});
    EXPECT_TRUE(client.ok()) << client.status();
    return *std::move(client);
  }

  metrics::Counter handshake_failures_;
  std::unique_ptr<Driver> driver_;
};

class TlsVersionTest : public TlsTransportTest, public ::testing::WithParamInterface<int> {};

TEST_P(TlsVersionTest, BannerBeforeTheHandshakeThenLinesBothWays) {
  testing::SocketPair pair = testing::MakeSocketPair();
  driver_ = std::make_unique<Driver>(std::make_unique<TlsTransport>(
      std::move(pair.server_end), ServerContext().get(), &handshake_failures_));
  // Queued before the client has said anything: held until the handshake completes.
  driver_->Queue("Welcome!\n[ENTER YOUR NAME]: ");
  absl::StatusOr<TlsClient> client = TlsClient::Handshake(
      std::move(pair.client_end), TlsClient::Options{.max_version = GetParam()});
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_EQ(client->Version(), GetParam() == TLS1_2_VERSION ? "TLSv1.2" : "TLSv1.3");
  EXPECT_EQ(client->PeerCommonName(), "transport-test");
  EXPECT_EQ(client->ReadUntil("NAME]: "), "Welcome!\n[ENTER YOUR NAME]: ");

  ASSERT_TRUE(client->Send("alice\nhello there\n"));
  EXPECT_EQ(driver_->AwaitReceived(18), "alice\nhello there\n");
  driver_->Queue("\n[bob]:hi alice\n");
  EXPECT_EQ(client->ReadUntil("alice\n"), "\n[bob]:hi alice\n");
  EXPECT_EQ(handshake_failures_.value(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Versions, TlsVersionTest, ::testing::Values(TLS1_2_VERSION, 0),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return info.param == TLS1_2_VERSION ? "Tls12" : "Tls13";
                         });

TEST_F(TlsTransportTest, LongOutputIsSplitIntoRecordsAndArrivesWhole) {
  TlsClient client = Handshake();
  std::string big;
  for (int i = 0; big.size() < 100 * 1024; ++i) absl::StrAppend(&big, "line ", i, "\n");
  driver_->Queue(big);
  EXPECT_EQ(client.Read(big.size()), big);
}

TEST_F(TlsTransportTest, CloseNotifyIsEndOfStream) {
  TlsClient client = Handshake();
  ASSERT_TRUE(client.Send("last words\n"));
  ASSERT_TRUE(client.SendCloseNotify());
  EXPECT_EQ(driver_->AwaitReceived(11), "last words\n");
  const auto [result, error] = driver_->AwaitEnd();
  EXPECT_EQ(result, 0);
}

TEST_F(TlsTransportTest, FinishSendingEndsWithCloseNotifyAfterTheLastByte) {
  TlsClient client = Handshake();
  driver_->Queue("Server is shutting down. Goodbye!\n");
  driver_->Finish();
  EXPECT_EQ(client.ReadToEnd(), "Server is shutting down. Goodbye!\n");
  EXPECT_TRUE(client.saw_close_notify());
  // Half-closed, as over plain TCP: the client can still be read from.
  ASSERT_TRUE(client.Send("still here\n"));
  EXPECT_EQ(driver_->AwaitReceived(11), "still here\n");
}

TEST_F(TlsTransportTest, KeyUpdateRequestedByTheClientKeepsLinesFlowing) {
  TlsClient client = Handshake();
  ASSERT_EQ(client.Version(), "TLSv1.3");
  ASSERT_TRUE(client.RequestKeyUpdate());
  ASSERT_TRUE(client.Send("after the update\n"));
  EXPECT_EQ(driver_->AwaitReceived(17), "after the update\n");
  driver_->Queue("answered\n");
  EXPECT_EQ(client.ReadUntil("\n"), "answered\n");
  ASSERT_TRUE(client.Send("and again\n"));
  EXPECT_EQ(driver_->AwaitReceived(27), "after the update\nand again\n");
}

TEST_F(TlsTransportTest, RenegotiationIsRefused) {
  TlsClient client = Handshake(TLS1_2_VERSION);
  ASSERT_EQ(client.Version(), "TLSv1.2");
  EXPECT_FALSE(client.Renegotiate());
  // The server refused (a no_renegotiation alert) without redoing its half of a
  // handshake; the client gave up with a fatal alert, which ends the connection. The
  // handshake itself had succeeded: it is not counted as a failed one.
  const auto [result, error] = driver_->AwaitEnd();
  EXPECT_EQ(result, -1);
  EXPECT_EQ(error, EPROTO);
  EXPECT_EQ(handshake_failures_.value(), 0u);
}

TEST_F(TlsTransportTest, PlainTextInsteadOfAHandshakeFailsOnlyThisConnection) {
  LineClient client(Start());
  ASSERT_TRUE(client.Send("alice\nhello\n"));  // someone used nc on the TLS port
  const auto [result, error] = driver_->AwaitEnd();
  EXPECT_EQ(result, -1);
  EXPECT_EQ(error, EPROTO);
  EXPECT_EQ(handshake_failures_.value(), 1u);
  // Whatever OpenSSL said last (an alert) may reach the client; nothing readable does.
  driver_->Finish();
  const std::string answer = client.ReadToEnd();
  EXPECT_FALSE(absl::StrContains(answer, "alice")) << answer;
}

TEST_F(TlsTransportTest, AnOversizedRecordIsRefused) {
  LineClient client(Start());
  // A handshake record header claiming 65535 bytes, far over the 16 KiB + 2 KiB a TLS
  // record may have: refused from the header, not buffered.
  ASSERT_TRUE(client.Send(std::string("\x16\x03\x01\xff\xff", 5) + std::string(1024, 'x')));
  const auto [result, error] = driver_->AwaitEnd();
  EXPECT_EQ(result, -1);
  EXPECT_EQ(error, EPROTO);
  EXPECT_EQ(handshake_failures_.value(), 1u);
}

TEST_F(TlsTransportTest, PeerThatVanishesMidHandshakeIsEndOfStream) {
  {
    LineClient client(Start());
    ASSERT_TRUE(client.Send(std::string("\x16\x03\x01\x00\x40", 5)));  // a header, no body
  }
  const auto [result, error] = driver_->AwaitEnd();
  EXPECT_EQ(result, 0);
  EXPECT_EQ(handshake_failures_.value(), 0u) << "a client leaving is not a failed handshake";
}

TEST(TlsTransportTimeoutTest, ReceiveTimesOutWithEagainWhenNothingComes) {
  testing::SocketPair pair = testing::MakeSocketPair();
  TlsTransport transport(std::move(pair.server_end), ServerContext().get());
  transport.SetReceiveTimeout(absl::Milliseconds(20));
  char buffer[256];
  EXPECT_EQ(transport.Receive(buffer, sizeof(buffer)), -1);
  EXPECT_TRUE(errno == EAGAIN || errno == EWOULDBLOCK) << errno;
}

TEST(TlsTransportTimeoutTest, AHandshakeTrickleDoesNotRestartTheTimeout) {
  testing::SocketPair pair = testing::MakeSocketPair();
  TlsTransport transport(std::move(pair.server_end), ServerContext().get());
  transport.SetReceiveTimeout(absl::Milliseconds(200));
  // One byte of a 16 KiB ClientHello record every 20 ms, until the test ends (the record
  // would take over five minutes): each recv() returns data, none of it application
  // data. If a byte restarted the timeout, Receive() would not return while this runs.
  std::jthread trickle([fd = pair.client_end.get()](std::stop_token stop) {
    const std::string header("\x16\x03\x01\x40\x00", 5);
    for (int i = 0; !stop.stop_requested(); ++i) {
      const char byte = i < 5 ? header[i] : '\x01';
      if (::send(fd, &byte, 1, MSG_NOSIGNAL) != 1) return;
      absl::SleepFor(absl::Milliseconds(20));
    }
  });
  char buffer[256];
  EXPECT_EQ(transport.Receive(buffer, sizeof(buffer)), -1);
  EXPECT_TRUE(errno == EAGAIN || errno == EWOULDBLOCK) << errno;
  trickle.request_stop();
}

TEST(TlsTransportEarlyOutputTest, PlaintextBeforeTheHandshakeIsBounded) {
  testing::SocketPair pair = testing::MakeSocketPair();
  TlsTransport transport(std::move(pair.server_end), ServerContext().get());
  EXPECT_EQ(transport.Send(std::string(1000, 'b')), SendResult::kOk);  // a banner: held
  EXPECT_EQ(transport.Send(std::string(TlsTransport::kMaxEarlyPlaintextBytes, 'x')),
            SendResult::kClosed);
}

// The reader and the writer at full tilt on one connection: ThreadSanitizer checks that
// the SSL object is never used by both at once.
TEST_F(TlsTransportTest, ReadingAndWritingAtOnce) {
  TlsClient client = Handshake();
  constexpr int kLines = 300;
  std::string from_client;
  std::string from_server;
  for (int i = 0; i < kLines; ++i) {
    absl::StrAppend(&from_client, "client line ", i, "\n");
    absl::StrAppend(&from_server, "server line ", i, "\n");
  }
  // Line by line, so the writer's records and the reader's interleave.
  for (int i = 0; i < kLines; ++i) driver_->Queue(absl::StrCat("server line ", i, "\n"));
  for (int i = 0; i < kLines; ++i) ASSERT_TRUE(client.Send(absl::StrCat("client line ", i, "\n")));
  EXPECT_EQ(client.Read(from_server.size()), from_server);
  EXPECT_EQ(driver_->AwaitReceived(from_client.size()), from_client);
}

}  // namespace
}  // namespace chat
