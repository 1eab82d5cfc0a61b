// chat/core/event.h: what happens in a room, as data.
//
// Defines:
//   Event    - one thing that happened (a line, an emote, a join, ...), immutable once
//              published, shared by every reader.
//   EventPtr - a shared, immutable Event.
//
// Events carry no protocol bytes: each client's renderer (chat/netcat/renderer.h for
// nc and telnet) turns them into what its protocol sends. A renderer may memo its bytes
// in the event (`rendered`) for the other readers of the same protocol.

#ifndef CHAT_CORE_EVENT_H_
#define CHAT_CORE_EVENT_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "chat/core/render_cache.h"

namespace chat {

struct Event {
  enum class Kind {
    kChat,     // `name` said `text`
    kEmote,    // `name` did `text` (/me)
    kJoin,     // `name` joined the room
    kLeave,    // `name` left the room
    kRename,   // `name` is now called `text`
    kPrivate,  // `name` sent `text` to the recipient alone (never in a room's log)
    kModeration,  // operator `name` acted: `text` says what ("alice kicked bob (spam)")
  };

  // Memory an event costs beyond its two strings: the struct and its control block.
  // Counting it bounds a flood of tiny events too.
  static constexpr size_t kOverheadBytes = 64;

  Kind kind = Kind::kChat;
  absl::Time time;
  std::string name;
  std::string text;
  // The member whose action this is (0: nobody, e.g. restored history). That member is
  // not shown its own event: you do not see your own line or your own join echoed.
  uint64_t origin = 0;
  // A private message from another instance's user (--redis): that instance's id and the
  // sender's session there, so /reply reaches that session, not whoever has its name by
  // then. Empty / 0 otherwise (or from a sender that did not say).
  std::string origin_instance;
  uint64_t origin_session = 0;
  // Position in its room's log, set when appended (see RoomLog).
  uint64_t seq = 0;
  // A protocol's drawing of this event, shared by all its readers (see render_cache.h).
  // Not counted in charge(): it is at most a few times the two strings, and only
  // exists in rooms where that protocol's clients read.
  RenderCache rendered;

  // What a late joiner is replayed: chat lines and emotes, not notices.
  bool is_history() const { return kind == Kind::kChat || kind == Kind::kEmote; }
  // Bytes charged for keeping this event (room log bounds, reader lag).
  size_t charge() const {
    return name.size() + text.size() + origin_instance.size() + kOverheadBytes;
  }
};

using EventPtr = std::shared_ptr<const Event>;

// MakeEvent() builds an event to be appended to a room or sent privately.
inline std::shared_ptr<Event> MakeEvent(Event::Kind kind, absl::Time time, std::string name,
                                        std::string text = {}, uint64_t origin = 0) {
  auto event = std::make_shared<Event>();
  event->kind = kind;
  event->time = time;
  event->name = std::move(name);
  event->text = std::move(text);
  event->origin = origin;
  return event;
}

}  // namespace chat

#endif  // CHAT_CORE_EVENT_H_
