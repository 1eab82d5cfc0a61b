#include "chat/cluster/room_streams.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"

namespace chat::cluster {
namespace {

// At most this many queued posts go out in one pipelined round trip.
constexpr size_t kMaxBatch = 256;

// Decodes one stream entry ([id, [field, value, ...]]); nullptr (and no ID) if it is
// not one. The reply comes from Redis, but what is in it was written by any client.
std::shared_ptr<Event> DecodeEntry(const redisReply& entry, std::string_view own_instance,
                                   std::optional<StreamId>* id) {
  *id = std::nullopt;
  if (!IsArray(entry) || entry.elements != 2) return nullptr;
  *id = StreamId::Parse(ReplyText(*entry.element[0]));
  const redisReply& fields = *entry.element[1];
  if (!IsArray(fields) || fields.elements % 2 != 0 || fields.elements > 2 * kMaxFields) {
    return nullptr;
  }
  std::vector<StreamField> pairs;
  pairs.reserve(fields.elements / 2);
  for (size_t i = 0; i < fields.elements; i += 2) {
    pairs.emplace_back(ReplyText(*fields.element[i]), ReplyText(*fields.element[i + 1]));
  }
  absl::StatusOr<std::shared_ptr<Event>> event = DecodeEvent(pairs, own_instance);
  if (!event.ok()) {
    LOG_EVERY_N(WARNING, 100) << "redis: skipping a stream entry: " << event.status();
    return nullptr;
  }
  return *std::move(event);
}

}  // namespace

RoomStreams::RoomStreams(RoomStreamsOptions options)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : RealClock::Default()) {}

RoomStreams::~RoomStreams() { Stop(); }

void RoomStreams::Start() {
  publisher_ = std::thread([this] { PublishLoop(); });
  follower_ = std::thread([this] { FollowLoop(); });
  first_attempt_.WaitForNotificationWithTimeout(2 * options_.timeout);
}

void RoomStreams::Stop() {
  if (!stopping_.HasBeenNotified()) stopping_.Notify();
  {
    absl::MutexLock lock(&queue_mu_);
    queue_closed_ = true;
  }
  if (publisher_.joinable()) publisher_.join();
  if (follower_.joinable()) follower_.join();
  // Anything queued after the publisher ended is refused, not left waiting.
  absl::MutexLock lock(&queue_mu_);
  for (auto& pending : queue_) {
    CountRefused(pending->kind, /*queue_full=*/false);
    pending->done.Notify();
  }
  queue_.clear();
  pending_bytes_ = 0;
}

size_t RoomStreams::pending_bytes() const {
  absl::MutexLock lock(&queue_mu_);
  return pending_bytes_;
}

void RoomStreams::CountRefused(Pending::Kind kind, bool queue_full) const {
  const PublishCounters& c = options_.counters;
  metrics::Counter* counter = nullptr;
  if (kind == Pending::Kind::kLine) {
    counter = queue_full ? c.lines_queue_full : c.lines_unavailable;
  } else if (kind == Pending::Kind::kNotice) {
    counter = queue_full ? c.notices_queue_full : c.notices_unavailable;
  }
  if (counter != nullptr) counter->Increment();
}

bool RoomStreams::SleepFor(absl::Duration d) {
  return !stopping_.WaitForNotificationWithTimeout(d);
}

// ---- Publishing.

bool RoomStreams::Publish(const Room& room, const Event& event, bool wait) {
  auto pending = std::make_shared<Pending>();
  pending->argv = {"XADD", RoomStreamKey(room.name())};
  if (options_.max_len > 0) {
    pending->argv.insert(pending->argv.end(), {"MAXLEN", "~", absl::StrCat(options_.max_len)});
  }
  pending->argv.push_back("*");
  EncodeEvent(event, options_.instance_id, &pending->argv);
  pending->kind = wait ? Pending::Kind::kLine : Pending::Kind::kNotice;
  for (const std::string& arg : pending->argv) pending->bytes += arg.size();
  uint64_t episode_refusals = 0;  // > 0: this post ends an episode of refusals
  size_t pending_bytes = 0;
  {
    absl::MutexLock lock(&queue_mu_);
    if (queue_closed_) {
      CountRefused(pending->kind, /*queue_full=*/false);
      return false;
    }
    if (options_.max_pending_bytes > 0 && pending_bytes_ > 0 &&
        pending_bytes_ + pending->bytes > options_.max_pending_bytes) {
      CountRefused(pending->kind, /*queue_full=*/true);
      pending_bytes = pending_bytes_;
      if (refused_for_bytes_++ > 0) return false;
    } else {
      episode_refusals = std::exchange(refused_for_bytes_, 0);
      pending_bytes_ += pending->bytes;
      queue_.push_back(pending);
    }
  }
  if (pending_bytes > 0) {  // the first refusal of an episode
    LOG(WARNING) << "redis is not keeping up: " << pending_bytes
                 << " bytes of posts wait for it (--redis_max_pending_bytes="
                 << options_.max_pending_bytes
                 << "); refusing lines and dropping notices until it catches up";
    return false;
  }
  LOG_IF(INFO, episode_refusals > 0)
      << "redis caught up; " << episode_refusals << " post(s) were refused meanwhile";
  if (!wait) return true;
  // The publisher answers every post within about the command timeout, so waiting
  // without a deadline cannot hang; and a line reported unsent is never stored later.
  pending->done.WaitForNotification();
  return pending->stored;
}

