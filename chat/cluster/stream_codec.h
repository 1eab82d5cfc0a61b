// chat/cluster/stream_codec.h: room events as Redis stream entries, and back.
//
// Defines:
//   RoomStreamKey()  - the stream of one room.
//   EncodeEvent()    - an event's fields for XADD.
//   StreamField      - one field/value pair read back.
//   DecodeEvent()    - fields -> Event, validated and bounded (entries are untrusted:
//                      any process that can reach Redis can write them).
//   StreamId         - an entry ID ("<ms>-<seq>"), parsed and compared.
//
// Entry fields (all strings): v=1 (format), k=kind (c chat, e emote, j join, l leave,
// r rename, m moderation), t=time (ms since the epoch), n=name, x=text, i=instance id of
// the poster's server, o=poster's member id on that server. Unknown fields are ignored,
// so a later version may add some.

#ifndef CHAT_CLUSTER_STREAM_CODEC_H_
#define CHAT_CLUSTER_STREAM_CODEC_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "chat/core/event.h"

namespace chat::cluster {

// Bounds on what a decoded entry may hold; beyond them the entry is refused.
inline constexpr size_t kMaxNameBytes = 1024;
inline constexpr size_t kMaxTextBytes = 64 * 1024;
inline constexpr size_t kMaxInstanceBytes = 256;
inline constexpr size_t kMaxFields = 32;

// RoomStreamKey() is "tcpchat:room:" + the room's key (NameKey, so every spelling of a
// room shares one stream). Always sent as one argv argument, never parsed by Redis.
std::string RoomStreamKey(std::string_view room_name);

// EncodeEvent() appends the event's field/value pairs to `argv` (after XADD key ...).
void EncodeEvent(const Event& event, std::string_view instance_id, std::vector<std::string>* argv);

using StreamField = std::pair<std::string_view, std::string_view>;

// DecodeEvent() rebuilds the event. Its origin is the member id only when the entry
// came from `own_instance` (so a member does not see its own events); any other
// instance's member becomes 0, which no local member has. Names and text are
// sanitised again (control and bidi characters, invalid UTF-8) as if typed here.
absl::StatusOr<std::shared_ptr<Event>> DecodeEvent(absl::Span<const StreamField> fields,
                                                   std::string_view own_instance);

// StreamId is a stream entry ID; ordered as Redis orders them.
struct StreamId {
  uint64_t ms = 0;
  uint64_t seq = 0;
  static std::optional<StreamId> Parse(std::string_view text);
  std::string ToString() const;
  friend bool operator<(const StreamId& a, const StreamId& b) {
    return a.ms != b.ms ? a.ms < b.ms : a.seq < b.seq;
  }
  friend bool operator==(const StreamId& a, const StreamId& b) {
    return a.ms == b.ms && a.seq == b.seq;
  }
};

}  // namespace chat::cluster

#endif  // CHAT_CLUSTER_STREAM_CODEC_H_
