// chat/cluster/room_streams.h: rooms shared by every server on one Redis (--redis).
//
// Defines:
//   RoomStreamsOptions - where Redis is, who this instance is, timeouts and bounds.
//   RoomStreams        - the Sequencer (chat/core/room.h) over one Redis stream per room.
//
// Each room is a Redis stream (RoomStreamKey). A post is one XADD, which gives the room
// its one order across instances; nobody sees the post until it comes back. One follower
// thread per instance XREADs the streams of the rooms that exist here, from each room's
// last seen ID, and appends the entries to the local rooms in stream order, so every
// local writer, cursor and renderer works as without Redis. Pub/sub is not used: it
// does not replay, so an instance that blinks would lose lines and a late joiner would
// get no history.
//
// Posts go through one publisher thread (its own connection) that pipelines what is
// queued, so posts from a thousand sessions cost a round trip per batch, not per line,
// and one instance's posts reach Redis in the order they were made.
//
// Faults: when Redis is unreachable, Publish(wait) fails within about the command
// timeout (at once while the publisher backs off), so a speaker is told its line was
// not sent; the follower reconnects with capped exponential backoff and resumes from
// its last IDs. One WARNING per outage, one INFO when Redis is back. A Redis that stalls
// (accepts, never answers) is bounded too: past max_pending_bytes of posts waiting for
// it, Publish fails at once instead of queueing (one WARNING per such episode).

#ifndef CHAT_CLUSTER_ROOM_STREAMS_H_
#define CHAT_CLUSTER_ROOM_STREAMS_H_

#include <atomic>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "chat/clock.h"
#include "chat/cluster/redis_client.h"
#include "chat/cluster/stream_codec.h"
#include "chat/core/room.h"
#include "chat/metrics/metrics.h"

namespace chat::cluster {

// Where RoomStreams counts the posts Redis did not get (the server's /metrics). Not
// owned; any may be null. "Lines" are posts whose speaker waits (chat lines, /me);
// "notices" are joins, leaves and the like, published without waiting.
struct PublishCounters {
  // Redis did not take it: unreachable, timed out, or an error reply.
  metrics::Counter* lines_unavailable = nullptr;
  metrics::Counter* notices_unavailable = nullptr;
  // Refused at once: max_pending_bytes of posts were already waiting for Redis.
  metrics::Counter* lines_queue_full = nullptr;
  metrics::Counter* notices_queue_full = nullptr;
};

struct RoomStreamsOptions {
  RedisAddress address;
  // Names this server in every entry it writes (its members' origins). Unique per
  // running instance.
  std::string instance_id;
  // Connecting, and each command's wait for a reply.
  absl::Duration timeout = absl::Seconds(1);
  // Each stream keeps about this many entries (XADD MAXLEN ~). 0: unbounded.
  size_t max_len = 10000;
  // A room followed for the first time loads this many of its newest entries (its
  // history) before anyone here joins it. 0: none.
  size_t history_lines = 10000;
  // The follower's XREAD BLOCK: how late it notices a newly followed room at worst.
  absl::Duration block = absl::Milliseconds(100);
  // Entries per XREAD.
  size_t read_count = 1000;
  // Reconnect backoff: doubles from initial up to max.
  absl::Duration backoff_initial = absl::Milliseconds(50);
  absl::Duration backoff_max = absl::Seconds(5);
  // Posts waiting for Redis (queued, or sent and not yet answered) may hold this many
  // bytes (their XADD arguments); past it Publish refuses at once, so a Redis that
  // stalls costs bounded memory and speakers are told at once. One post on its own is
  // always taken. 0: unbounded.
  size_t max_pending_bytes = size_t{8} << 20;
  // Not owned. For the publisher's backoff. Null: the real clock.
  const Clock* clock = nullptr;
  PublishCounters counters;
};

// RoomStreams is thread-safe. Start() before rooms use it; Stop() (or destruction)
// before the lobby goes.
class RoomStreams : public Sequencer {
 public:
  explicit RoomStreams(RoomStreamsOptions options);
  ~RoomStreams() override;
  RoomStreams(const RoomStreams&) = delete;
  RoomStreams& operator=(const RoomStreams&) = delete;

