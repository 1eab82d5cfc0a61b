// chat/core/notice.h: what the server tells one client, by meaning rather than by bytes.
//
// Defines:
//   NoticeKind - banner, name prompt, reply, error, goodbye, message of the day,
//                protocol bytes, password prompt.
//
// The session says which kind of notice it sends and in which words; each client's
// Renderer decides what that looks like on its wire (net-cat: the classic lines, exactly;
// JSON: {"type":"error","text":...}).

#ifndef CHAT_CORE_NOTICE_H_
#define CHAT_CORE_NOTICE_H_

namespace chat {

// A notice's text is its words: one or more lines, without a final newline (kProtocol
// excepted).
enum class NoticeKind {
  kBanner,      // the greeting on connect
  kNamePrompt,  // "give your name" (no text): on connect and after a refused name
  kReply,       // a command's answer
  kError,       // a refusal: bad name, line too long, flooding, unknown command, ...
  kGoodbye,     // the server ends the connection, and says why
  kMotd,        // the message of the day, after the login's welcome and prompt (a fresh
                // prompt follows it, as after any event)
  kProtocol,    // bytes the client's own protocol answers with (telnet replies): made
                // by that protocol's decoder, so its renderer passes them verbatim
  // Registered names (chat/identity):
  kSecretPrompt,  // "type a password": text is the prompt's words, e.g. "ENTER PASSWORD";
                  // the next line is secret (never echoed by the server, logged or sent)
};

}  // namespace chat

#endif  // CHAT_CORE_NOTICE_H_