void RoomStreams::PublishLoop() {
  RedisConnection connection(options_.address, options_.timeout);
  std::vector<std::shared_ptr<Pending>> batch;
  Backoff backoff(options_.backoff_initial, options_.backoff_max);
  absl::Time next_attempt = absl::InfinitePast();
  uint64_t connected_after = 0;  // outages_ when the connection was made
  for (;;) {
    batch.clear();
    {
      absl::MutexLock lock(&queue_mu_);
      queue_mu_.Await(absl::Condition(
          +[](RoomStreams* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->queue_mu_) {
            return !self->queue_.empty() || self->queue_closed_;
          },
          this));
      if (queue_.empty()) return;  // closed
      while (!queue_.empty() && batch.size() < kMaxBatch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    if (connection.connected() && outages_.load(std::memory_order_acquire) != connected_after) {
      connection.Disconnect();
    }
    if (!connection.connected()) {
      // While the follower is connected, Redis is probably back: try now rather than
      // keep refusing lines until the backoff ends.
      if (clock_.Now() >= next_attempt || follower_up_.load(std::memory_order_acquire)) {
        connected_after = outages_.load(std::memory_order_acquire);
        if (absl::Status status = connection.Connect(); !status.ok()) {
          next_attempt = clock_.Now() + backoff.Next();
          VLOG(1) << "publisher: " << status;
        } else {
          backoff.Reset();
        }
      }
    }
    SendBatch(connection, batch);
  }
}

void RoomStreams::SendBatch(RedisConnection& connection,
                            std::vector<std::shared_ptr<Pending>>& batch) {
  size_t sent = 0;
  for (; sent < batch.size() && connection.connected(); ++sent) {
    if (!connection.Append(batch[sent]->argv).ok()) break;
  }
  size_t answered_bytes = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    Pending& pending = *batch[i];
    if (i < sent && connection.connected()) {
      absl::StatusOr<ReplyPtr> reply = connection.GetReply();
      pending.stored = reply.ok();
      LOG_IF(ERROR, !reply.ok() && connection.connected()) << "XADD refused: " << reply.status();
    }
    if (!pending.stored) CountRefused(pending.kind, /*queue_full=*/false);
    answered_bytes += pending.bytes;
  }
  // Uncounted before anyone is told, so a speaker's next line never finds its last one
  // still holding room.
  {
    absl::MutexLock lock(&queue_mu_);
    pending_bytes_ -= answered_bytes;
  }
  for (const auto& pending : batch) pending->done.Notify();
}

// ---- Following.

void RoomStreams::Follow(std::weak_ptr<Room> room) {
  std::shared_ptr<Room> strong = room.lock();
  if (strong == nullptr) return;  // not owned by a shared_ptr: nothing to follow with
  auto followed = std::make_shared<Followed>();
  followed->key = RoomStreamKey(strong->name());
  followed->room = std::move(room);
  strong.reset();
  {
    absl::MutexLock lock(&follow_mu_);
    followed_[followed->key] = followed;
  }
  // Best effort: if the follower is between reads, this is a no-op and the room waits
  // for the current block time at most.
  if (const int64_t id = follower_client_id_.load(std::memory_order_acquire); id >= 0) {
    auto unblock = std::make_shared<Pending>();
    unblock->argv = {"CLIENT", "UNBLOCK", absl::StrCat(id)};
    absl::MutexLock lock(&queue_mu_);
    if (!queue_closed_) queue_.push_back(std::move(unblock));
  }
  // Wait for the history only while Redis answers; during an outage the join goes on
  // without it (the follower loads it once Redis is back).
  if (redis_up()) {
    followed->loaded.WaitForNotificationWithTimeout(options_.block + 2 * options_.timeout);
  }
}

bool RoomStreams::LoadHistory(RedisConnection& connection, Followed& followed) {
  const size_t count = std::max<size_t>(options_.history_lines, 1);
  absl::StatusOr<ReplyPtr> reply = connection.Command(
      {"XREVRANGE", followed.key, "+", "-", "COUNT", absl::StrCat(count)});
  if (!reply.ok()) return connection.connected();
  const redisReply& entries = **reply;
  std::vector<std::shared_ptr<Event>> events;
  if (IsArray(entries)) {
    for (size_t i = 0; i < entries.elements; ++i) {
      std::optional<StreamId> id;
      std::shared_ptr<Event> event = DecodeEntry(*entries.element[i], options_.instance_id, &id);
      if (id.has_value() && followed.last < *id) followed.last = *id;
      if (event != nullptr && options_.history_lines > 0) events.push_back(std::move(event));
    }
  }
  std::reverse(events.begin(), events.end());  // XREVRANGE is newest first
  if (std::shared_ptr<Room> room = followed.room.lock(); room != nullptr && !events.empty()) {
    room->AppendReplicated(std::move(events));
  }
  followed.history_loaded = true;
  followed.loaded.Notify();
  return true;
}

bool RoomStreams::ReadOnce(RedisConnection& connection,
                           const std::vector<std::shared_ptr<Followed>>& followed) {
  std::vector<std::string> argv = {"XREAD", "COUNT", absl::StrCat(options_.read_count), "BLOCK",
                                   absl::StrCat(std::max<int64_t>(
                                       absl::ToInt64Milliseconds(options_.block), 1)),
                                   "STREAMS"};
  for (const auto& f : followed) argv.push_back(f->key);
  for (const auto& f : followed) argv.push_back(f->last.ToString());
  absl::StatusOr<ReplyPtr> reply = connection.Command(argv);
  if (!reply.ok()) {
    if (!connection.connected()) return false;
    LOG_EVERY_N(ERROR, 100) << "XREAD refused: " << reply.status();
    return SleepFor(options_.block);
  }
  const redisReply& streams = **reply;
  if (!IsArray(streams)) return true;  // nil: nothing new within the block time
  for (size_t s = 0; s < streams.elements; ++s) {
    const redisReply& stream = *streams.element[s];
    if (!IsArray(stream) || stream.elements != 2 || !IsArray(*stream.element[1])) continue;
    const std::string_view key = ReplyText(*stream.element[0]);
    const auto it = std::find_if(followed.begin(), followed.end(),
                                 [&](const auto& f) { return f->key == key; });
    if (it == followed.end()) continue;
    Followed& room_stream = **it;
    const redisReply& entries = *stream.element[1];
    std::vector<std::shared_ptr<Event>> events;
    events.reserve(entries.elements);
    for (size_t i = 0; i < entries.elements; ++i) {
      std::optional<StreamId> id;
      std::shared_ptr<Event> event = DecodeEntry(*entries.element[i], options_.instance_id, &id);
      // IDs only grow; one that does not is not from this stream's order.
      if (!id.has_value() || !(room_stream.last < *id)) continue;
      room_stream.last = *id;
      if (event != nullptr) events.push_back(std::move(event));
    }
    if (std::shared_ptr<Room> room = room_stream.room.lock(); room != nullptr && !events.empty()) {
      room->AppendReplicated(std::move(events));
    }
  }
  return true;
}

void RoomStreams::FollowLoop() {
  RedisConnection connection(options_.address, options_.timeout);
  Backoff backoff(options_.backoff_initial, options_.backoff_max);
  bool in_outage = false;
  std::vector<std::shared_ptr<Followed>> followed;
  while (!stopping_.HasBeenNotified()) {
    if (!connection.connected()) {
      absl::Status status = connection.Connect();
      // Redis is up once it answers (a dying server can still complete a TCP handshake);
      // its answer is the ID that CLIENT UNBLOCK needs.
      absl::StatusOr<ReplyPtr> id;
      if (status.ok()) {
        id = connection.Command({"CLIENT", "ID"});
        status = id.status();
      }
      if (!first_attempt_.HasBeenNotified()) first_attempt_.Notify();
      if (!status.ok()) {
        connection.Disconnect();
        follower_client_id_.store(-1, std::memory_order_release);
        follower_up_.store(false, std::memory_order_release);
        if (!in_outage) {
          LOG(WARNING) << "redis unreachable, the chat is unavailable until it is back: "
                       << status;
          in_outage = true;
        }
        SleepFor(backoff.Next());
        continue;
      }
      backoff.Reset();
      follower_client_id_.store((**id).type == REDIS_REPLY_INTEGER ? (**id).integer : -1,
                                std::memory_order_release);
      follower_up_.store(true, std::memory_order_release);
      if (in_outage) LOG(INFO) << "redis reachable again; resuming from the last entries seen";
      in_outage = false;
    }
    followed.clear();
    {
      absl::MutexLock lock(&follow_mu_);
      for (auto it = followed_.begin(); it != followed_.end();) {
        if (it->second->room.expired()) {
          it = followed_.erase(it);  // the lobby removed the room
        } else {
          followed.push_back(it->second);
          ++it;
        }
      }
    }
    bool ok = true;
    for (const auto& f : followed) {
      if (!f->history_loaded && !(ok = LoadHistory(connection, *f))) break;
    }
    if (ok && followed.empty()) {
      SleepFor(options_.block);
      continue;
    }
    if (ok) ok = ReadOnce(connection, followed);
    if (!ok && !connection.connected()) {
      outages_.fetch_add(1, std::memory_order_acq_rel);
      follower_up_.store(false, std::memory_order_release);
      if (!in_outage) {
        LOG(WARNING) << "redis connection lost, the chat is unavailable until it is back";
        in_outage = true;
      }
    }
  }
}

}  // namespace chat::cluster
