// accept() failing with EMFILE must not crash the server or spin: it backs off, keeps
// serving the clients it has, and admits the waiting client once descriptors free up.
// A test binary of its own, because it lowers RLIMIT_NOFILE for the whole process.

#include <sys/resource.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "chat/message.h"
#include "chat/server.h"
#include "chat/testing/fake_clock.h"
#include "chat/testing/line_client.h"
#include "chat/testing/protocol.h"
#include "gtest/gtest.h"

// Under TSan this test's frames come unsymbolised (the symbolizer needs a descriptor), so
// Abseil's known ThreadIdentity false positive can only be matched by its module; this
// binary alone takes that broad suppression (see tools/sanitizers/tsan_suppressions.cc).
extern "C" const char* TcpchatExtraTsanSuppressions() {
  return "race:libexternal_Scom_Ugoogle_Uabsl_Sabsl_Ssynchronization_Slibsynchronization.so\n";
}
extern "C" const char* __tsan_default_suppressions();

namespace chat {
namespace {

TEST(ServerFdExhaustionTest, OnlyThisBinaryTakesTheModuleWideSuppression) {
  const std::string suppressions = __tsan_default_suppressions();
  EXPECT_NE(suppressions.find("race:tzset_internal\n"), std::string::npos) << suppressions;
  EXPECT_NE(suppressions.find("libsynchronization.so\n"), std::string::npos) << suppressions;
}

using testing::LineClient;

TEST(ServerFdExhaustionTest, BacksOffAndRecoversWhenDescriptorsRunOut) {
  testing::FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  ServerOptions options;
  options.address = "127.0.0.1";
  options.port = 0;
  // No notice sweeps while descriptors are exhausted: UBSan checks the target of each
  // virtual call (Waker::Wake) through a pipe of its own, and none can be opened then.
  options.notice_wake_interval = absl::ZeroDuration();
  Server server(options, clock, absl::UTCTimeZone());
  ASSERT_TRUE(server.Listen().ok());
  std::jthread runner([&] { server.Run(); });

  const std::string welcome = testing::Welcome();
  absl::StatusOr<LineClient> alice = LineClient::Connect(server.port());
  ASSERT_TRUE(alice.ok());
  ASSERT_EQ(alice->Read(welcome.size()), welcome);
  alice->Send("alice\n");
  const std::string prompt = FormatPrompt(clock.Now(), absl::UTCTimeZone(), "alice");
  ASSERT_EQ(alice->Read(prompt.size()), prompt);

  // Create both remaining clients' sockets now: once the limit is down, the test could
  // not create them either.
  ScopedFd carol_socket = LineClient::NewSocket();
  ScopedFd dave_socket = LineClient::NewSocket();
  ASSERT_TRUE(carol_socket.valid() && dave_socket.valid());

  // No new descriptor may be allocated from here on. The acceptor is already blocked in
  // accept(), holding the descriptor it reserved, so exactly one more client gets in.
  rlimit original;
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &original), 0);
  const int lowest_free = ::dup(0);
  ASSERT_GE(lowest_free, 0);
  ::close(lowest_free);
  rlimit tight = original;
  tight.rlim_cur = static_cast<rlim_t>(lowest_free);
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &tight), 0);

  absl::StatusOr<LineClient> carol = LineClient::ConnectSocket(std::move(carol_socket), server.port());
  ASSERT_TRUE(carol.ok()) << carol.status();
  EXPECT_EQ(carol->Read(welcome.size()), welcome);

  // Now accept() fails with EMFILE. Dave waits in the backlog; the server backs off and
  // keeps serving the clients it has.
  absl::StatusOr<LineClient> dave = LineClient::ConnectSocket(std::move(dave_socket), server.port());
  ASSERT_TRUE(dave.ok()) << dave.status();
  // (A /ping rather than a chat line: UBSan's vptr check on a virtual call needs a pipe
  // of its own, and no descriptor is left for it.)
  alice->Send("/ping\n");
  const std::string pong = absl::StrCat("pong ", FormatTimestamp(clock.Now(), absl::UTCTimeZone()),
                                        "\n", prompt);
  EXPECT_EQ(alice->Read(pong.size()), pong);
  EXPECT_TRUE(dave->ReceivedNothingFor(absl::Milliseconds(300)));

  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &original), 0);
  EXPECT_EQ(dave->Read(welcome.size()), welcome);  // admitted after the back-off

  server.Stop();
}

}  // namespace
}  // namespace chat
