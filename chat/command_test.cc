#include "chat/command.h"

#include "gtest/gtest.h"

namespace chat {
namespace {

using Kind = Command::Kind;

void ExpectParse(std::string_view line, Kind kind, std::string_view target = {},
                 std::string_view text = {}) {
  const Command command = ParseCommand(line);
  EXPECT_EQ(command.kind, kind) << line;
  EXPECT_EQ(command.target, target) << line;
  EXPECT_EQ(command.text, text) << line;
}

TEST(ParseCommandTest, PlainLinesAreMessages) {
  ExpectParse("hello", Kind::kMessage, {}, "hello");
  ExpectParse(" /not a command", Kind::kMessage, {}, " /not a command");
  ExpectParse("", Kind::kMessage, {}, "");
}

TEST(ParseCommandTest, DoubleSlashSendsALiteralSlash) {
  ExpectParse("//help", Kind::kMessage, {}, "/help");
  ExpectParse("//", Kind::kMessage, {}, "/");
}

TEST(ParseCommandTest, SimpleCommandsIgnoreCaseAndArguments) {
  ExpectParse("/help", Kind::kHelp);
  ExpectParse("/HELP", Kind::kHelp);
  ExpectParse("/users", Kind::kUsers);
  ExpectParse("/who", Kind::kUsers);
  ExpectParse("/rooms", Kind::kRooms);
  ExpectParse("/ping", Kind::kPing);
  ExpectParse("/quit now", Kind::kQuit);
}

TEST(ParseCommandTest, NameTakesTheRestOfTheLineTrimmed) {
  ExpectParse("/name  Bob the 2nd \t", Kind::kName, "Bob the 2nd");
  ExpectParse("/name", Kind::kUsage, {}, "Usage: /name NEW");
  ExpectParse("/name   ", Kind::kUsage, {}, "Usage: /name NEW");
}

TEST(ParseCommandTest, MsgTakesARecipientAndText) {
  ExpectParse("/msg bob hi there", Kind::kMsg, "bob", "hi there");
  ExpectParse("/dm\tbob \t hi", Kind::kMsg, "bob", "hi");
  ExpectParse("/msg bob", Kind::kUsage, {}, "Usage: /msg NAME TEXT");
  ExpectParse("/msg bob   ", Kind::kUsage, {}, "Usage: /msg NAME TEXT");
  ExpectParse("/msg", Kind::kUsage, {}, "Usage: /msg NAME TEXT");
}

TEST(ParseCommandTest, JoinAndMe) {
  ExpectParse("/join random", Kind::kJoin, "random");
  ExpectParse("/join", Kind::kUsage, {}, "Usage: /join ROOM");
  ExpectParse("/me waves hello", Kind::kMe, {}, "waves hello");
  ExpectParse("/me", Kind::kUsage, {}, "Usage: /me ACTION");
}

TEST(ParseCommandTest, WhoisIgnoreUnignoreTakeAName) {
  ExpectParse("/whois  bob ", Kind::kWhois, "bob");
  ExpectParse("/WHOIS bob", Kind::kWhois, "bob");
  ExpectParse("/whois", Kind::kUsage, {}, "Usage: /whois NAME");
  ExpectParse("/ignore bob", Kind::kIgnore, "bob");
  ExpectParse("/ignore", Kind::kIgnore);  // alone: the list
  ExpectParse("/ignore \t ", Kind::kIgnore);
  ExpectParse("/unignore bob", Kind::kUnignore, "bob");
  ExpectParse("/unignore", Kind::kUsage, {}, "Usage: /unignore NAME");
  // Only the exact words: /ignored is no command.
  ExpectParse("/ignored bob", Kind::kUnknown, "/ignored");
}

TEST(ParseCommandTest, AwayAndReplyTakeText) {
  ExpectParse("/away  out to lunch ", Kind::kAway, {}, "out to lunch");
  ExpectParse("/away", Kind::kAway);  // alone: back
  ExpectParse("/reply sure, see you", Kind::kReply, {}, "sure, see you");
  ExpectParse("/reply", Kind::kUsage, {}, "Usage: /reply TEXT");
  ExpectParse("/reply  \t", Kind::kUsage, {}, "Usage: /reply TEXT");
}

TEST(ParseCommandTest, UnknownCommandsAreReported) {
  ExpectParse("/frob a b", Kind::kUnknown, "/frob");
  ExpectParse("/", Kind::kUnknown, "/");
  ExpectParse("/helpme", Kind::kUnknown, "/helpme");
}

TEST(ParseCommandTest, HelpTextListsEveryCommand) {
  for (const char* command : {"/help", "/name", "/users", "/who", "/msg", "/dm", "/rooms",
                              "/join", "/me", "/ping", "/quit", "//text"}) {
    EXPECT_NE(kHelpText.find(command), std::string_view::npos) << command;
  }
}

TEST(ParseCommandTest, ModerationCommandsTakeATargetAndTheRest) {
  Command c = ParseCommand("/ban  bob 2h  spamming links");
  EXPECT_EQ(c.kind, Command::Kind::kBan);
  EXPECT_EQ(c.target, "bob");
  EXPECT_EQ(c.text, "2h  spamming links");
  c = ParseCommand("/KICK bob");
  EXPECT_EQ(c.kind, Command::Kind::kKick);
  EXPECT_EQ(c.target, "bob");
  EXPECT_EQ(c.text, "");
  EXPECT_EQ(ParseCommand("/mute bob 10m").kind, Command::Kind::kMute);
  EXPECT_EQ(ParseCommand("/unmute bob").kind, Command::Kind::kUnmute);
  EXPECT_EQ(ParseCommand("/unban 192.0.2.1").target, "192.0.2.1");
  EXPECT_EQ(ParseCommand("/op bob").kind, Command::Kind::kOp);
  EXPECT_EQ(ParseCommand("/deop bob").kind, Command::Kind::kDeop);
  EXPECT_EQ(ParseCommand("/bans").kind, Command::Kind::kBans);
  c = ParseCommand("/topic  Be nice ");
  EXPECT_EQ(c.kind, Command::Kind::kTopic);
  EXPECT_EQ(c.text, "Be nice");
  EXPECT_EQ(ParseCommand("/topic").text, "");
  c = ParseCommand("/kick");
  EXPECT_EQ(c.kind, Command::Kind::kUsage);
  EXPECT_EQ(c.text, "Usage: /kick NAME [reason]");
  EXPECT_EQ(ParseCommand("/ban ").text, "Usage: /ban NAME|ADDRESS [DURATION] [reason]");
}

TEST(ParseCommandTest, HelpTextFitsEightyColumns) {
  size_t start = 0;
  while (start < kHelpText.size()) {
    const size_t end = kHelpText.find('\n', start);
    EXPECT_LT(end - start, 80u) << kHelpText.substr(start, end - start);
    start = end + 1;
  }
  for (const char* command : {"/kick", "/ban", "/unban", "/bans", "/mute", "/unmute", "/op",
                              "/deop", "/topic", "/mutes", "/topic -"}) {
    EXPECT_NE(kHelpText.find(command), std::string_view::npos) << command;
  }
}

}  // namespace
}  // namespace chat
