// chat/cluster/redis_pool.h: a few RedisConnections shared by many threads.
//
// Defines:
//   RedisPool - hands a connected RedisConnection to one caller at a time.
//
// Session threads that talk to Redis now and then (a login's account lookup, a /msg to
// another instance) each need a connection for one command or two; one connection per
// session would be thousands, one shared connection would serialise them all behind
// whichever waits longest. The pool's lock is held only to take or return a connection,
// never during I/O, so a slow Redis delays only the callers waiting on their replies.

#ifndef CHAT_CLUSTER_REDIS_POOL_H_
#define CHAT_CLUSTER_REDIS_POOL_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "chat/cluster/redis_client.h"

namespace chat::cluster {

// RedisPool keeps up to `max_idle` idle connections; a caller finding none idle opens
// one more, up to `max_open` at once (idle or in use), and one closed afterwards if the
// idle ones are already enough. Beyond `max_open` a caller waits, up to the timeout, for
// one to come back, then gets Unavailable: a burst of callers (a thousand sessions each
// sending a /msg) costs Redis a bounded number of connections, not a connect/close
// storm that could eat its `maxclients`, which the rooms' and names' connections share. A connection that broke during use is dropped, so the
// next caller reconnects. The one retry: an idle connection that Redis had closed
// (restarted, or its `timeout` dropped idle clients) fails before any reply, so `use`
// runs once more on a fresh connection. Nothing else is retried: a command whose reply
// was lost (a timeout) may have run, and only its caller knows whether running it
// twice is harmless. Thread-safe.
class RedisPool {
 public:
  RedisPool(RedisAddress address, absl::Duration timeout, size_t max_idle,
            size_t max_open = kDefaultMaxOpen);
  static constexpr size_t kDefaultMaxOpen = 32;
  RedisPool(const RedisPool&) = delete;
  RedisPool& operator=(const RedisPool&) = delete;

  // RedisPool::Use() runs `use` with a connected connection; its status is returned (or
  // the connecting error, without calling `use`).
  absl::Status Use(absl::FunctionRef<absl::Status(RedisConnection&)> use)
      ABSL_LOCKS_EXCLUDED(mu_);

  // RedisPool::Command() is Use() for one command. A Redis error reply ("-ERR ...") is
  // an Internal error here: callers give FailedPrecondition its own meaning.
  absl::StatusOr<ReplyPtr> Command(const std::vector<std::string>& argv) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  const RedisAddress address_;
  const absl::Duration timeout_;
  // True when a caller may go on: a connection is idle, or another may be opened.
  bool CanTake() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !idle_.empty() || open_ < max_open_;
  }
  // Hands a connection back (kept idle if it is connected and there is room).
  void GiveBack(std::unique_ptr<RedisConnection> connection) ABSL_LOCKS_EXCLUDED(mu_);

  const size_t max_idle_;
  const size_t max_open_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<RedisConnection>> idle_ ABSL_GUARDED_BY(mu_);
  size_t open_ ABSL_GUARDED_BY(mu_) = 0;  // idle plus in use
};

}  // namespace chat::cluster

#endif  // CHAT_CLUSTER_REDIS_POOL_H_
