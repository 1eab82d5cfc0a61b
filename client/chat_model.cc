#include "client/chat_model.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/name_colors.h"
#include "client/utf8.h"

namespace chat::client {
namespace {

using Kind = ServerEvent::Kind;

bool IsWordByte(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' ||
         (static_cast<unsigned char>(c) & 0x80) != 0;
}

bool IsUsersCommand(std::string_view line) {
  std::string_view word = line.substr(0, line.find(' '));
  return word == "/users" || word == "/who";
}

}  // namespace

ChatModel::ChatModel(Options options) : options_(std::move(options)) {
  if (!options_.now) options_.now = [] { return std::string(); };
}

void ChatModel::OnServerBytes(std::string_view bytes) {
  std::vector<ServerEvent> events;
  stream_.Feed(bytes, &events);
  for (const ServerEvent& event : events) Handle(event);
  UpdateState();
}

void ChatModel::OnServerClosed() {
  const ServerEvent pending = stream_.PendingPrompt();
  if (pending.kind == Kind::kText && !pending.text.empty()) {
    Add({Span{pending.text, kNoticeStyle}});
    last_text_ = pending.text;
  }
  Note("The server closed the connection.");
}

void ChatModel::Note(std::string_view text) {
  Add({Span{SanitizeForDisplay(text), kClientStyle}});
}

void ChatModel::Add(StyledLine line) { lines_.push_back(std::move(line)); }

int ChatModel::NameStyle(std::string_view name) const {
  if (name == own_name_) return kOwnStyle;
  if (options_.name_colors <= 0) return kPlainStyle;
  return kNameStyle + static_cast<int>(NameHash(name) % static_cast<uint32_t>(options_.name_colors));
}

bool ChatModel::Mentions(std::string_view text) const {
  if (own_name_.empty()) return false;
  const std::string lower_text = absl::AsciiStrToLower(text);
  const std::string lower_name = absl::AsciiStrToLower(own_name_);
  for (size_t at = lower_text.find(lower_name); at != std::string::npos;
       at = lower_text.find(lower_name, at + 1)) {
    const size_t end = at + lower_name.size();
    if ((at == 0 || !IsWordByte(lower_text[at - 1])) &&
        (end == lower_text.size() || !IsWordByte(lower_text[end]))) {
      return true;
    }
  }
  return false;
}

void ChatModel::AddMessage(const std::string& time, const std::string& name,
                           std::string_view separator, const std::string& text,
                           bool is_private) {
  StyledLine line;
  if (!time.empty()) line.push_back(Span{absl::StrCat("[", time, "]"), kTimeStyle});
  const bool mention = name != own_name_ && Mentions(text);
  if (is_private) {
    line.push_back(Span{absl::StrCat("[", name, " -> you]"), kPrivateStyle});
  } else {
    line.push_back(Span{absl::StrCat("[", name, "]"), NameStyle(name)});
  }
  line.push_back(Span{std::string(separator), kPlainStyle});
  line.push_back(Span{text, mention || is_private ? kMentionStyle : kPlainStyle});
  if (mention || is_private) bell_ = true;
  Add(std::move(line));
}

void ChatModel::Handle(const ServerEvent& event) {
  switch (event.kind) {
    case Kind::kPrompt:
      // The server redrawing its input prompt: state, never text (it names us).
      if (own_name_ != event.name) {
        own_name_ = event.name;
        RequestUsers();
      }
      return;
    case Kind::kNamePrompt:
    case Kind::kPasswordPrompt:
      return;
    case Kind::kChat:
      AddMessage(event.time, event.name, ":", event.text, false);
      return;
    case Kind::kPrivate:
      AddMessage(event.time, event.name, ":", event.text, true);
      return;
    case Kind::kEmote: {
      StyledLine line = {Span{absl::StrCat("[", event.time, "] * "), kTimeStyle},
                         Span{event.name, NameStyle(event.name)},
                         Span{absl::StrCat(" ", event.text), kPlainStyle}};
      if (event.name != own_name_ && Mentions(event.text)) {
        line.back().style = kMentionStyle;
        bell_ = true;
      }
      Add(std::move(line));
      return;
    }
    case Kind::kJoin:
    case Kind::kLeave:
      Add({Span{event.name, NameStyle(event.name)},
           Span{event.text.substr(event.name.size()), kNoticeStyle}});
      RequestUsers();
      return;
    case Kind::kRename:
      Add({Span{event.name, NameStyle(event.name)},
           Span{" changed their name to ", kNoticeStyle},
           Span{event.text, NameStyle(event.text)}});
      RequestUsers();
      return;
    case Kind::kUsers: {
      users_supported_ = true;
      room_ = event.room;
      users_ = event.users;
      const bool automatic = !users_requests_.empty() && users_requests_.front();
      if (!users_requests_.empty()) users_requests_.pop_front();
      hide_total_ = automatic;
      if (!automatic) Add({Span{event.text, kNoticeStyle}});
      if (users_stale_ && std::count(users_requests_.begin(), users_requests_.end(), true) == 0) {
        users_stale_ = false;
        RequestUsers();
      }
      return;
    }
    case Kind::kConnectedTotal:
      if (!hide_total_) Add({Span{event.text.empty() ? "" : absl::StrCat(
                                      "Connected in total: ", event.text), kNoticeStyle}});
      hide_total_ = false;
      return;
    case Kind::kText:
      hide_total_ = false;
      // The newline that ends a prompt the client already finished (LineSent).
      if (event.text.empty()) return;
      last_text_ = event.text;
      Add({Span{event.text, kNoticeStyle}});
      if (absl::StartsWith(event.text, "You are now in ")) RequestUsers();
      return;
  }
}

void ChatModel::UpdateState() {
  const ServerEvent pending = stream_.PendingPrompt();
  if (pending.kind == Kind::kPrompt && pending.name != own_name_) {
    own_name_ = pending.name;
    RequestUsers();
  }
  // The server is waiting for input again.
  if ((pending.kind == Kind::kPrompt && pending.name == own_name_) ||
      pending.kind == Kind::kNamePrompt || pending.kind == Kind::kPasswordPrompt) {
    awaiting_prompt_ = false;
  }
  Pump();
}

void ChatModel::Queue(std::string line, bool automatic_users) {
  queue_.push_back(Outgoing{std::move(line), automatic_users});
  Pump();
}

void ChatModel::Pump() {
  if (awaiting_prompt_ || queue_.empty()) return;
  Outgoing next = std::move(queue_.front());
  queue_.pop_front();
  if (next.automatic_users || IsUsersCommand(next.line)) {
    users_requests_.push_back(next.automatic_users);
  }
  absl::StrAppend(&outgoing_, next.line, "\n");
  stream_.LineSent(own_name_);
  awaiting_prompt_ = true;
}

void ChatModel::ReleaseStalled() {
  awaiting_prompt_ = false;
  Pump();
}

void ChatModel::RequestUsers() {
  if (!options_.auto_users || own_name_.empty()) return;
  // Before the first reply, only the request right after login is sent: a net-cat
  // server without commands would show "/users" to everyone, once at most.
  if (!users_supported_ && asked_users_) return;
  const auto automatic = [](const Outgoing& o) { return o.automatic_users; };
  if (std::count(users_requests_.begin(), users_requests_.end(), true) > 0 ||
      std::any_of(queue_.begin(), queue_.end(), automatic)) {
    users_stale_ = true;
    return;
  }
  asked_users_ = true;
  Queue("/users", true);
}

void ChatModel::OnUserLine(std::string_view line) {
  const ServerEvent pending = stream_.PendingPrompt();
  const bool at_login_prompt =
      pending.kind == Kind::kNamePrompt || pending.kind == Kind::kPasswordPrompt;
  if (at_login_prompt) {
    // Shown as a terminal would: the prompt and the answer (never a password).
    std::string shown = pending.text;
    if (pending.kind == Kind::kNamePrompt) shown += SanitizeForDisplay(line);
    Add({Span{shown, kNoticeStyle}});
  } else if (logged_in()) {
    if (std::all_of(line.begin(), line.end(), [](char c) { return c == ' ' || c == '\t'; })) {
      return;
    }
    AddMessage(options_.now(), own_name_, ":", SanitizeForDisplay(line), false);
  } else if (!MaskInput()) {
    Add({Span{SanitizeForDisplay(line), kPlainStyle}});
  }
  Queue(std::string(line), false);
}

std::vector<StyledLine> ChatModel::TakeLines() { return std::exchange(lines_, {}); }
std::string ChatModel::TakeOutgoing() { return std::exchange(outgoing_, {}); }
bool ChatModel::TakeBell() { return std::exchange(bell_, false); }

std::string ChatModel::InputLabel() const {
  const ServerEvent pending = stream_.PendingPrompt();
  switch (pending.kind) {
    case Kind::kNamePrompt:
    case Kind::kPasswordPrompt:
      return pending.text;
    default:
      break;
  }
  if (logged_in()) return absl::StrCat("[", own_name_, "]: ");
  return pending.text;  // some other server's prompt, drawn as it is
}

bool ChatModel::MaskInput() const {
  return stream_.PendingPrompt().kind == Kind::kPasswordPrompt || stream_.server_echoes();
}

std::string ChatModel::Status() const {
  if (users_.empty()) return room_;
  return absl::StrCat(room_, " | ", users_.size(), " online: ", absl::StrJoin(users_, ", "));
}

}  // namespace chat::client
