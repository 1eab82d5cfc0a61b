#include "chat/web/json_renderer.h"

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

std::string_view TypeOf(Event::Kind kind) {
  switch (kind) {
    case Event::Kind::kChat: return "chat";
    case Event::Kind::kEmote: return "emote";
    case Event::Kind::kJoin: return "join";
    case Event::Kind::kLeave: return "leave";
    case Event::Kind::kRename: return "rename";
    case Event::Kind::kPrivate: return "private";
  }
  return "chat";
}

}  // namespace

void JsonRenderer::BeginBatch(absl::Time now, std::string_view name) { name_ = name; }

void JsonRenderer::AppendEvent(const Event& event, std::string* out) {
  Json json;
  json["type"] = TypeOf(event.kind);
  if (event.kind == Event::Kind::kPrivate) {
    json["to"] = name_;
  } else {
    json["room"] = room_;
  }
  json["time"] = times_.Format(event.time);
  json["name"] = event.name;
  switch (event.kind) {
    case Event::Kind::kChat:
    case Event::Kind::kEmote:
    case Event::Kind::kPrivate:
      json["text"] = event.text;
      break;
    case Event::Kind::kRename:
      json["new_name"] = event.text;
      break;
    case Event::Kind::kJoin:
    case Event::Kind::kLeave:
      break;
  }
  Append(json, out);
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
    case NoticeKind::kProtocol:
      out->append(text);
      return;
  }
  AppendLine(Json{{"type", type}, {"text", text}}, out);
}

}  // namespace chat
