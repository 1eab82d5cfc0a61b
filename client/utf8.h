// client/utf8.h: UTF-8 decoding and display widths for the terminal client.
//
// The client draws text itself (wrapping, cursor columns), so it needs to know how many
// terminal columns each character takes: 2 for CJK and most emoji, 0 for combining marks.

#ifndef CLIENT_UTF8_H_
#define CLIENT_UTF8_H_

#include <string>
#include <string_view>

namespace chat::client {

inline constexpr char32_t kReplacement = 0xFFFD;

// DecodeUtf8() returns the code points of `text`; each invalid byte becomes U+FFFD.
std::u32string DecodeUtf8(std::string_view text);

// EncodeUtf8() appends `c` to `out` as UTF-8.
void EncodeUtf8(char32_t c, std::string* out);
std::string EncodeUtf8(std::u32string_view text);

// CharWidth() is the number of terminal columns `c` occupies: wcwidth() under a UTF-8
// locale (whatever the process's locale is), with anything unprintable counted as 1
// because it is drawn as U+FFFD.
int CharWidth(char32_t c);

// DisplayWidth() is the sum of CharWidth() over `text`.
int DisplayWidth(std::u32string_view text);
int DisplayWidth(std::string_view utf8);

// TruncateToWidth() is the longest prefix of `utf8` that fits in `columns`.
std::string TruncateToWidth(std::string_view utf8, int columns);

// SanitizeForDisplay() returns `text` as valid UTF-8 without control characters: tabs
// become a space, other C0/C1 controls and DEL are dropped, invalid bytes become U+FFFD.
// What the client draws can then never move the cursor or change the terminal's state,
// whatever a (non-TCPChat) server sends.
std::string SanitizeForDisplay(std::string_view text);

}  // namespace chat::client

#endif  // CLIENT_UTF8_H_
