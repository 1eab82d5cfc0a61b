// client/server_stream.h: the bytes a net-cat server sends, as typed events.
//
// A net-cat server writes for a dumb terminal: each event arrives as
// "\n<line>\n[time][you]:", the last part being the input prompt, redrawn without a
// newline. ServerStream turns that into events a full-screen client can draw: chat
// lines, private messages, notices, the prompts (which are state, not text), and the
// replies the client asks for itself (/users). It does no I/O and keeps at most
// kMaxPendingBytes of an unterminated line, so any byte stream is safe to feed it.

#ifndef CLIENT_SERVER_STREAM_H_
#define CLIENT_SERVER_STREAM_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace chat::client {

struct ServerEvent {
  enum class Kind {
    kText,            // any other line: banner, replies, errors, the goodbye (text)
    kChat,            // "[time][name]:text"
    kPrivate,         // "[time][name -> you]:text" (name is the sender)
    kEmote,           // "[time] * name text"
    kJoin,            // "name has joined our chat..."
    kLeave,           // "name has left our chat..."
    kRename,          // "name changed their name to text"
    kPrompt,          // "[time][name]:" with nothing after: the server's input prompt
    kNamePrompt,      // "[ENTER YOUR NAME]: "
    kPasswordPrompt,  // a line ending in "[ENTER PASSWORD]: " or "[REPEAT PASSWORD]: "
    kUsers,           // "Users in room (n): a, b" (room, users)
    kConnectedTotal,  // "Connected in total: n" (text = n)
  };
  Kind kind = Kind::kText;
  std::string time;
  std::string name;
  std::string text;  // the whole line for kText; the message otherwise
  std::string room;
  std::vector<std::string> users;
  bool operator==(const ServerEvent&) const = default;
};

class ServerStream {
 public:
  // Longest unterminated line kept; past it the line is shown as text so far.
  static constexpr size_t kMaxPendingBytes = 64 * 1024;

  // ServerStream::Feed() parses `bytes` (any split of the stream) and appends the events
  // they complete to `events`. Every string in an event is valid UTF-8 without control
  // characters (SanitizeForDisplay). Telnet IAC sequences are removed; their echo
  // negotiation is remembered (server_echoes()).
  void Feed(std::string_view bytes, std::vector<ServerEvent>* events);

  // ServerStream::LineSent() says the user just sent a line. A terminal would have
  // echoed it, ending the prompt the server drew; so an unterminated prompt (name,
  // password or `own_name`'s input prompt) is finished here. Otherwise a reply that
  // follows would be glued to it: "[time][you]:Users in general (2): ...". The reply to
  // a second line sent before the first one's prompt came would be glued to that prompt
  // all the same, and the bytes cannot tell it from a line of one's own ("[time][you]:"
  // then text): so ChatModel sends one line at a time (see there).
  void LineSent(std::string_view own_name);

  // ServerStream::PendingPrompt() classifies the unterminated text the server sent last
  // (kPrompt, kNamePrompt, kPasswordPrompt) or returns kText with the pending text (at
  // most its first kMaxPromptBytes; empty if nothing is pending). Used to mask the input
  // line and to label it, so on every redraw: the answer is kept until pending text changes.
  static constexpr size_t kMaxPromptBytes = 256;
  const ServerEvent& PendingPrompt() const;

  // True between a telnet IAC WILL ECHO and IAC WONT ECHO from the server: it is asking
  // the client not to echo (a password).
  bool server_echoes() const { return server_echoes_; }

 private:
  void Line(std::string_view line, std::vector<ServerEvent>* events);
  void AppendText(char c, std::vector<ServerEvent>* events);

  enum class Telnet { kData, kIac, kOption, kSub, kSubIac };
  Telnet telnet_ = Telnet::kData;
  unsigned char telnet_verb_ = 0;
  size_t sub_bytes_ = 0;
  bool server_echoes_ = false;
  std::string pending_;
  mutable bool pending_classified_ = true;
  mutable ServerEvent pending_prompt_;
};

// ClassifyLine() is one complete line (no newline) as an event.
ServerEvent ClassifyLine(std::string_view line);

}  // namespace chat::client

#endif  // CLIENT_SERVER_STREAM_H_
