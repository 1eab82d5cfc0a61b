#include "chat/cluster/presence.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/strings/str_cat.h"
#include "chat/cluster/keys.h"
#include "chat/cluster/stream_codec.h"
#include "chat/core/event.h"
#include "chat/name.h"
#include "glog/logging.h"

namespace chat::cluster {
namespace {

// Renews a lease still ours (1), takes back one that vanished (2: Redis restarted, or it
// expired in an outage), or reports that another instance holds it now (0).
constexpr char kRenewScript[] = R"lua(
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if not v then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 2 end
return 0
)lua";

// Deletes a lease only while it is ours: an expired lease someone else took since must
// survive our late release.
constexpr char kReleaseScript[] = R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
)lua";

constexpr size_t kMaxPooled = 8;
constexpr size_t kScanCount = 100;
bool IsInteger(const redisReply& reply, long long value) {
  return reply.type == REDIS_REPLY_INTEGER && reply.integer == value;
}

bool IsBroken(const absl::Status& status) { return absl::IsUnavailable(status); }

// A SCAN-family reply: [cursor, [items...]]; false if it is not one.
bool ScanReply(const redisReply& reply, std::string* cursor, const redisReply** items) {
  if (!IsArray(reply) || reply.elements != 2 || !IsArray(*reply.element[1])) return false;
  *cursor = std::string(ReplyText(*reply.element[0]));
  *items = reply.element[1];
  return !cursor->empty();
}

// One EXISTS of InstanceKey(id) per instance: which of them are alive.
std::vector<std::vector<std::string>> ExistsCommands(const std::vector<std::string>& ids) {
  std::vector<std::vector<std::string>> commands;
  commands.reserve(ids.size());
  for (const std::string& id : ids) commands.push_back({"EXISTS", InstanceKey(id)});
  return commands;
}

}  // namespace

Presence::Presence(PresenceOptions options)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : RealClock::Default()),
      lease_ms_(absl::StrCat(std::max<int64_t>(absl::ToInt64Milliseconds(options_.lease), 1))),
      presence_ms_(
          absl::StrCat(std::max<int64_t>(absl::ToInt64Milliseconds(options_.lease * 3), 1))),
      pool_(options_.address, options_.timeout, kMaxPooled) {}

Presence::~Presence() { Stop(); }

void Presence::Start(Snapshot snapshot, LostName lost) {
  {
    absl::MutexLock lock(&mu_);
    snapshot_ = std::move(snapshot);
    lost_ = std::move(lost);
  }
  {
    // A previous life of this instance id (kill -9, then restarted within three leases)
    // left its users in the presence hash: they left, whoever announces it.
    absl::MutexLock beat(&beat_mu_);
    auto connection = std::make_unique<RedisConnection>(options_.address, options_.timeout);
    if (connection->Connect().ok() && ReapInstance(*connection, options_.instance_id)) {
      beat_connection_ = std::move(connection);
    }
  }
  Beat();
  heartbeat_ = std::thread([this] { HeartbeatLoop(); });
}

void Presence::Stop() {
  if (stopping_.HasBeenNotified()) return;
  stopping_.Notify();
  if (heartbeat_.joinable()) heartbeat_.join();
  // Gone at once rather than in a lease: nobody reaps an instance that said goodbye.
  const std::string me = options_.instance_id;
  const absl::Status status = pool_.Use([&](RedisConnection& connection) {
    for (const std::vector<std::string>& argv :
         {std::vector<std::string>{"DEL", InstanceKey(me), PresenceKey(me)},
          std::vector<std::string>{"SREM", InstancesKey(), me}}) {
      if (absl::StatusOr<ReplyPtr> reply = connection.Command(argv); !reply.ok()) {
        return reply.status();
      }
    }
    return absl::OkStatus();
  });
  LOG_IF(WARNING, !status.ok()) << "presence: leaving the cluster: " << status;
}

void Presence::HeartbeatLoop() {
  const absl::Duration period = std::max(options_.lease / 3, absl::Milliseconds(10));
  while (!stopping_.WaitForNotificationWithTimeout(period)) Beat();
}

size_t Presence::held() const {
  absl::MutexLock lock(&mu_);
  return held_.size();
}

absl::StatusOr<ReplyPtr> Presence::Run(const std::vector<std::string>& argv) {
  return pool_.Command(argv);
}

