#include "chat/testing/redis_server.h"

#include <signal.h>
#include <stdlib.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "chat/cluster/redis_client.h"
#include "chat/socket.h"

namespace chat::testing {
namespace {

constexpr char kRedisServer[] = "/usr/bin/redis-server";

int FreePort() {
  absl::StatusOr<ScopedFd> probe = ListenTcp("127.0.0.1", 0, 1);
  if (!probe.ok()) return -1;
  absl::StatusOr<int> port = LocalPort(probe->get());
  return port.ok() ? *port : -1;
}

}  // namespace

RedisServer::RedisServer(bool append_only) : RedisServer(append_only, "") {}

RedisServer::RedisServer(bool append_only, std::string password)
    : append_only_(append_only), password_(std::move(password)) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string pattern = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/redis.XXXXXX");
  if (::mkdtemp(pattern.data()) != nullptr) dir_ = pattern;
}

RedisServer::~RedisServer() { Kill9(); }

std::string RedisServer::address() const { return absl::StrCat("127.0.0.1:", port_); }

absl::Status RedisServer::Start() {
  if (process_ != nullptr) return absl::FailedPreconditionError("already running");
  if (dir_.empty()) return absl::InternalError("no temporary directory");
  if (port_ < 0) port_ = FreePort();
  std::vector<std::string> argv = {kRedisServer,
                                   "--port", absl::StrCat(port_),
                                   "--bind", "127.0.0.1",
                                   "--save", "",
                                   "--dir", dir_,
                                   "--logfile", absl::StrCat(dir_, "/redis.log"),
                                   "--daemonize", "no",
                                   "--protected-mode", "no"};
  if (append_only_) {
    argv.insert(argv.end(), {"--appendonly", "yes", "--appendfsync", "always"});
  }
  if (!password_.empty()) argv.insert(argv.end(), {"--requirepass", password_});
  process_ = std::make_unique<Subprocess>(argv);
  // Generous: a loaded machine running sanitizer builds in parallel is slow to start.
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  cluster::RedisConnection connection({"127.0.0.1", port_, password_}, absl::Seconds(1));
  while (absl::Now() < deadline) {
    if (connection.Connect().ok()) {
      absl::StatusOr<cluster::ReplyPtr> reply = connection.Command({"PING"});
      if (reply.ok() && cluster::ReplyText(**reply) == "PONG") return absl::OkStatus();
    }
    if (process_->Wait(absl::Milliseconds(20)).has_value()) {
      process_.reset();
      return absl::UnavailableError(absl::StrCat("redis-server exited; see ", dir_, "/redis.log"));
    }
  }
  return absl::DeadlineExceededError("redis-server did not answer PING");
}

void RedisServer::Pause() {
  if (process_ != nullptr) process_->Signal(SIGSTOP);
}

void RedisServer::Resume() {
  if (process_ != nullptr) process_->Signal(SIGCONT);
}

void RedisServer::Stop() {
  if (process_ == nullptr) return;
  process_->Signal(SIGTERM);
  process_->Signal(SIGCONT);  // a paused server only sees the SIGTERM once it runs
  if (!process_->Wait(absl::Seconds(30)).has_value()) process_->Signal(SIGKILL);
  process_.reset();  // reaps (kills first if still running)
}

void RedisServer::Kill9() {
  if (process_ == nullptr) return;
  process_->Signal(SIGKILL);
  process_->Wait(absl::Seconds(30));
  process_.reset();
}

}  // namespace chat::testing
