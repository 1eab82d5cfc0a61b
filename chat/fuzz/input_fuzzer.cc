// Fuzz target for everything that touches raw client bytes before they are trusted:
// TelnetFilter -> LineFramer -> SanitizeText / ValidateName / ParseCommand.
//
// Checks properties, not just crashes:
//   - the framer never holds more than max_line_bytes + 1 bytes;
//   - sanitised text has no C0/DEL/C1 control bytes (tab aside), none of the removed
//     format characters (U+2028/9, bidi controls...) and is valid UTF-8, i.e.
//     sanitising it again changes nothing;
//   - a name that ValidateName accepts is non-empty, short, bracket-, control- and
//     space-free, and has a non-empty NameKey that is deterministic and idempotent and
//     has no '[' or ']' either; ValidateRoomName agrees with ValidateName;
//   - ParseCommand's views lie inside the line, messages keep the line's text, and a
//     /msg always has a one-word recipient and non-blank text.
//
// Built as a libFuzzer binary under --config=fuzz (clang); in every other configuration
// fuzz_corpus_main.cc replays testdata/fuzz/input so the corpus is a regression test.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "chat/command.h"
#include "chat/line_framer.h"
#include "chat/name.h"
#include "chat/sanitize.h"
#include "chat/telnet_filter.h"