ClaimResult Presence::Claim(std::string_view key, std::string_view name) {
  absl::StatusOr<ReplyPtr> reply = Run({"SET", NameLeaseKey(key), options_.instance_id, "NX", "PX",
                                        lease_ms_});
  if (!reply.ok()) {
    LOG(WARNING) << "presence: claiming " << name << ": " << reply.status();
    return ClaimResult::kUnavailable;
  }
  if (IsNil(**reply)) return ClaimResult::kTaken;
  absl::MutexLock lock(&mu_);
  held_[std::string(key)] = std::string(name);
  return ClaimResult::kClaimed;
}

void Presence::Release(std::string_view key) {
  {
    absl::MutexLock lock(&mu_);
    held_.erase(std::string(key));
    records_.erase(std::string(key));
  }
  // Failing, the lease lapses by itself within one lease (nothing renews it now), and the
  // next heartbeat rewrites the presence hash without it.
  absl::StatusOr<ReplyPtr> reply =
      Run({"EVAL", kReleaseScript, "1", NameLeaseKey(key), options_.instance_id});
  if (reply.ok()) reply = Run({"HDEL", PresenceKey(options_.instance_id), std::string(key)});
  LOG_IF(WARNING, !reply.ok()) << "presence: releasing a name: " << reply.status();
}

void Presence::Publish(std::string_view key, const UserInfo& info) {
  std::string record = EncodePresence(info);
  {
    absl::MutexLock lock(&mu_);
    if (!held_.contains(std::string(key))) return;  // released (or lost) meanwhile
    std::string& known = records_[std::string(key)];
    // A client repeating /away or /join to the same place costs Redis nothing.
    if (known == record) return;
    known = record;
  }
  // One round trip; the heartbeat writes it again within lease/3 if this one fails.
  const absl::Status status = pool_.Use([&](RedisConnection& connection) -> absl::Status {
    const std::string hash = PresenceKey(options_.instance_id);
    auto replies = connection.Pipeline(
        {{"HSET", hash, std::string(key), record}, {"PEXPIRE", hash, presence_ms_}});
    if (!replies.ok()) return replies.status();
    for (const absl::StatusOr<ReplyPtr>& reply : *replies) {
      if (!reply.ok()) return reply.status();
    }
    return absl::OkStatus();
  });
  VLOG_IF(1, !status.ok()) << "presence: publishing: " << status;
}

bool Presence::Beat() {
  absl::MutexLock beat(&beat_mu_);
  if (beat_connection_ == nullptr || !beat_connection_->connected()) {
    beat_connection_ = std::make_unique<RedisConnection>(options_.address, options_.timeout);
    if (absl::Status status = beat_connection_->Connect(); !status.ok()) {
      LOG_IF(WARNING, beat_was_up_) << "presence: redis unreachable: " << status;
      beat_was_up_ = false;
      return false;
    }
  }
  const bool ok = Renew(*beat_connection_);
  if (ok) ReapDead(*beat_connection_);
  if (ok && !beat_was_up_) LOG(INFO) << "presence: redis reachable again";
  LOG_IF(WARNING, !ok && beat_was_up_) << "presence: heartbeat failed";
  beat_was_up_ = ok;
  return ok;
}

