// Fuzz target for the JSON protocol: what a browser or bot sends (JsonProtocol::Decode)
// and what the server sends back (JsonRenderer).
//
// Properties:
//   - decoding never crashes, and every message gives either exactly one refusal or
//     lines: no newline inside a line, none longer than the limit unless marked too long;
//   - a notice rendered from any text is one line of valid JSON whose "text" is that
//     text (when it is UTF-8; otherwise it is repaired, not thrown).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "chat/protocol.h"
#include "chat/web/json_protocol.h"
#include "chat/web/json_renderer.h"

namespace {

constexpr size_t kMaxLine = 64;

void Check(bool condition) {
  if (!condition) std::abort();
}

void CheckDecode(std::string_view message, bool at_name_prompt) {
  chat::JsonProtocol protocol(kMaxLine);
  std::vector<chat::InputLine> lines;
  std::string replies;
  protocol.Decode(message, at_name_prompt, lines, replies);
  Check(replies.empty());
  Check(!lines.empty());
  if (!lines.front().refusal.empty()) {
    Check(lines.size() == 1);
    return;
  }
  for (const chat::InputLine& line : lines) {
    Check(line.refusal.empty());
    if (line.too_long) {
      Check(line.text.empty());
      continue;
    }
    Check(line.text.size() <= kMaxLine);
    if (!at_name_prompt) Check(line.text.find('\n') == std::string::npos);
  }
  if (at_name_prompt) Check(lines.size() == 1);
}

void CheckRender(std::string_view text) {
  chat::JsonRenderer renderer;
  std::string out;
  renderer.Notice(chat::NoticeKind::kError, text, &out);
  Check(!out.empty() && out.back() == '\n');
  Check(out.find('\n') == out.size() - 1);
  const nlohmann::json parsed = nlohmann::json::parse(out, nullptr, /*allow_exceptions=*/false);
  Check(!parsed.is_discarded());
  Check(parsed["type"] == "error");
  // Valid UTF-8 comes back unchanged.
  const nlohmann::json expected = nlohmann::json::parse(
      nlohmann::json(std::string(text)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  Check(parsed["text"] == expected);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  CheckDecode(input, /*at_name_prompt=*/true);
  CheckDecode(input, /*at_name_prompt=*/false);
  CheckRender(input);
  return 0;
}