namespace {

constexpr size_t kMaxLine = 64;

void Check(bool condition) {
  if (!condition) std::abort();
}

bool Within(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

void CheckCommand(std::string_view line) {
  const chat::Command command = chat::ParseCommand(line);
  using Kind = chat::Command::Kind;
  if (command.kind == Kind::kUsage) return;  // text is a constant usage line
  Check(Within(command.target, line) && Within(command.text, line));
  if (command.kind == Kind::kMessage) {
    Check(command.text == line || (line.substr(0, 2) == "//" && command.text == line.substr(1)));
  }
  if (command.kind == Kind::kMsg) {
    Check(!command.target.empty());
    Check(command.target.find_first_of(" \t") == std::string_view::npos);
    Check(!chat::IsBlank(command.text));
  }
  if (command.kind != Kind::kMessage) Check(!line.empty() && line[0] == '/');
}

// Code point of the (already validated) UTF-8 sequence starting at text[i].
char32_t DecodeAt(std::string_view text, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(text[i + k]); };
  if (b(0) < 0x80) return b(0);
  if (b(0) < 0xE0) return (b(0) & 0x1F) << 6 | (b(1) & 0x3F);
  if (b(0) < 0xF0) return (b(0) & 0x0F) << 12 | (b(1) & 0x3F) << 6 | (b(2) & 0x3F);
  return (b(0) & 0x07) << 18 | (b(1) & 0x3F) << 12 | (b(2) & 0x3F) << 6 | (b(3) & 0x3F);
}

bool IsRemovedFormat(char32_t c) {
  return (c >= 0x2028 && c <= 0x202E) || (c >= 0x2066 && c <= 0x206F) ||
         (c >= 0xFFF9 && c <= 0xFFFB);
}

void CheckSanitized(std::string_view text) {
  Check(chat::SanitizeText(text) == text);  // so it is valid UTF-8, as DecodeAt needs
  for (size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    Check(byte == '\t' || (byte >= 0x20 && byte != 0x7F));
    if (byte == 0xC2 && i + 1 < text.size()) {
      Check(static_cast<unsigned char>(text[i + 1]) > 0x9F);  // no C1 control
    }
    if ((byte & 0xC0) != 0x80) Check(!IsRemovedFormat(DecodeAt(text, i)));
  }
}

void CheckName(std::string_view name) {
  const std::optional<std::string> refusal = chat::ValidateName(name);
  const std::optional<std::string> room_refusal = chat::ValidateRoomName(name);
  Check(refusal.has_value() == room_refusal.has_value());
  const std::string key = chat::NameKey(name);
  Check(chat::NameKey(name) == key);  // deterministic
  if (refusal.has_value()) {
    Check(!refusal->empty() && refusal->find('\n') == std::string::npos);
    return;
  }
  Check(!name.empty() && name.size() <= chat::kMaxNameBytes);
  Check(name.find_first_of("[] ") == std::string_view::npos);
  Check(name[0] != '/');
  Check(chat::SanitizeText(name) == name);
  for (unsigned char c : name) Check(c >= 0x20 && c != 0x7F);
  Check(!key.empty());
  Check(key.find_first_of("[]") == std::string::npos);
  Check(chat::NameKey(key) == key);  // idempotent
}

// The telnet filter's properties: feeding the input whole or in pieces gives the same
// data and replies; data is a subsequence of the input (bytes are only removed); replies
// are whole answers (WILL TM, WONT x, DONT x, or the AYT text), never more than 4.5
// bytes per input byte; a subnegotiation never swallows more than its bound.
void CheckTelnet(std::string_view input) {
  chat::TelnetFilter whole;
  std::string whole_replies;
  const std::string whole_data(whole.Filter(input, &whole_replies));

  chat::TelnetFilter pieces;
  std::string piece_data, piece_replies;
  for (size_t offset = 0, chunk = 2; offset < input.size(); chunk = chunk * 5 % 13 + 1) {
    const std::string_view piece = input.substr(offset, chunk);
    offset += piece.size();
    piece_data.append(pieces.Filter(piece, &piece_replies));
  }
  Check(piece_data == whole_data);
  Check(piece_replies == whole_replies);

  size_t at = 0;  // subsequence
  for (char c : whole_data) {
    at = input.find(c, at);
    Check(at != std::string_view::npos);
    ++at;
  }
  Check(whole_replies.size() * 2 <= input.size() * 9);
  std::string_view replies = whole_replies;
  while (!replies.empty()) {
    if (replies.substr(0, chat::TelnetFilter::kAreYouThereReply.size()) ==
        chat::TelnetFilter::kAreYouThereReply) {
      replies.remove_prefix(chat::TelnetFilter::kAreYouThereReply.size());
      continue;
    }
    Check(replies.size() >= 3 && static_cast<unsigned char>(replies[0]) == 0xFF);
    const auto verb = static_cast<unsigned char>(replies[1]);
    Check(verb == 0xFB || verb == 0xFC || verb == 0xFE);  // WILL (TM only), WONT, DONT
    if (verb == 0xFB) Check(replies[2] == 6);
    replies.remove_prefix(3);
  }
  // Whatever state the input left, 65 plain bytes end any subnegotiation and the last
  // of them is data again.
  std::string tail_replies;
  const std::string tail(65, 'z');
  const std::string_view after = whole.Filter(tail, &tail_replies);
  Check(!whole.in_subnegotiation());
  Check(!after.empty() && after.back() == 'z');
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  CheckTelnet(input);
  chat::TelnetFilter telnet;
  std::string replies;
  chat::LineFramer framer(kMaxLine);
  // Feed in uneven chunks so state carried across reads is exercised too.
  size_t offset = 0;
  size_t chunk = 1;
  while (offset < input.size()) {
    const std::string_view piece = input.substr(offset, chunk);
    offset += piece.size();
    chunk = chunk * 3 % 17 + 1;
    for (const chat::LineFramer::Line& line : framer.Feed(telnet.Filter(piece, &replies))) {
      Check(framer.buffered_bytes() <= kMaxLine + 1);
      if (line.too_long) {
        Check(line.text.empty());
        continue;
      }
      Check(line.text.size() <= kMaxLine);
      Check(line.text.find('\n') == std::string::npos);
      const std::string sanitized = chat::SanitizeText(line.text);
      CheckSanitized(sanitized);
      CheckCommand(sanitized);
      CheckName(chat::TrimBlanks(line.text));
    }
    Check(framer.buffered_bytes() <= kMaxLine + 1);
  }
  return 0;
}
