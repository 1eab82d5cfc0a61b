#include "chat/socket.h"

#include <errno.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "chat/testing/socket_pair.h"
#include "gtest/gtest.h"

namespace chat {
namespace {

using testing::MakeSocketPair;

TEST(SendAllTest, WritesEverythingAcrossPartialWrites) {
  testing::SocketPair pair = MakeSocketPair();
  const int small = 4096;
  ::setsockopt(pair.server_end.get(), SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
  const std::string payload(256 * 1024, 'z');
  std::string received;
  std::thread reader([&] {
    char buffer[8192];
    while (received.size() < payload.size()) {
      const ssize_t got = RecvSome(pair.client_end.get(), buffer, sizeof(buffer));
      if (got <= 0) break;
      received.append(buffer, got);
    }
  });
  EXPECT_EQ(SendAll(pair.server_end.get(), payload), SendResult::kOk);
  reader.join();
  EXPECT_EQ(received, payload);
}

TEST(SendAllTest, PeerGoneIsAnErrorNotSigpipe) {
  testing::SocketPair pair = MakeSocketPair();
  pair.client_end.Reset();
  // Without MSG_NOSIGNAL this would kill the test process with SIGPIPE.
  EXPECT_EQ(SendAll(pair.server_end.get(), "hello"), SendResult::kClosed);
}

TEST(SendAllTest, TimesOutWhenPeerNeverReads) {
  testing::SocketPair pair = MakeSocketPair();
  ASSERT_TRUE(SetSendTimeout(pair.server_end.get(), absl::Milliseconds(50)));
  const std::string payload(8 * 1024 * 1024, 'z');  // far more than socket buffers hold
  EXPECT_EQ(SendAll(pair.server_end.get(), payload), SendResult::kTimedOut);
}

TEST(RecvSomeTest, EndOfStreamIsZero) {
  testing::SocketPair pair = MakeSocketPair();
  ASSERT_EQ(SendAll(pair.client_end.get(), "ab"), SendResult::kOk);
  pair.client_end.Reset();
  char buffer[8];
  EXPECT_EQ(RecvSome(pair.server_end.get(), buffer, sizeof(buffer)), 2);
  EXPECT_EQ(RecvSome(pair.server_end.get(), buffer, sizeof(buffer)), 0);
}

TEST(ListenTcpTest, PortZeroPicksAFreePortOnLoopback) {
  absl::StatusOr<ScopedFd> listener = ListenTcp("127.0.0.1", 0, 8);
  ASSERT_TRUE(listener.ok()) << listener.status();
  absl::StatusOr<int> port = LocalPort(listener->get());
  ASSERT_TRUE(port.ok());
  EXPECT_GT(*port, 0);
}

TEST(ListenTcpTest, AllInterfacesIsDualStack) {
  absl::StatusOr<ScopedFd> listener = ListenTcp("", 0, 8);
  ASSERT_TRUE(listener.ok()) << listener.status();
  EXPECT_TRUE(LocalPort(listener->get()).ok());
}

TEST(ListenTcpTest, RejectsNonNumericAddress) {
  EXPECT_FALSE(ListenTcp("localhost", 0, 8).ok());
}

TEST(PeerAddressTest, NamesUnixSocketPairs) {
  testing::SocketPair pair = MakeSocketPair();
  EXPECT_EQ(PeerAddress(pair.server_end.get()), "unix");
}

TEST(SocketTest, AcceptErrorsAreClassifiedOnce) {
  EXPECT_EQ(ClassifyAcceptError(EAGAIN), AcceptFailure::kNothingPending);
  for (int error : {EINTR, ECONNABORTED, EPROTO, ENETDOWN, EHOSTUNREACH, ENETUNREACH}) {
    EXPECT_EQ(ClassifyAcceptError(error), AcceptFailure::kRetryNow) << error;
  }
  for (int error : {EMFILE, ENFILE, ENOBUFS, ENOMEM}) {
    EXPECT_EQ(ClassifyAcceptError(error), AcceptFailure::kOutOfResources) << error;
  }
  EXPECT_EQ(ClassifyAcceptError(EBADF), AcceptFailure::kUnexpected);
}

}  // namespace
}  // namespace chat
