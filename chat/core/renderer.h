// chat/core/renderer.h: how a client's writer turns events into its protocol's bytes.
//
// Defines:
//   Renderer - the interface; one instance per writer thread.
//
// The room knows nothing of bytes. A kind of client is a Renderer (net-cat:
// chat/netcat/renderer.h; JSON for browsers and bots: chat/web/json_renderer.h), not an
// edit of the room or the session's writer.

#ifndef CHAT_CORE_RENDERER_H_
#define CHAT_CORE_RENDERER_H_

#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "chat/core/event.h"
#include "chat/core/notice.h"
#include "chat/core/room.h"

namespace chat {

// Not thread-safe: each writer thread owns its renderer.
class Renderer {
 public:
  virtual ~Renderer() = default;

  // Renderer::BeginBatch() starts one write's worth of output, drawn at `now` for a
  // client called `name` (empty before login).
  virtual void BeginBatch(absl::Time now, std::string_view name) = 0;
  // An event as it happens (a line, a notice, a private message).
  virtual void Live(const Event& event, std::string* out) = 0;
  // An event replayed to a newcomer.
  virtual void History(const Event& event, std::string* out) = 0;
  // "Your turn to type".
  virtual void Prompt(std::string* out) = 0;
  // Something for this client alone (see NoticeKind); `text` is empty for kNamePrompt.
  virtual void Notice(NoticeKind kind, std::string_view text, std::string* out) = 0;
  // The client is now in `room` (after login or /join). Its history follows, through
  // History(), and then a Prompt(). Called by the writer, holding no lock.
  virtual void Enter(const Room& room, std::string* out) = 0;
};

}  // namespace chat

#endif  // CHAT_CORE_RENDERER_H_