bool Presence::Renew(RedisConnection& connection) {
  Snapshot snapshot;
  {
    absl::MutexLock lock(&mu_);
    snapshot = snapshot_;
  }
  // The registry's view (taken with no lock of ours held): idle times and anything an
  // outage kept from Redis.
  std::vector<std::pair<std::string, UserInfo>> users;
  if (snapshot) users = snapshot();
  std::vector<std::string> records_argv = {"HSET", PresenceKey(options_.instance_id)};
  std::vector<std::pair<std::string, std::string>> held;
  {
    absl::MutexLock lock(&mu_);
    if (snapshot) {
      std::map<std::string, std::string> fresh;
      for (const auto& [key, info] : users) {
        if (held_.contains(key)) fresh[key] = EncodePresence(info);
      }
      records_ = std::move(fresh);
    }
    for (const auto& [key, record] : records_) {
      records_argv.push_back(key);
      records_argv.push_back(record);
    }
    held.assign(held_.begin(), held_.end());
  }
  const std::string& me = options_.instance_id;
  std::vector<std::vector<std::string>> commands = {
      {"SET", InstanceKey(me), me, "PX", lease_ms_},
      {"SADD", InstancesKey(), me},
      {"MULTI"},
      {"DEL", PresenceKey(me)},
  };
  if (records_argv.size() > 2) commands.push_back(std::move(records_argv));
  commands.push_back({"PEXPIRE", PresenceKey(me), presence_ms_});
  commands.push_back({"EXEC"});
  const size_t first_lease = commands.size();
  for (const auto& [key, name] : held) {
    commands.push_back({"EVAL", kRenewScript, "1", NameLeaseKey(key), me, lease_ms_});
  }
  absl::StatusOr<std::vector<absl::StatusOr<ReplyPtr>>> replies = connection.Pipeline(commands);
  if (!replies.ok()) return false;
  std::vector<std::string> lost, retaken;
  for (size_t i = 0; i < commands.size(); ++i) {
    const absl::StatusOr<ReplyPtr>& reply = (*replies)[i];
    if (!reply.ok()) {
      LOG_EVERY_N(WARNING, 100) << "presence: heartbeat: " << reply.status();
      continue;
    }
    if (i < first_lease) continue;
    const auto& [key, name] = held[i - first_lease];
    if (IsInteger(**reply, 0)) lost.push_back(key);
    if (IsInteger(**reply, 2)) retaken.push_back(key);
  }
  std::vector<std::string> lost_names, released_meanwhile;
  LostName on_lost;
  {
    absl::MutexLock lock(&mu_);
    on_lost = lost_;
    for (const std::string& key : lost) {
      if (auto it = held_.find(key); it != held_.end()) {
        lost_names.push_back(it->second);
        held_.erase(it);
        records_.erase(key);
      }
    }
    // Released while this heartbeat ran: its release may have come before our renewal
    // took the lease back. Released again, so the name is not held for a lease by nobody.
    for (const std::string& key : retaken) {
      if (!held_.contains(key)) released_meanwhile.push_back(key);
    }
  }
  for (const std::string& key : released_meanwhile) {
    if (!connection.Command({"EVAL", kReleaseScript, "1", NameLeaseKey(key), me}).ok()) {
      return false;
    }
  }
  for (const std::string& name : lost_names) {
    LOG(WARNING) << "presence: the name " << name
                 << " is held by another instance since an outage; its user here is "
                    "disconnected";
    if (on_lost) on_lost(name);
  }
  return true;
}

absl::StatusOr<std::vector<std::string>> Presence::OtherInstances(RedisConnection& connection) {
  std::vector<std::string> ids;
  std::string cursor = "0";
  do {
    absl::StatusOr<ReplyPtr> reply = connection.Command(
        {"SSCAN", InstancesKey(), cursor, "COUNT", absl::StrCat(kScanCount)});
    if (!reply.ok()) return reply.status();
    const redisReply* items = nullptr;
    if (!ScanReply(**reply, &cursor, &items)) return absl::InternalError("bad SSCAN reply");
    for (size_t i = 0; i < items->elements && ids.size() < options_.max_instances; ++i) {
      const std::string_view id = ReplyText(*items->element[i]);
      if (!id.empty() && id.size() <= kMaxInstanceBytes && id != options_.instance_id) {
        ids.emplace_back(id);
      }
    }
  } while (cursor != "0" && ids.size() < options_.max_instances);
  return ids;
}

bool Presence::ReadPresence(RedisConnection& connection, const std::string& instance,
                            size_t limit, std::vector<std::pair<std::string, UserInfo>>* users,
                            bool* truncated) {
  std::string cursor = "0";
  size_t read = 0;
  do {
    absl::StatusOr<ReplyPtr> reply = connection.Command(
        {"HSCAN", PresenceKey(instance), cursor, "COUNT", absl::StrCat(kScanCount)});
    if (!reply.ok()) return false;
    const redisReply* items = nullptr;
    if (!ScanReply(**reply, &cursor, &items)) return false;
    for (size_t i = 0; i + 1 < items->elements; i += 2) {
      if (read == limit) {
        *truncated = true;
        return true;
      }
      ++read;
      absl::StatusOr<UserInfo> info = DecodePresence(ReplyText(*items->element[i + 1]));
      if (!info.ok()) {
        LOG_EVERY_N(WARNING, 100) << "presence: a record of " << instance
                                  << " skipped: " << info.status();
        continue;
      }
      users->emplace_back(std::string(ReplyText(*items->element[i])), *std::move(info));
    }
  } while (cursor != "0");
  return true;
}

