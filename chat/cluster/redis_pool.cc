#include "chat/cluster/redis_pool.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace chat::cluster {

RedisPool::RedisPool(RedisAddress address, absl::Duration timeout, size_t max_idle,
                     size_t max_open)
    : address_(std::move(address)),
      timeout_(timeout),
      max_idle_(max_idle),
      max_open_(std::max<size_t>(max_open, 1)) {}

void RedisPool::GiveBack(std::unique_ptr<RedisConnection> connection) {
  absl::MutexLock lock(&mu_);
  if (connection->connected() && idle_.size() < max_idle_) {
    idle_.push_back(std::move(connection));
  } else {
    --open_;  // closed when `connection` goes, after the lock
  }
}

absl::Status RedisPool::Use(absl::FunctionRef<absl::Status(RedisConnection&)> use) {
  std::unique_ptr<RedisConnection> connection;
  {
    absl::MutexLock lock(&mu_);
    if (!mu_.AwaitWithTimeout(absl::Condition(this, &RedisPool::CanTake), timeout_)) {
      return absl::UnavailableError(
          absl::StrCat("redis: all ", max_open_, " connections busy for ",
                       absl::FormatDuration(timeout_)));
    }
    if (!idle_.empty()) {
      connection = std::move(idle_.back());
      idle_.pop_back();
    } else {
      ++open_;
    }
  }
  const bool reused = connection != nullptr;
  if (connection == nullptr) connection = std::make_unique<RedisConnection>(address_, timeout_);
  if (!connection->connected()) {
    if (absl::Status status = connection->Connect(); !status.ok()) {
      GiveBack(std::move(connection));
      return status;
    }
  }
  const uint64_t replies_before = connection->replies();
  absl::Status status = use(*connection);
  // An idle connection Redis had closed (it restarted, or drops idle clients) fails at
  // its first command, which therefore never ran: once more on a fresh one. Not after
  // any reply, nor after a timeout: then the command may have run.
  if (reused && !status.ok() && !connection->connected() && connection->closed_by_peer() &&
      connection->replies() == replies_before) {
    if (absl::Status reconnected = connection->Connect(); !reconnected.ok()) {
      GiveBack(std::move(connection));
      return reconnected;
    }
    status = use(*connection);
  }
  GiveBack(std::move(connection));
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
