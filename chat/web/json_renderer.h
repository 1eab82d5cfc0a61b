// chat/web/json_renderer.h: what a client sees, as JSON objects, for the browser page and
// for bots (the protocol is documented in README.md, "From a browser").
//
// Defines:
//   JsonRenderer - one JSON object per line (JSON Lines); the WebSocket transport sends
//                  each line as one text message.

#ifndef CHAT_WEB_JSON_RENDERER_H_
#define CHAT_WEB_JSON_RENDERER_H_

#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "chat/core/renderer.h"
#include "chat/message.h"

namespace chat {

// Events become {"type":"chat","room":...,"time":...,"name":...,"text":...} and the
// like; times are RFC 3339 in UTC. Entering a room becomes one "welcome" object that
// carries the room's members and history, written as it is replayed: it is opened by
// Enter(), filled by History() and closed by the Prompt() that follows, so a long history
// never needs one buffer of its size (the transport sends it as a fragmented message).
// Prompts are otherwise silent, except that the first one after the client's name changed
// (a /name) says so: {"type":"name","name":...}. Notices become "banner", "reply",
// "error" and "goodbye" objects; the name prompt is implied (a client that is not logged
// in sends a login) and protocol bytes are this protocol's own, so they pass verbatim.
//
// Strings are escaped by nlohmann::json; any invalid UTF-8 (there should be none: text is
// sanitised and names validated) becomes U+FFFD rather than an exception.
// A room event's object is the same for every JSON reader in the room, so it is drawn
// once and kept in the event (Event::rendered) for the other writers to copy.
// Not thread-safe: one per writer (the kept drawings are shared safely).
class JsonRenderer final : public Renderer {
 public:
  JsonRenderer() = default;

  void BeginBatch(absl::Time now, std::string_view name) override;
  void Live(const Event& event, std::string* out) override;
  void History(const Event& event, std::string* out) override;
  void Prompt(std::string* out) override;
  void Notice(NoticeKind kind, std::string_view text, std::string* out) override;
  void Enter(const Room& room, std::string* out) override;

  // What JSON renderers keep their drawings of room events under, in each event's
  // RenderCache (see AppendEvent), with the room's name as the context.
  static const void* CacheKey();

 private:
  // Appends `event` as one JSON object, without a newline: the bytes kept in the event
  // by another JSON writer if there are any, else drawn (and kept for the others).
  void AppendEvent(const Event& event, std::string* out);
  // Draws `event` as one JSON object, without a newline.
  void DrawEvent(const Event& event, std::string* out);

  TimestampFormatter times_{absl::UTCTimeZone(), kRfc3339UtcFormat};
  std::string name_;       // the client's name as of this batch
  std::string announced_;  // the name the client was last told it has
  std::string room_;       // the room the client is in; empty before login
  bool in_welcome_ = false;
  bool history_empty_ = true;  // no history item written into the open welcome yet
};

}  // namespace chat

#endif  // CHAT_WEB_JSON_RENDERER_H_
