#include "chat/netcat/renderer.h"

#include "absl/strings/str_cat.h"

namespace chat {
namespace {

// This renderer's key in an event's RenderCache.
const char kRenderCacheKey = 0;

}  // namespace

const void* NetcatRenderer::CacheKey() { return &kRenderCacheKey; }

void NetcatRenderer::BeginBatch(absl::Time now, std::string_view name) {
  prompt_.clear();
  AppendChatLine(&prompt_, prompt_times_.Format(now), name, "");
}

void NetcatRenderer::AppendLine(const Event& event, std::string* out) {
  switch (event.kind) {
    case Event::Kind::kChat:
      AppendChatLine(out, event_times_.Format(event.time), event.name, event.text);
      return;
    case Event::Kind::kEmote:
      AppendEmote(out, event_times_.Format(event.time), event.name, event.text);
      return;
    case Event::Kind::kJoin:
      AppendJoinNotice(out, event.name);
      return;
    case Event::Kind::kLeave:
      AppendLeaveNotice(out, event.name);
      return;
    case Event::Kind::kRename:
      AppendRenameNotice(out, event.name, event.text);
      return;
    case Event::Kind::kModeration:  // a notice, like a join: the sentence alone
      out->append(event.text);
      return;
    case Event::Kind::kPrivate:
      AppendPrivateMessage(out, event_times_.Format(event.time), event.name, event.text);
      return;
  }
}

void NetcatRenderer::Live(const Event& event, std::string* out) {
  // "\n<line>\n" is the same for every net-cat reader of a room event (only the prompt
  // after it is theirs), so the first writer's drawing serves the rest; the time zone is
  // the one thing of the reader's side in it. A private message has one reader.
  if (event.kind == Event::Kind::kPrivate) {
    DrawLive(event, out);
  } else if (const std::string* kept = event.rendered.Find(&kRenderCacheKey, zone_name_)) {
    out->append(*kept);
  } else {
    const size_t start = out->size();
    DrawLive(event, out);
    event.rendered.Keep(&kRenderCacheKey, zone_name_, std::string_view(*out).substr(start));
  }
  out->append(prompt_);
}

void NetcatRenderer::DrawLive(const Event& event, std::string* out) {
  out->push_back('\n');
  AppendLine(event, out);
  out->push_back('\n');
}

void NetcatRenderer::Notice(NoticeKind kind, std::string_view text, std::string* out) {
  switch (kind) {
    case NoticeKind::kBanner:
    case NoticeKind::kReply:
    case NoticeKind::kError:
      absl::StrAppend(out, text, "\n");
      return;
    case NoticeKind::kNamePrompt:
      out->append(kNamePrompt);
      return;
    case NoticeKind::kGoodbye:
    case NoticeKind::kMotd:
      // The client may be half-way through typing after a prompt: end that line first.
      absl::StrAppend(out, "\n", text, "\n");
      return;
    case NoticeKind::kProtocol:
      out->append(text);
      return;
    case NoticeKind::kSecretPrompt:  // "[ENTER PASSWORD]: ", like the name prompt
      absl::StrAppend(out, "[", text, "]: ");
      return;
  }
}

void NetcatRenderer::History(const Event& event, std::string* out) {
  AppendLine(event, out);
  out->push_back('\n');
}

}  // namespace chat
