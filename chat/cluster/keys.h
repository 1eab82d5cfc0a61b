// chat/cluster/keys.h: the Redis keys instances share, besides the room streams
// (RoomStreamKey() in stream_codec.h). Every key starts "tcpchat:", so one Redis can be
// inspected (or shared with other data) without guessing. Each function takes a key
// that is already normalised (NameKey(), an instance id): Redis never parses these, they
// are sent as single argv arguments.

#ifndef CHAT_CLUSTER_KEYS_H_
#define CHAT_CLUSTER_KEYS_H_

#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"

namespace chat::cluster {

// A claimed name: its value is the owning instance's id; it expires unless the owner
// keeps it alive, so a crashed instance's names free themselves.
inline std::string NameLeaseKey(std::string_view name_key) {
  return absl::StrCat("tcpchat:name:", name_key);
}

// An instance's heartbeat: exists while the instance is alive.
inline std::string InstanceKey(std::string_view instance_id) {
  return absl::StrCat("tcpchat:instance:", instance_id);
}

// Who is connected to an instance: a hash from name key to what others may learn of
// that user (/users, /whois, /rooms).
inline std::string PresenceKey(std::string_view instance_id) {
  return absl::StrCat("tcpchat:presence:", instance_id);
}

// Every instance that has ever beaten here and not yet been cleaned up after: a set of
// instance ids, so finding the others costs one small read, not a SCAN of the keyspace.
inline std::string InstancesKey() { return "tcpchat:instances"; }

// Held (value: the claimer's instance id, with an expiry) by the one survivor that
// announces a dead instance's users' leaves, so they are announced once.
inline std::string ReaperKey(std::string_view dead_instance_id) {
  return absl::StrCat("tcpchat:reaper:", dead_instance_id);
}

// What other instances send to an instance's users: private messages, kicks.
inline std::string InboxKey(std::string_view instance_id) {
  return absl::StrCat("tcpchat:inbox:", instance_id);
}

}  // namespace chat::cluster

#endif  // CHAT_CLUSTER_KEYS_H_
