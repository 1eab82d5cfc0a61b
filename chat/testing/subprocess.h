// chat/testing/subprocess.h: runs a program with its stdout and stderr captured.

#ifndef CHAT_TESTING_SUBPROCESS_H_
#define CHAT_TESTING_SUBPROCESS_H_

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "chat/socket.h"

namespace chat::testing {

// Subprocess starts `argv` with stdout on a pipe and stderr in a temporary file (and, if
// asked, stdin on a pipe the test writes to). The destructor kills (SIGKILL) and reaps a
// child that is still running, so a failing test leaves nothing.
class Subprocess {
 public:
  explicit Subprocess(const std::vector<std::string>& argv, bool pipe_stdin = false);
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }

  // Subprocess::ReadStdoutLine() returns the next line of stdout without its newline,
  // or nullopt at end of stream or after `timeout`.
  std::optional<std::string> ReadStdoutLine(absl::Duration timeout);

  // Subprocess::ReadStdoutUntil() returns stdout up to and including the next `marker`,
  // or nullopt at end of stream or after `timeout` (what was read stays pending).
  std::optional<std::string> ReadStdoutUntil(std::string_view marker, absl::Duration timeout);

  // Subprocess::WriteStdin() writes to the child's stdin (with pipe_stdin); false if it
  // is gone. Subprocess::CloseStdin() gives it end of file.
  bool WriteStdin(std::string_view bytes);
  void CloseStdin() { stdin_.Reset(); }

  void Signal(int signal_number);

  // Subprocess::Wait() waits up to `timeout` for exit; returns the raw wait status,
  // or nullopt if the child is still running.
  std::optional<int> Wait(absl::Duration timeout);

  // Everything the child wrote to stdout after the lines already read (call after
  // Wait()), and everything it has written to stderr so far.
  std::string DrainStdout();
  std::string DrainStderr();

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  ScopedFd stdin_;
  ScopedFd stdout_;
  ScopedFd stderr_;
  std::string stdout_pending_;
};

}  // namespace chat::testing

#endif  // CHAT_TESTING_SUBPROCESS_H_
