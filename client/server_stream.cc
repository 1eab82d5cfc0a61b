#include "client/server_stream.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "client/utf8.h"

namespace chat::client {
namespace {

constexpr unsigned char kIac = 255;
constexpr unsigned char kSb = 250;
constexpr unsigned char kSe = 240;
constexpr unsigned char kWill = 251;
constexpr unsigned char kWont = 252;
constexpr unsigned char kDont = 254;
constexpr unsigned char kEchoOption = 1;
// A subnegotiation longer than this is not telnet but a server swallowing our screen.
constexpr size_t kMaxSubnegotiationBytes = 1024;

constexpr std::string_view kNamePrompt = "[ENTER YOUR NAME]:";
constexpr std::string_view kPasswordPrompts[] = {"[ENTER PASSWORD]:", "[REPEAT PASSWORD]:"};
constexpr std::string_view kJoined = " has joined our chat...";
constexpr std::string_view kLeft = " has left our chat...";
constexpr std::string_view kRenamed = " changed their name to ";
constexpr std::string_view kPrivateSuffix = " -> you";

bool LooksLikeTime(std::string_view time) {
  if (time.empty() || time.size() > 32) return false;
  for (char c : time) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c)) && c != '-' && c != ':' &&
        c != ' ' && c != '.' && c != 'T' && c != 'Z') {
      return false;
    }
  }
  return true;
}

bool HasNoSpace(std::string_view s) { return !s.empty() && s.find(' ') == std::string_view::npos; }

// Prompts end in ": " on the wire; a line may have lost the space to trimming.
std::string_view TrimTrailingSpace(std::string_view s) {
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

}  // namespace

ServerEvent ClassifyLine(std::string_view raw) {
  const std::string line = SanitizeForDisplay(raw);
  std::string_view rest = line;
  ServerEvent event;
  event.text = line;
  const std::string_view trimmed = TrimTrailingSpace(rest);
  if (trimmed == kNamePrompt) {
    event.kind = ServerEvent::Kind::kNamePrompt;
    return event;
  }
  for (std::string_view prompt : kPasswordPrompts) {
    if (absl::EndsWith(trimmed, prompt)) {
      event.kind = ServerEvent::Kind::kPasswordPrompt;
      return event;
    }
  }
  if (absl::ConsumePrefix(&rest, "[")) {
    const size_t close = rest.find(']');
    if (close != std::string_view::npos && LooksLikeTime(rest.substr(0, close))) {
      const std::string_view time = rest.substr(0, close);
      rest.remove_prefix(close + 1);
      if (absl::ConsumePrefix(&rest, "[")) {
        const size_t end = rest.find("]:");
        if (end != std::string_view::npos && end > 0) {
          std::string_view name = rest.substr(0, end);
          const std::string_view text = rest.substr(end + 2);
          std::string_view sender = name;
          const bool is_private = absl::ConsumeSuffix(&sender, kPrivateSuffix) &&
                                  !sender.empty() && !text.empty();
          if (is_private) name = sender;
          event.time = std::string(time);
          if (is_private) {
            event.kind = ServerEvent::Kind::kPrivate;
          } else if (text.empty()) {
            // Servers never send an empty message: this is the input prompt, redrawn.
            event.kind = ServerEvent::Kind::kPrompt;
          } else {
            event.kind = ServerEvent::Kind::kChat;
          }
          event.name = std::string(name);
          event.text = std::string(text);
          return event;
        }
      } else if (absl::ConsumePrefix(&rest, " * ")) {
        const size_t space = rest.find(' ');
        if (space != std::string_view::npos && space > 0 && space + 1 < rest.size()) {
          event.kind = ServerEvent::Kind::kEmote;
          event.time = std::string(time);
          event.name = std::string(rest.substr(0, space));
          event.text = std::string(rest.substr(space + 1));
          return event;
        }
      }
    }
    return event;
  }
  std::string_view name = line;
  if (absl::ConsumeSuffix(&name, kJoined) && HasNoSpace(name)) {
    event.kind = ServerEvent::Kind::kJoin;
    event.name = std::string(name);
    return event;
  }
  name = line;
  if (absl::ConsumeSuffix(&name, kLeft) && HasNoSpace(name)) {
    event.kind = ServerEvent::Kind::kLeave;
    event.name = std::string(name);
    return event;
  }
  if (const size_t at = line.find(kRenamed); at != std::string::npos && at > 0) {
    const std::string_view old_name = std::string_view(line).substr(0, at);
    const std::string_view new_name = std::string_view(line).substr(at + kRenamed.size());
    if (HasNoSpace(old_name) && HasNoSpace(new_name)) {
      event.kind = ServerEvent::Kind::kRename;
      event.name = std::string(old_name);
      event.text = std::string(new_name);
      return event;
    }
  }
  // "Users in general (2): alice, bob"
  if (absl::ConsumePrefix(&rest, "Users in ")) {
    const size_t open = rest.rfind(" (", rest.find("): "));
    const size_t colon = rest.find("): ");
    int count = 0;
    if (open != std::string_view::npos && colon != std::string_view::npos && open < colon &&
        absl::SimpleAtoi(rest.substr(open + 2, colon - open - 2), &count)) {
      event.kind = ServerEvent::Kind::kUsers;
      event.room = std::string(rest.substr(0, open));
      for (std::string_view user :
           absl::StrSplit(rest.substr(colon + 3), ", ", absl::SkipEmpty())) {
        event.users.emplace_back(user);
      }
      return event;
    }
    return event;
  }
  if (absl::ConsumePrefix(&rest, "Connected in total: ")) {
    int count = 0;
    if (absl::SimpleAtoi(rest, &count)) {
      event.kind = ServerEvent::Kind::kConnectedTotal;
      event.text = std::string(rest);
    }
  }
  return event;
}

