#include "chat/netcat/protocol.h"

#include "chat/netcat/renderer.h"

namespace chat {

void NetcatProtocol::Decode(std::string_view received, bool at_name_prompt,
                            std::vector<InputLine>& lines, std::string& replies) {
  const std::string_view text = telnet_.Filter(received, &replies);
  AppendFramedLines(framer_.Feed(text), lines);
}

void NetcatProtocol::SetSecretInput(bool secret, std::string& replies) {
  if (secret) {
    telnet_.Offer(telnet::kEcho, &replies);
    return;
  }
  // A telnet client that agreed showed nothing, not even the Enter: the server, now the
  // echoing side, moves the cursor to the next line as the client's own echo would have.
  // Plain nc never answers the offer, echoes locally, and gets no extra newline.
  if (telnet_.IsOn(telnet::kEcho)) replies.append("\r\n");
  telnet_.Withdraw(telnet::kEcho, &replies);
}

std::unique_ptr<Renderer> NetcatProtocol::MakeRenderer(absl::TimeZone zone) const {
  return std::make_unique<NetcatRenderer>(zone);
}

}  // namespace chat
