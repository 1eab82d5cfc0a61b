#include "chat/cluster/redis_pool.h"

#include <utility>

namespace chat::cluster {

RedisPool::RedisPool(RedisAddress address, absl::Duration timeout, size_t max_idle)
    : address_(std::move(address)), timeout_(timeout), max_idle_(max_idle) {}

absl::Status RedisPool::Use(absl::FunctionRef<absl::Status(RedisConnection&)> use) {
  std::unique_ptr<RedisConnection> connection;
  {
    absl::MutexLock lock(&mu_);
    if (!idle_.empty()) {
      connection = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  const bool reused = connection != nullptr;
  if (connection == nullptr) connection = std::make_unique<RedisConnection>(address_, timeout_);
  if (!connection->connected()) {
    if (absl::Status status = connection->Connect(); !status.ok()) return status;
  }
  const uint64_t replies_before = connection->replies();
  absl::Status status = use(*connection);
  // An idle connection Redis had closed (it restarted, or drops idle clients) fails at
  // its first command, which therefore never ran: once more on a fresh one. Not after
  // any reply, nor after a timeout: then the command may have run.
  if (reused && !status.ok() && !connection->connected() && connection->closed_by_peer() &&
      connection->replies() == replies_before) {
    if (absl::Status reconnected = connection->Connect(); !reconnected.ok()) return reconnected;
    status = use(*connection);
  }
  if (connection->connected()) {
    absl::MutexLock lock(&mu_);
    if (idle_.size() < max_idle_) idle_.push_back(std::move(connection));
  }
  return status;
}

absl::StatusOr<ReplyPtr> RedisPool::Command(const std::vector<std::string>& argv) {
  ReplyPtr reply;
  absl::Status status = Use([&](RedisConnection& connection) -> absl::Status {
    absl::StatusOr<ReplyPtr> got = connection.Command(argv);
    if (!got.ok()) return got.status();
    reply = *std::move(got);
    return absl::OkStatus();
  });
  if (absl::IsFailedPrecondition(status)) return absl::InternalError(status.message());
  if (!status.ok()) return status;
  return reply;
}

}  // namespace chat::cluster
