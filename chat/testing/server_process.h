// chat/testing/server_process.h: the real server binary as the binary tests drive it.

#ifndef CHAT_TESTING_SERVER_PROCESS_H_
#define CHAT_TESTING_SERVER_PROCESS_H_

#include <sys/wait.h>

#include <optional>
#include <string>
#include <string_view>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/time/time.h"
#include "chat/socket.h"
#include "chat/testing/subprocess.h"
#include "gtest/gtest.h"

namespace chat::testing {

// ReadPortLine() reads the server's next stdout line, expects "<prefix><port>" (such as
// "Listening on the port :8989") and returns the port; -1 (after a test failure) if the
// line does not come within `patience` or says something else.
inline int ReadPortLine(Subprocess& server, std::string_view prefix, absl::Duration patience) {
  const std::optional<std::string> line = server.ReadStdoutLine(patience);
  EXPECT_TRUE(line.has_value()) << server.DrainStderr();
  if (!line.has_value()) return -1;
  EXPECT_TRUE(absl::StartsWith(*line, prefix)) << *line;
  int port = -1;
  if (!absl::StartsWith(*line, prefix) || !absl::SimpleAtoi(line->substr(prefix.size()), &port)) {
    ADD_FAILURE() << "no port in: " << *line;
    return -1;
  }
  return port;
}

// FreeLoopbackPort() is a loopback port nothing listens on right now (for a flag that
// takes a fixed port; 0 would do where the server reports what it bound).
inline int FreeLoopbackPort() {
  absl::StatusOr<ScopedFd> probe = ListenTcp("127.0.0.1", 0, 1);
  EXPECT_TRUE(probe.ok()) << probe.status();
  return probe.ok() ? *LocalPort(probe->get()) : -1;
}

// MakeCertificate() runs tools/make_cert.sh (the script README tells people to use) to
// write a self-signed cert.pem and key.pem for host `name` into `dir`; the test needs
// "//tools:make_cert.sh" in its data.
inline void MakeCertificate(const std::string& dir, const std::string& name) {
  Subprocess make({"/bin/bash", "tools/make_cert.sh", dir, name});
  const std::optional<int> status = make.Wait(absl::Seconds(60));
  ASSERT_TRUE(status.has_value());
  ASSERT_EQ(WEXITSTATUS(*status), 0) << make.DrainStderr();
}

}  // namespace chat::testing

#endif  // CHAT_TESTING_SERVER_PROCESS_H_
