#include "chat/name.h"

#include "absl/strings/str_cat.h"
#include "chat/sanitize.h"

namespace chat {

std::optional<std::string> ValidateName(std::string_view name) {
  if (name.empty()) return "Name cannot be empty.";
  if (name.size() > kMaxNameBytes) {
    return absl::StrCat("Name is too long (", name.size(), " bytes; at most ", kMaxNameBytes,
                        ").");
  }
  if (name.find_first_of("[]") != std::string_view::npos) {
    return "Name cannot contain '[' or ']'.";
  }
  for (unsigned char c : name) {
    // Tab too: it is allowed inside messages but would misalign a name.
    if (c < 0x20 || c == 0x7F) return "Name cannot contain control characters.";
  }
  // What is left for SanitizeText() to change is invalid UTF-8 or a C1 control.
  if (SanitizeText(name) != name) {
    return "Name must be valid UTF-8 without control characters.";
  }
  return std::nullopt;
}

}  // namespace chat
