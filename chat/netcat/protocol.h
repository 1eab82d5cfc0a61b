// chat/netcat/protocol.h: the classic net-cat protocol: telnet-filtered lines in,
// "[time][name]:text" out.
//
// Defines:
//   NetcatProtocol - TelnetFilter + LineFramer for input, NetcatRenderer for output.

#ifndef CHAT_NETCAT_PROTOCOL_H_
#define CHAT_NETCAT_PROTOCOL_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "chat/line_framer.h"
#include "chat/protocol.h"
#include "chat/telnet_filter.h"

namespace chat {

// Not thread-safe (see Protocol).
class NetcatProtocol final : public Protocol {
 public:
  explicit NetcatProtocol(size_t max_line_bytes) : framer_(max_line_bytes) {}

  void Decode(std::string_view received, bool at_name_prompt, std::vector<InputLine>& lines,
              std::string& replies) override;
  // Offers telnet ECHO around a password (the server "echoes", i.e. shows nothing), and
  // ends the hidden line for the client when it had agreed.
  void SetSecretInput(bool secret, std::string& replies) override;
  std::unique_ptr<Renderer> MakeRenderer(absl::TimeZone zone) const override;

 private:
  TelnetFilter telnet_;
  LineFramer framer_;
};

}  // namespace chat

#endif  // CHAT_NETCAT_PROTOCOL_H_
