// chat/sanitize.h: makes client text safe to show on other people's terminals.
//
// Defines:
//   SanitizeText     - removes control bytes and screen-redrawing format characters,
//                      repairs invalid UTF-8.
//   IsValidUtf8      - whether text is well-formed UTF-8 (RFC 3629).
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
// 0x0a-0x1f), DEL (0x7f) and every C1 control (U+0080-U+009F) removed, and every byte
// that is not part of a well-formed UTF-8 sequence replaced by U+FFFD. Removing ESC alone
// defeats terminal escape sequences (`\x1b[2J`, cursor moves) because what is left is
// printable text; removing bare `\r` stops a client from overwriting the `[time][name]:`
// prefix on screen. For the same reason it removes the format characters that change how
// the rest of the line is drawn: line/paragraph separators U+2028/U+2029, bidi
// embeddings, overrides and isolates U+202A-U+202E and U+2066-U+2069, the deprecated
// format toggles U+206A-U+206F and interlinear annotation controls U+FFF9-U+FFFB.
// Everything else, including LRM/RLM, ZWJ and variation selectors, is kept.
std::string SanitizeText(std::string_view text);

// IsValidUtf8() is true if every byte of `text` belongs to a well-formed UTF-8 sequence
// (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF): what SanitizeText()
// would keep without a replacement.
bool IsValidUtf8(std::string_view text);

// IsBlank() is true for an empty line or one made only of spaces and tabs.
bool IsBlank(std::string_view text);

// TrimBlanks() strips leading and trailing spaces and tabs.
std::string_view TrimBlanks(std::string_view text);

}  // namespace chat

#endif  // CHAT_SANITIZE_H_
