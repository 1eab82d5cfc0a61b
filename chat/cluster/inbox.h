// chat/cluster/inbox.h: what other instances send this instance's users (--redis).
//
// Defines:
//   InboxOptions - where Redis is, this instance's id, bounds and timings.
//   Inbox        - RemoteUsers over per-instance Redis streams, and the thread that
//                  delivers what arrives in this instance's own stream.
//
// Every instance has one stream, InboxKey(instance_id) (chat/cluster/keys.h). To reach
// a name not connected here, a sender looks up the instance that holds the name
// (NameLeaseKey(NameKey(name)), kept by the name leases) and XADDs an entry to that
// instance's inbox, in one Lua script (so the lookup and the append see one state). The
// owner's inbox thread XREAD BLOCKs its own stream and hands each entry to its
// NameRegistry as if it came from a local session: a private message renders exactly as
// a local one, a kick disconnects with the goodbye. A name counts as held only while its
// lease's owner also has a live heartbeat (InstanceKey), so a crashed instance's names
// are "No such user" at once, not until their leases expire.
//
// A private message carries its sender's session id, and the recipient's /reply goes
// back to that instance and session (ReplyPrivate), as a local /reply goes by session:
// the sender is told "No such user" if the name it had is no longer that instance's,
// and the reply is dropped there if that session has left meanwhile (the sender cannot
// be told: it was already told "sent").
//
// A kick for a name that is an operator here (InboxOptions::is_protected) is dropped and
// logged: operators cannot kick each other, and whoever can write to Redis is not one.
//
// Delivery is at most once: an entry for a user who left (or renamed) meanwhile is
// dropped, and a sender is told "sent" once the entry is in the recipient's inbox. The
// inbox thread starts after what is already in the stream (entries for a previous run
// of the same id are for users who are gone), resumes from the last entry it read after
// a reconnect, and backs off between attempts. Each inbox keeps about `max_len` entries
// (XADD MAXLEN ~) and expires a day after its last entry, so a dead instance's inbox goes.

#ifndef CHAT_CLUSTER_INBOX_H_
#define CHAT_CLUSTER_INBOX_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "chat/clock.h"
#include "chat/cluster/inbox_codec.h"
#include "chat/cluster/redis_client.h"
#include "chat/cluster/redis_pool.h"
#include "chat/name_registry.h"
#include "chat/remote_users.h"

namespace chat::cluster {

struct InboxOptions {
  RedisAddress address;
  std::string instance_id;
  // Connecting, and each command's wait for its reply.
  absl::Duration timeout = absl::Seconds(1);
  // The inbox thread's XREAD BLOCK; how long Stop() may wait for it. Below `timeout`.
  absl::Duration block = absl::Milliseconds(500);
  // Entries per XREAD.
  size_t read_count = 100;
  // Each inbox keeps about this many entries (XADD MAXLEN ~).
  size_t max_len = 1000;
  // Idle connections kept for senders (session threads).
  size_t max_idle_connections = 4;
  absl::Duration backoff_initial = absl::Milliseconds(50);
  absl::Duration backoff_max = absl::Seconds(5);
  // Whether a name key is a protected operator here: kicks for it are dropped. Called on
  // the inbox thread with no lock held; may block (an identity store lookup). Unset:
  // nobody is.
  std::function<bool(std::string_view name_key)> is_protected;
};

// Inbox is thread-safe. Start() before sessions use it; Stop() (or destruction) before
// the NameRegistry goes.
class Inbox final : public RemoteUsers {
 public:
  // `names` and `clock` are not owned; private messages are stamped with `clock`'s time
  // on arrival, as a local one is when sent.
  Inbox(InboxOptions options, NameRegistry* names, const Clock* clock);
  ~Inbox() override;
  Inbox(const Inbox&) = delete;
  Inbox& operator=(const Inbox&) = delete;

  // Inbox::Start() starts the inbox thread; it returns once the thread has tried to
  // connect once (so what is sent after Start() returns is read, if Redis was up).
  void Start();
  void Stop();

  Result SendPrivate(std::string_view recipient, std::string_view sender, std::string_view text,
                     uint64_t sender_id) override;
  Result ReplyPrivate(std::string_view instance, uint64_t session, std::string_view recipient,
                      std::string_view sender, std::string_view text,
                      uint64_t sender_id) override;
  Result Kick(std::string_view name, std::string_view goodbye) override;

  // What arrived and was handed to a local user / dropped (malformed, nobody here has
  // the name or the session, or a kick for a protected operator), for tests and metrics.
  uint64_t delivered() const { return delivered_.load(std::memory_order_relaxed); }
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  // `owner`: the instance the recipient's name must be leased to; empty: any other.
  Result Send(const InboxEntry& entry, std::string_view owner = {});
  void ReadLoop();
  void Deliver(const InboxEntry& entry);

  const InboxOptions options_;
  NameRegistry* const names_;
  const Clock* const clock_;
  RedisPool senders_;
  absl::Notification stopping_;
  absl::Notification first_attempt_;
  std::atomic<uint64_t> delivered_ = 0;
  std::atomic<uint64_t> dropped_ = 0;
  std::thread reader_;
};

}  // namespace chat::cluster

#endif  // CHAT_CLUSTER_INBOX_H_
