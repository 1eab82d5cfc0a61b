#include "chat/name.h"

#include "absl/strings/str_cat.h"
#include "chat/sanitize.h"

namespace chat {

namespace {

std::optional<std::string> ValidateIdentifier(std::string_view name, std::string_view noun) {
  if (name.empty()) return absl::StrCat(noun, " cannot be empty.");
  if (name.size() > kMaxNameBytes) {
    return absl::StrCat(noun, " is too long (", name.size(), " bytes; at most ", kMaxNameBytes,
                        ").");
  }
  if (name.find_first_of("[]") != std::string_view::npos) {
    return absl::StrCat(noun, " cannot contain '[' or ']'.");
  }
  for (unsigned char c : name) {
    // Tab too: it is allowed inside messages but would misalign a name.
    if (c < 0x20 || c == 0x7F) return absl::StrCat(noun, " cannot contain control characters.");
  }
  // What is left for SanitizeText() to change is invalid UTF-8 or a C1 control.
  if (SanitizeText(name) != name) {
    return absl::StrCat(noun, " must be valid UTF-8 without control characters.");
  }
  if (name.front() == '/') return absl::StrCat(noun, " cannot start with '/'.");
  return std::nullopt;
}

}  // namespace

std::optional<std::string> ValidateName(std::string_view name) {
  return ValidateIdentifier(name, "Name");
}

std::optional<std::string> ValidateRoomName(std::string_view name) {
  return ValidateIdentifier(name, "Room name");
}

}  // namespace chat
