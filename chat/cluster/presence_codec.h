// chat/cluster/presence_codec.h: one user's presence record, as servers share it.
//
// Defines:
//   EncodePresence() / DecodePresence() - what one server tells the others about one of
//                      its users, as one hash value; decoding treats it as untrusted.
//
// Apart from Presence (chat/cluster/presence.h), which talks to Redis and runs a
// heartbeat thread, so the record's parser can be fuzzed and tested on its own.

#ifndef CHAT_CLUSTER_PRESENCE_CODEC_H_
#define CHAT_CLUSTER_PRESENCE_CODEC_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "chat/name_registry.h"

namespace chat::cluster {

// Bounds on a presence record; beyond them (after sanitising) it is refused.
inline constexpr size_t kMaxPresenceBytes = 1024;
inline constexpr size_t kMaxPresenceAwayBytes = 200;  // /away's own limit
// Two IPv6 addresses with ports ("client via balancer") fit.
inline constexpr size_t kMaxPresenceAddressBytes = 128;

// EncodePresence() is "1\n<name>\n<room>\n<connected ms>\n<last line ms>\n<0|1>\n
// <address>\n<away>": no field but the last can hold a newline (names and rooms never
// do; addresses are ours), and the away text is sanitised, so it cannot either.
std::string EncodePresence(const UserInfo& info);
// DecodePresence() rebuilds what EncodePresence() wrote (id 0, no address key). Anything
// else is refused: the version, the field count, times, a name or room that ValidateName
// or ValidateRoomName refuses, and text over the bounds after sanitising.
absl::StatusOr<UserInfo> DecodePresence(std::string_view value);

}  // namespace chat::cluster

#endif  // CHAT_CLUSTER_PRESENCE_CODEC_H_
