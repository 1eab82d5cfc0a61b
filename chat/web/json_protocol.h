// chat/web/json_protocol.h: the JSON protocol of the browser page and of bots: one JSON
// object per WebSocket message in, JsonRenderer out.
//
// Defines:
//   JsonProtocol - decodes {"type":"login","name":...} and {"type":"say","text":...}
//                  into the lines the session handles, exactly as a net-cat client's.

#ifndef CHAT_WEB_JSON_PROTOCOL_H_
#define CHAT_WEB_JSON_PROTOCOL_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "chat/protocol.h"

namespace chat {

// Each message received is one JSON object:
//   {"type":"login","name":"alice"}  at the name prompt: the name, as a net-cat client
//                                    would type it
//   {"type":"say","text":"hi"}       once logged in: the text, split into lines at "\n"
//                                    (one "\r" before it dropped) as a net-cat client's
//                                    input would be; a line starting with "/" is a
//                                    command
// Other members are ignored, so clients may add fields. Anything else (not JSON, not an
// object, a nested object or array, a missing or unknown type, a login after logging in,
// a say before) is refused with an error, never a crash. The parse is nlohmann::json's
// SAX parser (iterative), stopped at the first nested value, so a nesting bomb costs one
// pass over a message the transport already bounded in size; nothing is built but the
// three strings kept.
//
// Not thread-safe (see Protocol).
class JsonProtocol final : public Protocol {
 public:
  // Lines (names and say lines) longer than `max_line_bytes` are reported too long.
  explicit JsonProtocol(size_t max_line_bytes) : max_line_bytes_(max_line_bytes) {}

  void Decode(std::string_view message, bool at_name_prompt, std::vector<InputLine>& lines,
              std::string& replies) override;
  std::unique_ptr<Renderer> MakeRenderer(absl::TimeZone zone) const override;

 private:
  const size_t max_line_bytes_;
};

}  // namespace chat

#endif  // CHAT_WEB_JSON_PROTOCOL_H_
