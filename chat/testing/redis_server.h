// chat/testing/redis_server.h: a real redis-server for tests, on a free loopback port.

#ifndef CHAT_TESTING_REDIS_SERVER_H_
#define CHAT_TESTING_REDIS_SERVER_H_

#include <sys/types.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "chat/testing/subprocess.h"

namespace chat::testing {

// RedisServer runs /usr/bin/redis-server (Debian's redis-server package) bound to
// 127.0.0.1 on a free port, its files in a fresh directory under TEST_TMPDIR, with no
// RDB snapshots (--save ""). With `append_only`, every write is fsynced to an AOF first
// (--appendonly yes --appendfsync always), so Kill9() then Restart() loses nothing.
// Only the process it started is ever signalled (by PID). The destructor kills it.
class RedisServer {
 public:
  explicit RedisServer(bool append_only = false);
  // With `password`, clients must AUTH with it (--requirepass).
  RedisServer(bool append_only, std::string password);
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  // RedisServer::Start() starts the server and waits until it answers PING.
  absl::Status Start();
  // RedisServer::Stop() shuts it down (SIGTERM) and waits for it to exit.
  void Stop();
  // RedisServer::Kill9() kills it with SIGKILL: a crash.
  void Kill9();
  // RedisServer::Pause() stops it (SIGSTOP): connections and connects still complete in
  // the kernel, but nothing is answered, as with a Redis that stalls. Resume() (SIGCONT)
  // lets it go on. Stop() and Kill9() work on a paused server.
  void Pause();
  void Resume();
  // RedisServer::Restart() starts it again on the same port and directory.
  absl::Status Restart() { return Start(); }

  int port() const { return port_; }
  // "127.0.0.1:<port>", for --redis.
  std::string address() const;
  bool running() const { return process_ != nullptr; }

 private:
  const bool append_only_;
  const std::string password_;
  std::string dir_;
  int port_ = -1;
  std::unique_ptr<Subprocess> process_;
};

}  // namespace chat::testing

#endif  // CHAT_TESTING_REDIS_SERVER_H_
