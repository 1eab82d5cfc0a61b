// chat/cluster/presence.h: names and who is where, across every server on one Redis.
//
// Defines:
//   PresenceOptions  - where Redis is, who this instance is, the lease, the bounds.
//   Presence         - SharedNames (chat/name_registry.h) over Redis: name leases, this
//                      instance's presence hash, its heartbeat, and the leave notices of
//                      instances that died without saying goodbye.
//
// Names. A name is held cluster-wide by `SET NameLeaseKey(key) <instance> NX PX <lease>`
// and given back by a compare-and-delete (a Lua script: only while it is still ours). A
// heartbeat thread renews every name this instance holds, its InstanceKey and its
// presence hash every lease/3, pipelined, so a crashed instance's names free themselves
// within one lease. Redis unreachable at claim time: the claim is refused (kUnavailable),
// never granted blind, or two people could share a name across servers.
//
// A name found gone by the heartbeat (Redis restarted, or our lease ran out in an outage
// longer than the lease) is taken again with NX; one found held by another instance was
// free long enough for someone else to take it lawfully: the local holder loses it (the
// LostName callback disconnects it), so there are never two of one name.
//
// Presence. PresenceKey(instance) is a hash from name key to EncodePresence()
// (chat/cluster/presence_codec.h). A change (login, /name, /join, /away, registration)
// is written at once; every heartbeat also rewrites the whole hash from the registry
// (MULTI: DEL, HSET, PEXPIRE), which repairs anything an outage lost and refreshes idle
// times. The hash lives three leases; the InstanceKey one. An instance whose InstanceKey
// expired while its hash remains died: the first survivor to take ReaperKey(dead) XADDs
// a leave event for each of its users to their room's stream (what a normal leave
// writes) and deletes the hash.

#ifndef CHAT_CLUSTER_PRESENCE_H_
#define CHAT_CLUSTER_PRESENCE_H_

#include <atomic>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "chat/clock.h"
#include "chat/cluster/presence_codec.h"
#include "chat/cluster/redis_client.h"
#include "chat/cluster/redis_pool.h"
#include "chat/name_registry.h"

namespace chat::cluster {

struct PresenceOptions {
  RedisAddress address;
  std::string instance_id;
  // Connecting, and each command's wait for a reply.
  absl::Duration timeout = absl::Seconds(1);
  // How long a name (and the instance's heartbeat) outlives the last renewal.
  absl::Duration lease = absl::Seconds(15);
  // Users of other instances read for one /users or /rooms, and instances looked at.
  size_t max_listed = 1000;
  size_t max_instances = 100;
  // A leave notice's stream keeps about this many entries (XADD MAXLEN ~), like a post.
  size_t stream_max_len = 10000;
  // Not owned. Null: the real clock.
  const Clock* clock = nullptr;
};

// Presence is thread-safe. Every Redis command runs with no lock of the caller's held
// (see SharedNames); its own mutex is a leaf, never held across I/O.
class Presence final : public SharedNames {
 public:
  // Snapshot: every user here with its name key (NameRegistry::DescribeAll), taken
  // before each heartbeat. LostName: disconnect the user called `name` here, whose
  // name another instance now holds. Neither may block on the network.
  using Snapshot = std::function<std::vector<std::pair<std::string, UserInfo>>()>;
  using LostName = std::function<void(const std::string& name)>;

  explicit Presence(PresenceOptions options);
  ~Presence() override;
  Presence(const Presence&) = delete;
  Presence& operator=(const Presence&) = delete;

  // Presence::Start() announces the leaves a previous life of this instance id left
  // unannounced, beats once (so this instance is known before its first client) and
  // starts the heartbeat thread. Redis need not be up.
  void Start(Snapshot snapshot, LostName lost) ABSL_LOCKS_EXCLUDED(mu_);
  // Presence::Stop() stops the heartbeat and, if Redis answers, removes this instance's
  // heartbeat and presence at once (its users' names are released by their leaves).
  void Stop();

  ClaimResult Claim(std::string_view key, std::string_view name) override ABSL_LOCKS_EXCLUDED(mu_);
  void Release(std::string_view key) override ABSL_LOCKS_EXCLUDED(mu_);
  void Publish(std::string_view key, const UserInfo& info) override ABSL_LOCKS_EXCLUDED(mu_);
  Listing ListElsewhere() override;
  std::optional<UserInfo> FindElsewhere(std::string_view key) override;

  // Presence::Beat() is one heartbeat: renew, rewrite presence, reap the dead. The
  // thread calls it every lease/3; tests call it directly. False if Redis failed.
  bool Beat() ABSL_LOCKS_EXCLUDED(mu_, beat_mu_);

  const std::string& instance_id() const { return options_.instance_id; }
  // Names this instance holds cluster-wide (for tests and metrics).
  size_t held() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // One command on a pooled connection (RedisPool replaces one Redis had closed).
  absl::StatusOr<ReplyPtr> Run(const std::vector<std::string>& argv);

  // The heartbeat's parts, on its own connection.
  bool Renew(RedisConnection& connection) ABSL_LOCKS_EXCLUDED(mu_);
  void ReapDead(RedisConnection& connection);
  // Announces the leaves of dead instance `id`'s users, unless another survivor is doing
  // it; false if the connection broke.
  bool ReapInstance(RedisConnection& connection, const std::string& id);
  // The ids of the other instances in InstancesKey (bounded), and which are alive.
  absl::StatusOr<std::vector<std::string>> OtherInstances(RedisConnection& connection);
  // Reads `instance`'s presence hash, at most `limit` users; false if Redis failed.
  bool ReadPresence(RedisConnection& connection, const std::string& instance, size_t limit,
                    std::vector<std::pair<std::string, UserInfo>>* users, bool* truncated);
  void HeartbeatLoop();

  const PresenceOptions options_;
  const Clock& clock_;
  const std::string lease_ms_;     // the lease, as PX wants it
  const std::string presence_ms_;  // the presence hash's expiry (three leases)
  // For the sessions' claims, releases and look-ups (the heartbeat has its own).
  RedisPool pool_;

  mutable absl::Mutex mu_;
  // Names held cluster-wide: key -> name as spelled.
  std::map<std::string, std::string> held_ ABSL_GUARDED_BY(mu_);
  // This instance's presence: key -> EncodePresence().
  std::map<std::string, std::string> records_ ABSL_GUARDED_BY(mu_);
  Snapshot snapshot_ ABSL_GUARDED_BY(mu_);
  LostName lost_ ABSL_GUARDED_BY(mu_);

  // One Beat() at a time (the thread's, or a test's), on one connection.
  absl::Mutex beat_mu_;
  std::unique_ptr<RedisConnection> beat_connection_ ABSL_GUARDED_BY(beat_mu_);
  bool beat_was_up_ ABSL_GUARDED_BY(beat_mu_) = true;

  absl::Notification stopping_;
  std::thread heartbeat_;
};

}  // namespace chat::cluster

#endif  // CHAT_CLUSTER_PRESENCE_H_
