// chat/name.h: what a user name may be.
//
// Defines:
//   kMaxNameBytes  - the longest name, in bytes.
//   ValidateName   - the reason a candidate name is refused, if it is.

#ifndef CHAT_NAME_H_
#define CHAT_NAME_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace chat {

inline constexpr size_t kMaxNameBytes = 32;

// ValidateName() checks a name that has already been trimmed of surrounding blanks.
// Returns std::nullopt when it is acceptable, otherwise one human-readable sentence
// (no newline) that tells the user what to change. A name must be non-empty, at most
// kMaxNameBytes bytes of valid UTF-8, free of control characters and of `[` / `]`,
// so nobody can forge a `[time][name]:` prefix, and must not start with '/', which
// would read as a command. Uniqueness is checked elsewhere, against
// the connected clients.
std::optional<std::string> ValidateName(std::string_view name);

// ValidateRoomName() applies the same rules to a room name ("Room name cannot ...").
std::optional<std::string> ValidateRoomName(std::string_view name);

}  // namespace chat

#endif  // CHAT_NAME_H_
