// chat/protocol.h: what one kind of client speaks, as far as the session cares.
//
// Defines:
//   InputLine - one thing a client said: a line, or a message the session refuses.
//   Protocol  - a connection's input decoder plus the Renderer its writer draws with.
//
// The session runs the same login, limits and commands for every kind of client; what
// differs is how input becomes lines and how output is drawn. The listening port picks
// the Protocol (net-cat: chat/netcat/protocol.h; JSON over WebSocket:
// chat/web/json_protocol.h), so the session has no if-statements about clients.

#ifndef CHAT_PROTOCOL_H_
#define CHAT_PROTOCOL_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "chat/core/renderer.h"
#include "chat/line_framer.h"

namespace chat {

struct InputLine {
  std::string text;       // without its newline
  bool too_long = false;  // over the line limit: dropped, and the client is told
  // Non-empty when the client's message could not be read as a line (malformed JSON, a
  // login after logging in, ...): the session refuses it with this error instead. It
  // still counts as a line for flood control, so refusals cannot be had for free.
  std::string refusal;
  // The client marked this line as a password (JSON {"type":"password"}): it is only
  // ever taken as the answer to a password prompt, never said in a room.
  bool secret = false;
};

// AppendFramedLines() appends the lines a LineFramer completed to `lines`.
void AppendFramedLines(std::vector<LineFramer::Line> framed, std::vector<InputLine>& lines);

// One object per connection. Decode() is called by the reader thread only;
// MakeRenderer() once, by the writer thread.
class Protocol {
 public:
  virtual ~Protocol() = default;

  // Protocol::Decode() turns what the transport received (a chunk of a byte stream, or
  // one whole message) into lines, appended to `lines`, and appends to `replies` bytes
  // the protocol itself must answer (telnet negotiation), sent after those lines are
  // handled. `at_name_prompt`: the session is waiting for a name, not a chat line.
  virtual void Decode(std::string_view received, bool at_name_prompt,
                      std::vector<InputLine>& lines, std::string& replies) = 0;

  // Protocol::SetSecretInput() is called before a password prompt (true) and after the
  // password's line arrived (false). A protocol that can stop the client's terminal from
  // showing what is typed appends the bytes that ask for it to `replies` (net-cat: telnet
  // IAC WILL ECHO / IAC WONT ECHO), to be sent before the prompt.
  virtual void SetSecretInput(bool secret, std::string& replies) {}

  // Protocol::MakeRenderer() is how the client's output is drawn.
  virtual std::unique_ptr<Renderer> MakeRenderer(absl::TimeZone zone) const = 0;
};

}  // namespace chat

#endif  // CHAT_PROTOCOL_H_