void ServerStream::Line(std::string_view line, std::vector<ServerEvent>* events) {
  events->push_back(ClassifyLine(line));
}

void ServerStream::AppendText(char c, std::vector<ServerEvent>* events) {
  if (c == '\n') {
    std::string_view line = pending_;
    absl::ConsumeSuffix(&line, "\r");
    Line(line, events);
    pending_.clear();
    pending_classified_ = false;
    return;
  }
  pending_.push_back(c);
  pending_classified_ = false;
  if (pending_.size() >= kMaxPendingBytes) {
    Line(pending_, events);
    pending_.clear();
    pending_classified_ = false;
  }
}

void ServerStream::Feed(std::string_view bytes, std::vector<ServerEvent>* events) {
  for (char ch : bytes) {
    const unsigned char b = static_cast<unsigned char>(ch);
    switch (telnet_) {
      case Telnet::kData:
        if (b == kIac) {
          telnet_ = Telnet::kIac;
        } else {
          AppendText(ch, events);
        }
        break;
      case Telnet::kIac:
        if (b >= kWill && b <= kDont) {
          telnet_verb_ = b;
          telnet_ = Telnet::kOption;
        } else if (b == kSb) {
          sub_bytes_ = 0;
          telnet_ = Telnet::kSub;
        } else {
          // A two-byte command (IAC IAC included: a 0xFF data byte is not text either).
          telnet_ = Telnet::kData;
        }
        break;
      case Telnet::kOption:
        if (b == kEchoOption && telnet_verb_ == kWill) server_echoes_ = true;
        if (b == kEchoOption && telnet_verb_ == kWont) server_echoes_ = false;
        telnet_ = Telnet::kData;
        break;
      case Telnet::kSub:
      case Telnet::kSubIac:
        if (++sub_bytes_ > kMaxSubnegotiationBytes) {
          telnet_ = Telnet::kData;
        } else if (telnet_ == Telnet::kSubIac) {
          telnet_ = b == kSe ? Telnet::kData : Telnet::kSub;
        } else if (b == kIac) {
          telnet_ = Telnet::kSubIac;
        }
        break;
    }
  }
}

void ServerStream::LineSent(std::string_view own_name) {
  const ServerEvent pending = PendingPrompt();
  switch (pending.kind) {
    case ServerEvent::Kind::kNamePrompt:
    case ServerEvent::Kind::kPasswordPrompt:
      pending_.clear();
      pending_classified_ = false;
      return;
    case ServerEvent::Kind::kPrompt:
      // Only our own prompt: "[time][bob]:" may be a line of bob's cut by a read.
      if (pending.name == own_name) {
        pending_.clear();
        pending_classified_ = false;
      }
      return;
    default:
      return;
  }
}

const ServerEvent& ServerStream::PendingPrompt() const {
  if (pending_classified_) return pending_prompt_;
  pending_classified_ = true;
  pending_prompt_ = ServerEvent{};
  if (pending_.size() > kMaxPromptBytes) {
    // No prompt is this long: a line still arriving.
    pending_prompt_.text = SanitizeForDisplay(std::string_view(pending_).substr(0, kMaxPromptBytes));
    return pending_prompt_;
  }
  if (pending_.empty()) return pending_prompt_;
  ServerEvent event = ClassifyLine(pending_);
  switch (event.kind) {
    case ServerEvent::Kind::kPrompt:
    case ServerEvent::Kind::kNamePrompt:
    case ServerEvent::Kind::kPasswordPrompt:
      pending_prompt_ = std::move(event);
      break;
    default:
      pending_prompt_.text = SanitizeForDisplay(pending_);
      break;
  }
  return pending_prompt_;
}

}  // namespace chat::client
