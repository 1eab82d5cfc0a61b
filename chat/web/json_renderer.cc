#include "chat/web/json_renderer.h"

#include <array>
#include <nlohmann/json.hpp>

#include "glog/logging.h"

namespace chat {
namespace {

// Insertion-ordered, so "type" comes first: easier to read in a browser's devtools.
using Json = nlohmann::ordered_json;

void Append(const Json& value, std::string* out) {
  out->append(value.dump(-1, ' ', false, Json::error_handler_t::replace));
}

void AppendLine(const Json& value, std::string* out) {
  Append(value, out);
  out->push_back('\n');
}

// Printable ASCII other than '"' and '\\': what JSON writes as it is. A table, since every
// byte of every delivery to a web client is looked up here.
constexpr std::array<bool, 256> kPlainJson = [] {
  std::array<bool, 256> plain{};
  for (int c = 0x20; c <= 0x7E; ++c) plain[c] = c != '"' && c != '\\';
  return plain;
}();

bool NeedsNoEscaping(std::string_view text) {
  for (const char c : text) {
    if (!kPlainJson[static_cast<unsigned char>(c)]) return false;
  }
  return true;
}

// Appends `text` as a JSON string. The usual chat text is plain ASCII and is copied as it
// is; anything else (escapes, UTF-8, invalid bytes) is nlohmann's, exactly as before.
void AppendString(std::string_view text, std::string* out) {
  if (NeedsNoEscaping(text)) {
    out->push_back('"');
    out->append(text);
    out->push_back('"');
    return;
  }
  Append(Json(text), out);
}

// Appends `,"name":<value>`.
void AppendMember(std::string_view name, std::string_view value, std::string* out) {
  out->append(",\"");
  out->append(name);
  out->append("\":");
  AppendString(value, out);
}

std::string_view TypeOf(Event::Kind kind) {
  switch (kind) {
    case Event::Kind::kChat: return "chat";
    case Event::Kind::kEmote: return "emote";
    case Event::Kind::kJoin: return "join";
    case Event::Kind::kLeave: return "leave";
    case Event::Kind::kRename: return "rename";
    case Event::Kind::kPrivate: return "private";
    case Event::Kind::kModeration: return "moderation";
  }
  return "chat";
}

const char kRenderCacheKey = 0;

}  // namespace

const void* JsonRenderer::CacheKey() { return &kRenderCacheKey; }

void JsonRenderer::BeginBatch(absl::Time now, std::string_view name) { name_ = name; }

void JsonRenderer::AppendEvent(const Event& event, std::string* out) {
  // A private message names its reader ("to"); everything else is drawn the same for
  // every JSON client in the room, so the first writer's bytes serve the rest. The room
  // is the cache's context: it is the one member that comes from the reader's side.
  if (event.kind == Event::Kind::kPrivate) {
    DrawEvent(event, out);
    return;
  }
  if (const std::string* kept = event.rendered.Find(&kRenderCacheKey, room_)) {
    out->append(*kept);
    return;
  }
  const size_t start = out->size();
  DrawEvent(event, out);
  event.rendered.Keep(&kRenderCacheKey, room_, std::string_view(*out).substr(start));
}

// Written member by member rather than built as a Json and dumped: every delivery to a
// web client comes through here, and the tree cost an allocation per member and most of
// a busy web port's CPU. The bytes are those the tree gave (json_renderer_test compares).
void JsonRenderer::DrawEvent(const Event& event, std::string* out) {
  out->append("{\"type\":\"");
  out->append(TypeOf(event.kind));
  out->push_back('"');
  if (event.kind == Event::Kind::kPrivate) {
    AppendMember("to", name_, out);
  } else {
    AppendMember("room", room_, out);
  }
  AppendMember("time", times_.Format(event.time), out);
  AppendMember("name", event.name, out);
  switch (event.kind) {
    case Event::Kind::kChat:
    case Event::Kind::kEmote:
    case Event::Kind::kPrivate:
    case Event::Kind::kModeration:
      AppendMember("text", event.text, out);
      break;
    case Event::Kind::kRename:
      AppendMember("new_name", event.text, out);
      break;
    case Event::Kind::kJoin:
    case Event::Kind::kLeave:
      break;
  }
  out->push_back('}');
}

void JsonRenderer::Live(const Event& event, std::string* out) {
  AppendEvent(event, out);
  out->push_back('\n');
}

void JsonRenderer::History(const Event& event, std::string* out) {
  if (!in_welcome_) {  // not expected: history is only replayed after Enter()
    Live(event, out);
    return;
  }
  if (!std::exchange(history_empty_, false)) out->push_back(',');
  AppendEvent(event, out);
}

void JsonRenderer::Enter(const Room& room, std::string* out) {
  room_ = room.name();
  announced_ = name_;
  // Opened here and closed by the next Prompt(): see the class comment.
  Json head;
  head["type"] = "welcome";
  head["name"] = name_;
  head["room"] = room_;
  head["users"] = room.MemberNames();
  head["history"] = Json::array();
  std::string text;
  Append(head, &text);
  // `text` ends in "[]}" ("history" is the last member); the history goes between the
  // brackets.
  DCHECK(text.ends_with("[]}")) << text;
  text.resize(text.size() - 2);
  out->append(text);
  in_welcome_ = true;
  history_empty_ = true;
}

void JsonRenderer::Prompt(std::string* out) {
  if (in_welcome_) {
    out->append("]}\n");
    in_welcome_ = false;
    return;
  }
  if (!room_.empty() && name_ != announced_) {
    announced_ = name_;
    AppendLine(Json{{"type", "name"}, {"name", name_}}, out);
  }
}

void JsonRenderer::Notice(NoticeKind kind, std::string_view text, std::string* out) {
  std::string_view type;
  switch (kind) {
    case NoticeKind::kBanner: type = "banner"; break;
    case NoticeKind::kReply: type = "reply"; break;
    case NoticeKind::kError: type = "error"; break;
    case NoticeKind::kGoodbye: type = "goodbye"; break;
    case NoticeKind::kMotd: type = "motd"; break;
    case NoticeKind::kNamePrompt: return;
    case NoticeKind::kSecretPrompt: type = "password_prompt"; break;
    case NoticeKind::kProtocol:
      out->append(text);
      return;
  }
  AppendLine(Json{{"type", type}, {"text", text}}, out);
}

}  // namespace chat
