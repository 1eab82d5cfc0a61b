// chat/netcat/renderer.h: events as the classic net-cat protocol shows them.
//
// Defines:
//   NetcatRenderer - "[time][name]:text" lines, notices, and the prompt redraw.

#ifndef CHAT_NETCAT_RENDERER_H_
#define CHAT_NETCAT_RENDERER_H_

#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "chat/core/renderer.h"
#include "chat/message.h"

namespace chat {

// A live event arrives as "\n<line>\n<prompt>": the newline ends the half-drawn prompt
// the client is typing after, and the fresh prompt redraws it. History is "<line>\n".
// Every prompt drawn in one batch shows the batch's time. Not thread-safe.
class NetcatRenderer final : public Renderer {
 public:
  explicit NetcatRenderer(absl::TimeZone zone)
      : zone_name_(zone.name()), event_times_(zone), prompt_times_(zone) {}

  void BeginBatch(absl::Time now, std::string_view name) override;
  void Live(const Event& event, std::string* out) override;
  void History(const Event& event, std::string* out) override;
  void Prompt(std::string* out) override { out->append(prompt_); }
  void Notice(NoticeKind kind, std::string_view text, std::string* out) override;
  // The protocol has no "you are in" line of its own: the session's reply says it.
  void Enter(const Room& room, std::string* out) override {}

  // This renderer's key in an event's RenderCache (tests).
  static const void* CacheKey();

  // The line an event is shown as, without newline (tests, logs).
  void AppendLine(const Event& event, std::string* out);

 private:
  void DrawLive(const Event& event, std::string* out);

  std::string zone_name_;
  TimestampFormatter event_times_;
  TimestampFormatter prompt_times_;
  std::string prompt_;
};

}  // namespace chat

#endif  // CHAT_NETCAT_RENDERER_H_
