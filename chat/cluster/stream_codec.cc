#include "chat/cluster/stream_codec.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "chat/name.h"
#include "chat/sanitize.h"

namespace chat::cluster {
namespace {

char KindLetter(Event::Kind kind) {
  switch (kind) {
    case Event::Kind::kChat: return 'c';
    case Event::Kind::kEmote: return 'e';
    case Event::Kind::kJoin: return 'j';
    case Event::Kind::kLeave: return 'l';
    case Event::Kind::kRename: return 'r';
    case Event::Kind::kModeration: return 'm';
    case Event::Kind::kPrivate: break;
  }
  return '?';
}

std::optional<Event::Kind> KindOf(std::string_view letter) {
  if (letter.size() != 1) return std::nullopt;
  switch (letter[0]) {
    case 'c': return Event::Kind::kChat;
    case 'e': return Event::Kind::kEmote;
    case 'j': return Event::Kind::kJoin;
    case 'l': return Event::Kind::kLeave;
    case 'r': return Event::Kind::kRename;
    case 'm': return Event::Kind::kModeration;
    default: return std::nullopt;  // private messages never go into a room's stream
  }
}

}  // namespace

std::string RoomStreamKey(std::string_view room_name) {
  return absl::StrCat("tcpchat:room:", NameKey(room_name));
}

void EncodeEvent(const Event& event, std::string_view instance_id, std::vector<std::string>* argv) {
  argv->insert(argv->end(), {"v", "1", "k", std::string(1, KindLetter(event.kind)), "t",
                             absl::StrCat(absl::ToUnixMillis(event.time)), "n", event.name,
                             "x", event.text, "i", std::string(instance_id), "o",
                             absl::StrCat(event.origin)});
}

absl::StatusOr<std::shared_ptr<Event>> DecodeEvent(absl::Span<const StreamField> fields,
                                                   std::string_view own_instance) {
  if (fields.size() > kMaxFields) return absl::InvalidArgumentError("too many fields");
  std::optional<std::string_view> version, kind, time, name, text, instance, origin;
  for (const auto& [field, value] : fields) {
    std::optional<std::string_view>* slot = nullptr;
    if (field == "v") slot = &version;
    else if (field == "k") slot = &kind;
    else if (field == "t") slot = &time;
    else if (field == "n") slot = &name;
    else if (field == "x") slot = &text;
    else if (field == "i") slot = &instance;
    else if (field == "o") slot = &origin;
    if (slot == nullptr) continue;
    if (slot->has_value()) return absl::InvalidArgumentError(absl::StrCat("repeated field ", field));
    *slot = value;
  }
  if (version != "1") return absl::InvalidArgumentError("unknown or missing format version");
  if (!kind || !time || !name || !instance || !origin) {
    return absl::InvalidArgumentError("missing field");
  }
  const std::optional<Event::Kind> event_kind = KindOf(*kind);
  if (!event_kind) return absl::InvalidArgumentError("bad kind");
  if (name->empty() || name->size() > kMaxNameBytes) return absl::InvalidArgumentError("bad name");
  const std::string_view body = text.value_or("");
  if (body.size() > kMaxTextBytes) return absl::InvalidArgumentError("text too long");
  if (instance->size() > kMaxInstanceBytes) return absl::InvalidArgumentError("bad instance");
  int64_t millis = 0;
  // Any 64-bit millisecond count is a valid absl::Time; bound it to sane years anyway.
  if (!absl::SimpleAtoi(*time, &millis) || millis < 0 || millis > (int64_t{1} << 45)) {
    return absl::InvalidArgumentError("bad time");
  }
  uint64_t member = 0;
  if (!absl::SimpleAtoi(*origin, &member)) return absl::InvalidArgumentError("bad origin");
  auto event = MakeEvent(*event_kind, absl::FromUnixMillis(millis), SanitizeText(*name),
                         SanitizeText(body), *instance == own_instance ? member : 0);
  // Sanitising turns each invalid byte into three (U+FFFD): the bounds hold afterwards too.
  if (event->name.empty() || event->name.size() > kMaxNameBytes) {
    return absl::InvalidArgumentError("bad name");
  }
  if (event->text.size() > kMaxTextBytes) return absl::InvalidArgumentError("text too long");
  return event;
}

std::optional<StreamId> StreamId::Parse(std::string_view text) {
  const size_t dash = text.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  StreamId id;
  const std::string_view ms = text.substr(0, dash), seq = text.substr(dash + 1);
  // SimpleAtoi accepts signs and spaces; an ID has digits only.
  auto digits = [](std::string_view s) {
    return !s.empty() && s.size() <= 20 &&
           s.find_first_not_of("0123456789") == std::string_view::npos;
  };
  if (!digits(ms) || !digits(seq) || !absl::SimpleAtoi(ms, &id.ms) ||
      !absl::SimpleAtoi(seq, &id.seq)) {
    return std::nullopt;
  }
  return id;
}

std::string StreamId::ToString() const { return absl::StrCat(ms, "-", seq); }

}  // namespace chat::cluster
