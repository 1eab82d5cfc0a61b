#include "chat/testing/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "absl/time/clock.h"

namespace chat::testing {
namespace {

std::string DrainFd(int fd) {
  std::string out;
  char buffer[4096];
  ssize_t got;
  while ((got = ::read(fd, buffer, sizeof(buffer))) > 0) out.append(buffer, got);
  return out;
}

}  // namespace

Subprocess::Subprocess(const std::vector<std::string>& argv, bool pipe_stdin) {
  int out_pipe[2];
  int in_pipe[2] = {-1, -1};
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || (pipe_stdin && ::pipe2(in_pipe, O_CLOEXEC) != 0)) {
    std::perror("pipe2");
    std::abort();
  }
  // stderr goes to an unlinked temporary file, not a pipe: a chatty child must never
  // block on a full pipe that the test only reads at the end.
  FILE* err_file = std::tmpfile();
  if (err_file == nullptr) {
    std::perror("tmpfile");
    std::abort();
  }
  const int err_fd = ::dup(::fileno(err_file));
  std::fclose(err_file);
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ == 0) {
    if (pipe_stdin) ::dup2(in_pipe[0], STDIN_FILENO);
    ::dup2(out_pipe[1], STDOUT_FILENO);
    ::dup2(err_fd, STDERR_FILENO);
    ::execv(args[0], args.data());
    std::perror("execv");
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  stdout_.Reset(out_pipe[0]);
  if (pipe_stdin) {
    // A child that exits makes WriteStdin() fail, not kill the test.
    ::signal(SIGPIPE, SIG_IGN);
    ::close(in_pipe[0]);
    stdin_.Reset(in_pipe[1]);
  }
  stderr_.Reset(err_fd);
}

Subprocess::~Subprocess() {
  if (pid_ > 0 && !reaped_) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

std::optional<std::string> Subprocess::ReadStdoutLine(absl::Duration timeout) {
  std::optional<std::string> line = ReadStdoutUntil("\n", timeout);
  if (line.has_value()) line->pop_back();
  return line;
}

bool Subprocess::WriteStdin(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t wrote = ::write(stdin_.get(), bytes.data(), bytes.size());
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(wrote));
  }
  return true;
}

std::optional<std::string> Subprocess::ReadStdoutUntil(std::string_view marker,
                                                       absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    const size_t at = stdout_pending_.find(marker);
    if (at != std::string::npos) {
      std::string out = stdout_pending_.substr(0, at + marker.size());
      stdout_pending_.erase(0, at + marker.size());
      return out;
    }
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return std::nullopt;
    pollfd p{.fd = stdout_.get(), .events = POLLIN, .revents = 0};
    if (::poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1) <= 0) {
      return std::nullopt;
    }
    char buffer[4096];
    const ssize_t got = ::read(stdout_.get(), buffer, sizeof(buffer));
    if (got <= 0) return std::nullopt;
    stdout_pending_.append(buffer, got);
  }
}

void Subprocess::Signal(int signal_number) {
  if (pid_ > 0 && !reaped_) ::kill(pid_, signal_number);
}

std::optional<int> Subprocess::Wait(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    int status = 0;
    const pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      reaped_ = true;
      return status;
    }
    if (absl::Now() >= deadline) return std::nullopt;
    absl::SleepFor(absl::Milliseconds(10));
  }
}

std::string Subprocess::DrainStdout() {
  return std::exchange(stdout_pending_, {}) + DrainFd(stdout_.get());
}

std::string Subprocess::DrainStderr() {
  ::lseek(stderr_.get(), 0, SEEK_SET);
  return DrainFd(stderr_.get());
}

}  // namespace chat::testing
