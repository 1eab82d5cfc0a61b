// chat/cluster/inbox_codec.h: what one instance sends another's users, as stream entries.
//
// Defines:
//   InboxEntry          - a private message or a kick for a user of the receiving instance.
//   EncodeInboxEntry()  - its fields for XADD.
//   DecodeInboxEntry()  - fields -> InboxEntry, validated and bounded (entries are
//                         untrusted: any process that can reach Redis can write them).
//
// Entry fields (all strings): v=1 (format), k=kind (p private message, k kick), to=the
// recipient's name, n=the sender's name (private messages), i=the sending instance's id,
// x=the text (the message, or the kicked user's goodbye), t=time (Unix milliseconds),
// s=the sender's session id on its instance (private messages; absent from older senders),
// r=the recipient's session id (a /reply: only that session may have it; absent: whoever
// has the name). Unknown fields are ignored, so a later version may add some.

#ifndef CHAT_CLUSTER_INBOX_CODEC_H_
#define CHAT_CLUSTER_INBOX_CODEC_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "chat/cluster/stream_codec.h"

namespace chat::cluster {

struct InboxEntry {
  enum class Kind { kPrivate, kKick };
  Kind kind = Kind::kPrivate;
  std::string to;        // the recipient, as the sender named it (matched by NameKey)
  std::string from;      // the sender's display name; empty for a kick
  std::string instance;  // the sender's instance id (for the logs)
  std::string text;
  absl::Time at = absl::UnixEpoch();
  // The sender's session on `instance` (0: not said), so a /reply reaches that session
  // and not whoever has its name by then.
  uint64_t from_session = 0;
  // Nonzero: a /reply, for that session of the receiving instance only.
  uint64_t to_session = 0;

  friend bool operator==(const InboxEntry&, const InboxEntry&) = default;
};

void EncodeInboxEntry(const InboxEntry& entry, std::vector<std::string>* argv);

// DecodeInboxEntry() refuses (InvalidArgument) a missing or malformed field or one beyond
// stream_codec.h's bounds; names and text are sanitised again as if typed here, and a
// name ValidateName() (chat/name.h) would refuse is refused, so a forged one cannot draw
// a misleading `[name -> you]` frame. A private message needs a sender and a recipient;
// a kick, a recipient.
absl::StatusOr<InboxEntry> DecodeInboxEntry(absl::Span<const StreamField> fields);

}  // namespace chat::cluster

#endif  // CHAT_CLUSTER_INBOX_CODEC_H_
