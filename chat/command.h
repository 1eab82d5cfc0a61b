// chat/command.h: reads a chat line as a message or a slash command. No I/O.
//
// Defines:
//   Command       - the parsed form of one line.
//   ParseCommand  - "/msg bob hi" -> {kMsg, "bob", "hi"}; "//x" -> message "/x".
//   kHelpText     - what /help prints.

#ifndef CHAT_COMMAND_H_
#define CHAT_COMMAND_H_

#include <string_view>

namespace chat {

// A line that does not start with '/' is a message, as is "//text" (sent as "/text"), so
// clients that never type '/' see the base protocol unchanged. Command words are
// case-insensitive. Arguments are views into the parsed line.
struct Command {
  enum class Kind {
    kMessage,  // `text` is what to broadcast
    kHelp,
    kName,     // `target` = new name
    kUsers,    // also /who
    kMsg,      // also /dm: `target` = recipient, `text`
    kRooms,
    kJoin,     // `target` = room
    kMe,       // `text` = action
    kPing,
    // Issue #12, for everyone.
    kWhois,     // `target` = whose
    kIgnore,    // `target` = whom; empty: list who you ignore
    kUnignore,  // `target` = whom
    kAway,      // `text` = away message; empty: back
    kReply,     // `text` = the answer to the last private message received
    kQuit,
    // Registered names (chat/identity): each asks for passwords at secret prompts.
    kRegister,    // register the current name
    kPassword,    // change the password
    kUnregister,  // delete the registration
    // Moderation (operators; /topic alone for everyone): `target` = whom, `text` = the
    // rest (duration and/or reason), parsed by the session.
    kOp,       // `target` = registered name
    kDeop,     // `target`
    kKick,     // `target`, `text` = reason
    kBan,      // `target` = name or address, `text` = [DURATION] [reason]
    kUnban,    // `target` = name or address
    kBans,     // list active bans
    kMute,     // `target`, `text` = [DURATION] [reason]
    kUnmute,   // `target`
    kMutes,    // list mutes in force
    kTopic,    // `text` = new topic; empty: show it; kClearTopic (`-`): clear it
    kUnknown,  // `target` = the word typed, e.g. "/frob"
    kUsage,    // a known command with bad arguments: `text` = its usage line
  };
  Kind kind = Kind::kMessage;
  std::string_view target;
  std::string_view text;
};

// `/topic -` clears the room's topic (a topic of just "-" says nothing anyway).
inline constexpr std::string_view kClearTopic = "-";

// ParseCommand() parses one line (already stripped of its newline).
Command ParseCommand(std::string_view line);

// The /help listing, one command a line, each line ending in "\n".
extern const std::string_view kHelpText;

}  // namespace chat

#endif  // CHAT_COMMAND_H_