void Presence::ReapDead(RedisConnection& connection) {
  absl::StatusOr<std::vector<std::string>> others = OtherInstances(connection);
  if (!others.ok()) return;
  absl::StatusOr<std::vector<absl::StatusOr<ReplyPtr>>> replies =
      connection.Pipeline(ExistsCommands(*others));
  if (!replies.ok()) return;
  std::vector<std::string> dead;
  for (size_t i = 0; i < others->size(); ++i) {
    const absl::StatusOr<ReplyPtr>& reply = (*replies)[i];
    if (reply.ok() && IsInteger(**reply, 0)) dead.push_back((*others)[i]);
  }
  for (const std::string& id : dead) {
    if (!ReapInstance(connection, id)) return;
  }
}

bool Presence::ReapInstance(RedisConnection& connection, const std::string& id) {
  absl::StatusOr<ReplyPtr> claim =
      connection.Command({"SET", ReaperKey(id), options_.instance_id, "NX", "PX", lease_ms_});
  if (!claim.ok()) return !IsBroken(claim.status());
  if (IsNil(**claim)) return true;  // another survivor does it
  std::vector<std::pair<std::string, UserInfo>> users;
  bool truncated = false;
  if (!ReadPresence(connection, id, options_.max_listed, &users, &truncated)) return false;
  std::vector<std::vector<std::string>> commands;
  const absl::Time now = clock_.Now();
  for (const auto& [key, info] : users) {
    // What the user's own server would have written on its leave.
    std::vector<std::string> argv = {"XADD", RoomStreamKey(info.room), "MAXLEN", "~",
                                     absl::StrCat(std::max<size_t>(options_.stream_max_len, 1)),
                                     "*"};
    EncodeEvent(*MakeEvent(Event::Kind::kLeave, now, info.name, {}, 0), id, &argv);
    commands.push_back(std::move(argv));
  }
  commands.push_back({"DEL", PresenceKey(id)});
  commands.push_back({"SREM", InstancesKey(), id});
  if (!connection.Pipeline(commands).ok()) return false;
  LOG_IF(INFO, !users.empty() || id != options_.instance_id)
      << "presence: instance " << id << " is gone; announced " << users.size() << " leave(s)"
      << (truncated ? " (the first ones; more were dropped)" : "");
  return true;
}

SharedNames::Listing Presence::ListElsewhere() {
  Listing listing;
  const absl::Status status = pool_.Use([&](RedisConnection& connection) -> absl::Status {
    absl::StatusOr<std::vector<std::string>> others = OtherInstances(connection);
    if (!others.ok()) return others.status();
    absl::StatusOr<std::vector<absl::StatusOr<ReplyPtr>>> replies =
        connection.Pipeline(ExistsCommands(*others));
    if (!replies.ok()) return replies.status();
    std::vector<std::string> alive;
    for (size_t i = 0; i < others->size(); ++i) {
      const absl::StatusOr<ReplyPtr>& reply = (*replies)[i];
      if (!reply.ok()) return reply.status();
      if (IsInteger(**reply, 1)) alive.push_back((*others)[i]);
    }
    std::vector<std::pair<std::string, UserInfo>> users;
    for (const std::string& id : alive) {
      if (users.size() >= options_.max_listed) {
        listing.truncated = true;
        break;
      }
      if (!ReadPresence(connection, id, options_.max_listed - users.size(), &users,
                        &listing.truncated)) {
        return absl::UnavailableError("redis: reading presence");
      }
    }
    for (auto& [key, info] : users) listing.users.push_back(std::move(info));
    return absl::OkStatus();
  });
  if (status.ok()) return listing;
  listing = Listing();
  listing.unavailable = true;
  return listing;
}

std::optional<UserInfo> Presence::FindElsewhere(std::string_view key) {
  absl::StatusOr<ReplyPtr> owner = Run({"GET", NameLeaseKey(key)});
  if (!owner.ok() || IsNil(**owner)) return std::nullopt;
  const std::string_view id = ReplyText(**owner);
  if (id.empty() || id.size() > kMaxInstanceBytes || id == options_.instance_id) {
    return std::nullopt;
  }
  absl::StatusOr<ReplyPtr> record = Run({"HGET", PresenceKey(id), std::string(key)});
  if (!record.ok() || IsNil(**record)) return std::nullopt;
  absl::StatusOr<UserInfo> info = DecodePresence(ReplyText(**record));
  // Filed under another name's key, it is not this user, whatever it says.
  if (!info.ok() || NameKey(info->name) != key) return std::nullopt;
  return *std::move(info);
}

}  // namespace chat::cluster
