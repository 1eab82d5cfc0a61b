// chat/sanitize.h: makes client text safe to show on other people's terminals.
//
// Defines:
//   SanitizeText     - removes control bytes, repairs invalid UTF-8.
//   IsBlank          - whether a line has nothing but spaces and tabs.
//   TrimBlanks       - strips leading/trailing spaces and tabs.
//
// No I/O; pure functions.

#ifndef CHAT_SANITIZE_H_
#define CHAT_SANITIZE_H_

#include <string>
#include <string_view>

namespace chat {

// SanitizeText() returns `text` with every C0 control byte except tab (0x00-0x08,
// 0x0a-0x1f), DEL (0x7f) and every C1 control (U+0080-U+009F) removed, and every byte that is not part of a well-formed
// UTF-8 sequence replaced by U+FFFD. Removing ESC alone defeats terminal escape sequences
// (`\x1b[2J`, cursor moves) because what is left is printable text; removing bare `\r`
// stops a client from overwriting the `[time][name]:` prefix on screen.
std::string SanitizeText(std::string_view text);

// IsBlank() is true for an empty line or one made only of spaces and tabs.
bool IsBlank(std::string_view text);

// TrimBlanks() strips leading and trailing spaces and tabs.
std::string_view TrimBlanks(std::string_view text);

}  // namespace chat

#endif  // CHAT_SANITIZE_H_