  // RoomStreams::Start() starts the publisher and follower threads and returns once the
  // follower has tried Redis once (within about the timeout), so the first joins find
  // their rooms' history. Redis need not be up: the follower keeps trying.
  void Start();
  void Stop() ABSL_LOCKS_EXCLUDED(queue_mu_, follow_mu_);

  void Follow(std::weak_ptr<Room> room) override ABSL_LOCKS_EXCLUDED(follow_mu_);
  bool Publish(const Room& room, const Event& event, bool wait) override
      ABSL_LOCKS_EXCLUDED(queue_mu_);

  // True while the follower is connected (for /healthz).
  bool redis_up() const { return follower_up_.load(std::memory_order_acquire); }
  const std::string& instance_id() const { return options_.instance_id; }
  // Bytes of posts waiting for Redis now (see max_pending_bytes; for /metrics).
  size_t pending_bytes() const ABSL_LOCKS_EXCLUDED(queue_mu_);

 private:
  struct Pending {
    enum class Kind { kLine, kNotice, kControl };  // kControl: not a post (CLIENT UNBLOCK)
    Kind kind = Kind::kControl;
    std::vector<std::string> argv;
    size_t bytes = 0;  // counted in pending_bytes_ until answered
    absl::Notification done;
    bool stored = false;  // written before `done` is notified
  };
  struct Followed {
    std::string key;
    std::weak_ptr<Room> room;
    absl::Notification loaded;
    // The follower's alone.
    bool history_loaded = false;
    StreamId last;
  };

  void PublishLoop() ABSL_LOCKS_EXCLUDED(queue_mu_);
  void SendBatch(RedisConnection& connection, std::vector<std::shared_ptr<Pending>>& batch);
  void FollowLoop() ABSL_LOCKS_EXCLUDED(follow_mu_);
  // Loads the history of newly followed rooms; false if the connection broke.
  bool LoadHistory(RedisConnection& connection, Followed& followed);
  // One XREAD over every followed room; false if the connection broke.
  bool ReadOnce(RedisConnection& connection,
                const std::vector<std::shared_ptr<Followed>>& followed);
  // Waits up to `d` or until stopped; false once stopped.
  bool SleepFor(absl::Duration d);

  const RoomStreamsOptions options_;
  const Clock& clock_;
  absl::Notification stopping_;
  std::atomic<bool> follower_up_ = false;
  absl::Notification first_attempt_;  // the follower has tried to connect once
  // The follower connection's CLIENT ID, so Follow() can cut its XREAD BLOCK short
  // (CLIENT UNBLOCK) and a new room's history loads at once; -1: unknown.
  std::atomic<int64_t> follower_client_id_ = -1;
  // Counts the follower's lost connections: a publisher connection made before the
  // latest loss is presumed dead (Redis restarted) and replaced before it is used, so
  // the first line after an outage is not refused for a stale socket.
  std::atomic<uint64_t> outages_ = 0;

  // Counts one post Redis did not get, by kind and cause.
  void CountRefused(Pending::Kind kind, bool queue_full) const;

  mutable absl::Mutex queue_mu_;
  std::deque<std::shared_ptr<Pending>> queue_ ABSL_GUARDED_BY(queue_mu_);
  bool queue_closed_ ABSL_GUARDED_BY(queue_mu_) = false;
  // Bytes of the posts queued or in the publisher's batch; see max_pending_bytes.
  size_t pending_bytes_ ABSL_GUARDED_BY(queue_mu_) = 0;
  // Posts refused for max_pending_bytes since the last one taken (one WARNING each
  // episode); nonzero: in such an episode.
  uint64_t refused_for_bytes_ ABSL_GUARDED_BY(queue_mu_) = 0;

  absl::Mutex follow_mu_;
  std::map<std::string, std::shared_ptr<Followed>> followed_ ABSL_GUARDED_BY(follow_mu_);

  std::thread publisher_;
  std::thread follower_;
};

}  // namespace chat::cluster

#endif  // CHAT_CLUSTER_ROOM_STREAMS_H_
