// chat/cluster/redis_client.h: one blocking connection to Redis (hiredis), and backoff.
//
// Defines:
//   RedisAddress     - host and port, parsed from --redis=HOST:PORT.
//   ReplyPtr         - an owned hiredis reply.
//   RedisConnection  - connect with a timeout, commands as argv (never formatted), pipelining.
//   Backoff          - capped exponential delays between reconnect attempts.
//
// Blocking hiredis fits thread-per-connection: each thread that talks to Redis owns its
// own RedisConnection (a hiredis context is not thread-safe).

#ifndef CHAT_CLUSTER_REDIS_CLIENT_H_
#define CHAT_CLUSTER_REDIS_CLIENT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

struct redisContext;
struct redisReply;

namespace chat::cluster {

struct RedisAddress {
  // Constructors rather than an aggregate, so {host, port} stays warning-free
  // (-Wmissing-field-initializers) now that there is a third field.
  RedisAddress() = default;
  RedisAddress(std::string host, int port, std::string password = {})
      : host(std::move(host)), port(port), password(std::move(password)) {}

  std::string host;
  int port = 6379;
  // Sent as AUTH <password> on each new connection (Redis requirepass); empty: none.
  std::string password;
};

// ParseRedisAddress() reads "HOST:PORT" or "HOST" (port 6379); "[::1]:6379" for IPv6.
absl::StatusOr<RedisAddress> ParseRedisAddress(std::string_view text);

// ReadRedisPasswordFile() reads a Redis password from a file (--redis_password_file: in
// a file, not a flag, so it is not in `ps` or the shell's history), without one trailing
// newline. An unreadable or empty file is an error.
absl::StatusOr<std::string> ReadRedisPasswordFile(const std::string& path);

struct ReplyDeleter {
  void operator()(redisReply* reply) const;
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

// RedisConnection is one hiredis context. Any I/O or protocol error breaks it (connected()
// turns false; a broken context cannot be reused); Connect() again to go on. A Redis
// error reply ("-ERR ...") is an error status but leaves the connection usable.
// Not thread-safe.
class RedisConnection {
 public:
  // `timeout` bounds connecting and each command's wait for its reply; a blocking
  // command's block time must be shorter.
  RedisConnection(RedisAddress address, absl::Duration timeout);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // RedisConnection::Connect() connects, and authenticates if the address has a password
  // (an error naming Redis's refusal if it is wrong).
  absl::Status Connect();
  void Disconnect();
  bool connected() const { return context_ != nullptr; }
  // True if the connection broke because Redis closed it (end of stream, reset) rather
  // than a timeout: a command sent on it then never ran, since Redis (restarted, or
  // dropping idle clients) was no longer reading it.
  bool closed_by_peer() const { return closed_by_peer_; }
  // Replies read on this connection since it connected.
  uint64_t replies() const { return replies_; }

  // RedisConnection::Command() sends one command, every argument binary-safe.
  absl::StatusOr<ReplyPtr> Command(const std::vector<std::string>& argv);
  // Pipelining: Append() buffers commands, GetReply() sends what is buffered and returns
  // the replies in order.
  absl::Status Append(const std::vector<std::string>& argv);
  absl::StatusOr<ReplyPtr> GetReply();

  // RedisConnection::Pipeline() sends `commands` in one round trip and reads every reply,
  // one per command in order (an error reply is an error in its place). Reading them all
  // matters: a caller that stopped at the first error reply would leave the rest on the
  // connection, and its next user (a pooled connection's next borrower) would take them
  // for its own. Fails only when the connection broke, which closes it.
  absl::StatusOr<std::vector<absl::StatusOr<ReplyPtr>>> Pipeline(
      const std::vector<std::vector<std::string>>& commands);

 private:
  absl::Status Broken(std::string_view what);

  const RedisAddress address_;
  const absl::Duration timeout_;
  redisContext* context_ = nullptr;
  bool closed_by_peer_ = false;
  uint64_t replies_ = 0;
};

// Backoff: the delays between attempts double from `initial` up to `max`; Reset() after
// a success. Pure arithmetic: the caller sleeps (tests inject the sleep).
class Backoff {
 public:
  Backoff(absl::Duration initial, absl::Duration max) : initial_(initial), max_(max) {}
  absl::Duration Next();
  void Reset() { next_ = absl::ZeroDuration(); }

 private:
  const absl::Duration initial_;
  const absl::Duration max_;
  absl::Duration next_ = absl::ZeroDuration();
};

// Reply helpers: the text of a string, status or error reply ("" otherwise).
std::string_view ReplyText(const redisReply& reply);
bool IsArray(const redisReply& reply);
bool IsNil(const redisReply& reply);
bool IsError(const redisReply& reply);

}  // namespace chat::cluster

#endif  // CHAT_CLUSTER_REDIS_CLIENT_H_
