#include "chat/cluster/inbox_codec.h"

#include <optional>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "chat/name.h"
#include "chat/sanitize.h"

namespace chat::cluster {

void EncodeInboxEntry(const InboxEntry& entry, std::vector<std::string>* argv) {
  argv->insert(argv->end(),
               {"v", "1", "k", entry.kind == InboxEntry::Kind::kKick ? "k" : "p", "to", entry.to,
                "n", entry.from, "i", entry.instance, "x", entry.text, "t",
                absl::StrCat(absl::ToUnixMillis(entry.at))});
  if (entry.from_session != 0) argv->insert(argv->end(), {"s", absl::StrCat(entry.from_session)});
  if (entry.to_session != 0) argv->insert(argv->end(), {"r", absl::StrCat(entry.to_session)});
}

namespace {

// A session id: absent is 0; present, a decimal uint64 (at most 20 digits).
bool ParseSession(std::optional<std::string_view> text, uint64_t* id) {
  *id = 0;
  if (!text.has_value()) return true;
  return text->size() <= 20 && absl::SimpleAtoi(*text, id) && *id != 0;
}

}  // namespace

absl::StatusOr<InboxEntry> DecodeInboxEntry(absl::Span<const StreamField> fields) {
  if (fields.size() > kMaxFields) return absl::InvalidArgumentError("too many fields");
  std::optional<std::string_view> version, kind, to, from, instance, text, time, from_session,
      to_session;
  for (const auto& [field, value] : fields) {
    std::optional<std::string_view>* slot = nullptr;
    if (field == "v") slot = &version;
    else if (field == "k") slot = &kind;
    else if (field == "to") slot = &to;
    else if (field == "n") slot = &from;
    else if (field == "i") slot = &instance;
    else if (field == "x") slot = &text;
    else if (field == "t") slot = &time;
    else if (field == "s") slot = &from_session;
    else if (field == "r") slot = &to_session;
    if (slot == nullptr) continue;
    if (slot->has_value()) return absl::InvalidArgumentError(absl::StrCat("repeated field ", field));
    *slot = value;
  }
  if (version != "1") return absl::InvalidArgumentError("unknown or missing format version");
  if (!kind || !to || !time) return absl::InvalidArgumentError("missing field");
  InboxEntry entry;
  if (*kind == "p") {
    entry.kind = InboxEntry::Kind::kPrivate;
  } else if (*kind == "k") {
    entry.kind = InboxEntry::Kind::kKick;
  } else {
    return absl::InvalidArgumentError("bad kind");
  }
  int64_t millis = 0;
  if (!absl::SimpleAtoi(*time, &millis) || millis < 0 || millis > (int64_t{1} << 45)) {
    return absl::InvalidArgumentError("bad time");
  }
  entry.at = absl::FromUnixMillis(millis);
  if (!ParseSession(from_session, &entry.from_session) ||
      !ParseSession(to_session, &entry.to_session)) {
    return absl::InvalidArgumentError("bad session id");
  }
  const std::string_view sender = from.value_or(""), body = text.value_or(""),
                         origin = instance.value_or("");
  if (to->size() > kMaxNameBytes || sender.size() > kMaxNameBytes ||
      body.size() > kMaxTextBytes || origin.size() > kMaxInstanceBytes) {
    return absl::InvalidArgumentError("field too long");
  }
  entry.to = SanitizeText(*to);
  entry.from = SanitizeText(sender);
  entry.instance = SanitizeText(origin);
  entry.text = SanitizeText(body);
  // Sanitising turns each invalid byte into three (U+FFFD): the bounds hold afterwards too.
  if (entry.to.empty() || entry.to.size() > kMaxNameBytes || ValidateName(entry.to)) {
    return absl::InvalidArgumentError("bad recipient");
  }
  // A private message needs its sender; a kick may leave it out, but a sender it names
  // must be a name too (it is logged and may be shown).
  if ((entry.kind == InboxEntry::Kind::kPrivate && entry.from.empty()) ||
      (!entry.from.empty() && (entry.from.size() > kMaxNameBytes || ValidateName(entry.from)))) {
    return absl::InvalidArgumentError("bad sender");
  }
  if (entry.text.size() > kMaxTextBytes || entry.instance.size() > kMaxInstanceBytes) {
    return absl::InvalidArgumentError("field too long");
  }
  return entry;
}

}  // namespace chat::cluster
