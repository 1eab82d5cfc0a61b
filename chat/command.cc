#include "chat/command.h"

#include <cctype>

#include "chat/sanitize.h"

namespace chat {

const std::string_view kHelpText =
    "Commands:\n"
    "  /help             this list\n"
    "  /name NEW         change your name\n"
    "  /users, /who      who is in this room, and how many are connected\n"
    "  /msg NAME TEXT    private message to NAME (also /dm)\n"
    "  /rooms            list the rooms\n"
    "  /join ROOM        move to ROOM (created on first join)\n"
    "  /me ACTION        emote: * you ACTION\n"
    "  /ping             pong, with the server time\n"
    "  /whois NAME       who NAME is: room, idle and connected times\n"
    "  /ignore [NAME]    hide NAME's lines and messages; alone: who you ignore\n"
    "  /unignore NAME    see NAME again\n"
    "  /away [TEXT]      set an away message; /away alone: you are back\n"
    "  /reply TEXT       answer the last private message you received\n"
    "  /quit             leave the chat\n"
    "  /register         protect your name with a password\n"
    "  /password         change your password\n"
    "  /unregister       remove your name's registration\n"
    "  /topic [TEXT]     the room's topic; operators: set it (/topic - clears it)\n"
    "Operators:\n"
    "  /kick NAME [WHY]  disconnect NAME\n"
    "  /ban WHO [TIME] [WHY]  refuse a name or address (TIME: 10m, 2h, 7d)\n"
    "  /unban WHO        lift a ban; /bans lists them\n"
    "  /mute NAME [TIME] [WHY]  NAME can read but not speak; /unmute NAME\n"
    "  /mutes            the mutes in force\n"
    "  /op NAME          make a registered name an operator; /deop NAME\n"
    "  //text            send a line that starts with '/'\n";

namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// Splits "word rest" at the first run of blanks.
std::pair<std::string_view, std::string_view> FirstWord(std::string_view text) {
  text = TrimBlanks(text);
  const size_t end = text.find_first_of(" \t");
  if (end == std::string_view::npos) return {text, {}};
  return {text.substr(0, end), TrimBlanks(text.substr(end))};
}

Command Usage(std::string_view usage) { return Command{Command::Kind::kUsage, {}, usage}; }

}  // namespace

Command ParseCommand(std::string_view line) {
  if (line.empty() || line[0] != '/') return Command{Command::Kind::kMessage, {}, line};
  if (line.size() > 1 && line[1] == '/') {
    return Command{Command::Kind::kMessage, {}, line.substr(1)};
  }
  const size_t word_end = line.find_first_of(" \t");
  const std::string_view word = line.substr(0, word_end);
  const std::string_view rest =
      word_end == std::string_view::npos ? std::string_view() : line.substr(word_end + 1);
  const std::string_view args = TrimBlanks(rest);
  using Kind = Command::Kind;

  if (EqualsIgnoreCase(word, "/help")) return Command{Kind::kHelp, {}, {}};
  if (EqualsIgnoreCase(word, "/users") || EqualsIgnoreCase(word, "/who")) {
    return Command{Kind::kUsers, {}, {}};
  }
  if (EqualsIgnoreCase(word, "/rooms")) return Command{Kind::kRooms, {}, {}};
  if (EqualsIgnoreCase(word, "/ping")) return Command{Kind::kPing, {}, {}};
  if (EqualsIgnoreCase(word, "/whois")) {
    if (args.empty()) return Usage("Usage: /whois NAME");
    return Command{Kind::kWhois, args, {}};
  }
  if (EqualsIgnoreCase(word, "/ignore")) return Command{Kind::kIgnore, args, {}};
  if (EqualsIgnoreCase(word, "/unignore")) {
    if (args.empty()) return Usage("Usage: /unignore NAME");
    return Command{Kind::kUnignore, args, {}};
  }
  if (EqualsIgnoreCase(word, "/away")) return Command{Kind::kAway, {}, args};
  if (EqualsIgnoreCase(word, "/reply")) {
    if (args.empty()) return Usage("Usage: /reply TEXT");
    return Command{Kind::kReply, {}, args};
  }
  if (EqualsIgnoreCase(word, "/quit")) return Command{Kind::kQuit, {}, {}};
  // Registered names. No arguments: passwords are asked for at prompts, never typed
  // on a command line that a mistyped "/" would send to the room.
  if (EqualsIgnoreCase(word, "/register")) return Command{Kind::kRegister, {}, {}};
  if (EqualsIgnoreCase(word, "/password")) return Command{Kind::kPassword, {}, {}};
  if (EqualsIgnoreCase(word, "/unregister")) return Command{Kind::kUnregister, {}, {}};
  // Moderation: the first word is whom, the rest is for the session to read.
  {
    struct Target {
      const char* word;
      Kind kind;
      const char* usage;
    };
    static constexpr Target kTargeted[] = {
        {"/op", Kind::kOp, "Usage: /op NAME"},
        {"/deop", Kind::kDeop, "Usage: /deop NAME"},
        {"/kick", Kind::kKick, "Usage: /kick NAME [reason]"},
        {"/ban", Kind::kBan, "Usage: /ban NAME|ADDRESS [DURATION] [reason]"},
        {"/unban", Kind::kUnban, "Usage: /unban NAME|ADDRESS"},
        {"/mute", Kind::kMute, "Usage: /mute NAME [DURATION] [reason]"},
        {"/unmute", Kind::kUnmute, "Usage: /unmute NAME"},
    };
    for (const Target& t : kTargeted) {
      if (!EqualsIgnoreCase(word, t.word)) continue;
      const auto [target, text] = FirstWord(args);
      if (target.empty()) return Usage(t.usage);
      return Command{t.kind, target, text};
    }
  }
  if (EqualsIgnoreCase(word, "/bans")) return Command{Kind::kBans, {}, {}};
  if (EqualsIgnoreCase(word, "/mutes")) return Command{Kind::kMutes, {}, {}};
  if (EqualsIgnoreCase(word, "/topic")) return Command{Kind::kTopic, {}, args};
  if (EqualsIgnoreCase(word, "/name")) {
    if (args.empty()) return Usage("Usage: /name NEW");
    return Command{Kind::kName, args, {}};
  }
  if (EqualsIgnoreCase(word, "/join")) {
    if (args.empty()) return Usage("Usage: /join ROOM");
    return Command{Kind::kJoin, args, {}};
  }
  if (EqualsIgnoreCase(word, "/me")) {
    if (args.empty()) return Usage("Usage: /me ACTION");
    return Command{Kind::kMe, {}, args};
  }
  if (EqualsIgnoreCase(word, "/msg") || EqualsIgnoreCase(word, "/dm")) {
    const auto [recipient, text] = FirstWord(args);
    if (recipient.empty() || IsBlank(text)) return Usage("Usage: /msg NAME TEXT");
    return Command{Kind::kMsg, recipient, text};
  }
  return Command{Kind::kUnknown, word, {}};
}

}  // namespace chat
