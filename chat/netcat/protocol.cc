#include "chat/netcat/protocol.h"

#include "chat/netcat/renderer.h"

namespace chat {

void NetcatProtocol::Decode(std::string_view received, bool at_name_prompt,
                            std::vector<InputLine>& lines, std::string& replies) {
  const std::string_view text = telnet_.Filter(received, &replies);
  AppendFramedLines(framer_.Feed(text), lines);
}

std::unique_ptr<Renderer> NetcatProtocol::MakeRenderer(absl::TimeZone zone) const {
  return std::make_unique<NetcatRenderer>(zone);
}

}  // namespace chat
