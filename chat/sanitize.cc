#include "chat/sanitize.h"

namespace chat {
namespace {

constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";  // U+FFFD

bool IsContinuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

// Length of the well-formed UTF-8 sequence starting at text[i], or 0 if it is not one.
// Follows RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF.
size_t Utf8SequenceLength(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) -> unsigned char {
    return i + k < text.size() ? static_cast<unsigned char>(text[i + k]) : 0;
  };
  const unsigned char b0 = byte(0);
  if (b0 < 0x80) return 1;
  if (b0 >= 0xC2 && b0 <= 0xDF) return IsContinuation(byte(1)) ? 2 : 0;
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    const unsigned char b1 = byte(1);
    if (b0 == 0xE0 && b1 < 0xA0) return 0;  // overlong
    if (b0 == 0xED && b1 > 0x9F) return 0;  // UTF-16 surrogate
    return IsContinuation(b1) && IsContinuation(byte(2)) ? 3 : 0;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    const unsigned char b1 = byte(1);
    if (b0 == 0xF0 && b1 < 0x90) return 0;  // overlong
    if (b0 == 0xF4 && b1 > 0x8F) return 0;  // above U+10FFFF
    return IsContinuation(b1) && IsContinuation(byte(2)) && IsContinuation(byte(3)) ? 4
                                                                                     : 0;
  }
  return 0;
}

bool IsStrippedControl(unsigned char byte) {
  return (byte < 0x20 && byte != '\t') || byte == 0x7F;
}

// C1 controls (U+0080..U+009F, UTF-8 C2 80..C2 9F): U+009B is a one-character CSI on
// terminals that honour C1, so it is as dangerous as ESC.
bool IsC1Control(std::string_view sequence) {
  return sequence.size() == 2 && static_cast<unsigned char>(sequence[0]) == 0xC2 &&
         static_cast<unsigned char>(sequence[1]) <= 0x9F;
}

// Format characters that change how *later* text is drawn, up to the end of the line or
// beyond, so one person's message could reorder or hide what follows it on everyone's
// screen. All are three-byte sequences:
//   U+2028, U+2029       line and paragraph separators: some terminals and log viewers
//                        break the line there, so text could start a fake line;
//   U+202A..U+202E       bidi embeddings and overrides (RLO reverses what follows) and
//   U+2066..U+2069       isolates: unterminated ones spill past the message;
//   U+206A..U+206F       deprecated shaping/digit toggles, stateful in the same way;
//   U+FFF9..U+FFFB       interlinear annotation controls, which renderers may use to hide
//                        the annotated text.
// Kept: LRM/RLM/ALM (U+200E, U+200F, U+061C) act only on neighbouring neutral characters
// inside the message and right-to-left writers need them; ZWJ/ZWNJ and variation
// selectors build emoji and shape real scripts.
bool IsStrippedFormat(std::string_view sequence) {
  if (sequence.size() != 3) return false;
  const auto b0 = static_cast<unsigned char>(sequence[0]);
  const auto b1 = static_cast<unsigned char>(sequence[1]);
  const auto b2 = static_cast<unsigned char>(sequence[2]);
  if (b0 == 0xE2 && b1 == 0x80) return b2 >= 0xA8 && b2 <= 0xAE;  // U+2028..U+202E
  if (b0 == 0xE2 && b1 == 0x81) return b2 >= 0xA6 && b2 <= 0xAF;  // U+2066..U+206F
  if (b0 == 0xEF && b1 == 0xBF) return b2 >= 0xB9 && b2 <= 0xBB;  // U+FFF9..U+FFFB
  return false;
}

}  // namespace

std::string SanitizeText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const size_t length = Utf8SequenceLength(text, i);
    if (length == 0) {
      out.append(kReplacementCharacter);
      ++i;
      continue;
    }
    if (length == 1) {
      if (!IsStrippedControl(static_cast<unsigned char>(text[i]))) out.push_back(text[i]);
    } else {
      const std::string_view sequence = text.substr(i, length);
      if (!IsC1Control(sequence) && !IsStrippedFormat(sequence)) out.append(sequence);
    }
    i += length;
  }
  return out;
}

bool IsValidUtf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const size_t length = Utf8SequenceLength(text, i);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

bool IsBlank(std::string_view text) { return TrimBlanks(text).empty(); }

std::string_view TrimBlanks(std::string_view text) {
  const size_t first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const size_t last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

}  // namespace chat
