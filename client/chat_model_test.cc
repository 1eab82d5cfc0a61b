#include "client/chat_model.h"

#include <string>
#include <vector>

#include "chat/message.h"
#include "gtest/gtest.h"

namespace chat::client {
namespace {

constexpr char kTime[] = "2026-11-27 12:00:00";


std::string Prompt(std::string_view name) { return FormatPrompt(kTime, name); }

ChatModel::Options Options() {
  ChatModel::Options options;
  options.name_colors = 8;
  options.now = [] { return std::string(kTime); };
  return options;
}

// Logs in as alice, answering the automatic /users; returns the model with nothing pending.
void LogIn(ChatModel& model) {
  model.OnServerBytes("Welcome!\n[ENTER YOUR NAME]: ");
  model.OnUserLine("alice");
  EXPECT_EQ(model.TakeOutgoing(), "alice\n");
  model.OnServerBytes(Prompt("alice"));
  EXPECT_EQ(model.TakeOutgoing(), "/users\n");
  model.OnServerBytes("Users in general (2): alice, bob\nConnected in total: 2\n" +
                      Prompt("alice"));
  model.TakeLines();
}

TEST(ChatModelTest, LoginShowsTheBannerAndNamePromptAndHidesTheAutomaticUsersReply) {
  ChatModel model(Options());
  model.OnServerBytes("Welcome!\n[ENTER YOUR NAME]: ");
  EXPECT_EQ(model.InputLabel(), "[ENTER YOUR NAME]: ");
  EXPECT_FALSE(model.logged_in());
  model.OnUserLine("bob");
  model.OnServerBytes("Name 'bob' is already taken.\n[ENTER YOUR NAME]: ");
  EXPECT_EQ(model.InputLabel(), "[ENTER YOUR NAME]: ");
  model.OnUserLine("alice");
  EXPECT_EQ(model.TakeOutgoing(), "bob\nalice\n");
  model.OnServerBytes(FormatChatLine(kTime, "bob", "earlier") + "\n" + Prompt("alice"));
  EXPECT_TRUE(model.logged_in());
  EXPECT_EQ(model.InputLabel(), "[alice]: ");
  EXPECT_EQ(model.TakeOutgoing(), "/users\n");
  model.OnServerBytes("Users in general (2): alice, bob\nConnected in total: 2\n" +
                      Prompt("alice"));
  EXPECT_EQ(model.Status(), "general | 2 online: alice, bob");
  EXPECT_EQ(PlainTexts(model.TakeLines()),
            (std::vector<std::string>{"Welcome!", "[ENTER YOUR NAME]: bob",
                                      "Name 'bob' is already taken.", "[ENTER YOUR NAME]: alice",
                                      "[2026-11-27 12:00:00][bob]:earlier"}));
}

TEST(ChatModelTest, PromptRedrawsNeverShowAndOwnLinesDo) {
  ChatModel model(Options());
  LogIn(model);
  model.OnServerBytes("\n" + FormatChatLine(kTime, "bob", "hi") + "\n" + Prompt("alice"));
  model.OnUserLine("hello bob");
  model.OnUserLine("   ");  // blank: not sent
  EXPECT_EQ(model.TakeOutgoing(), "hello bob\n");
  model.OnServerBytes(Prompt("alice") + "\n" + FormatChatLine(kTime, "bob", "yo") + "\n" +
                      Prompt("alice"));
  const std::vector<StyledLine> lines = model.TakeLines();
  EXPECT_EQ(PlainTexts(lines), (std::vector<std::string>{"[2026-11-27 12:00:00][bob]:hi",
                                                     "[2026-11-27 12:00:00][alice]:hello bob",
                                                     "[2026-11-27 12:00:00][bob]:yo"}));
  EXPECT_EQ(lines[1][1].style, kOwnStyle);
  EXPECT_GE(lines[0][1].style, kNameStyle);
}

TEST(ChatModelTest, MentionsAndPrivateMessagesRingTheBell) {
  ChatModel model(Options());
  LogIn(model);
  model.OnServerBytes("\n" + FormatChatLine(kTime, "bob", "malice aforethought") + "\n" +
                      Prompt("alice"));
  EXPECT_FALSE(model.TakeBell());
  model.OnServerBytes("\n" + FormatChatLine(kTime, "bob", "hey Alice!") + "\n" + Prompt("alice"));
  EXPECT_TRUE(model.TakeBell());
  EXPECT_FALSE(model.TakeBell());
  model.OnServerBytes("\n[2026-11-27 12:00:00][bob -> you]:psst\n" + Prompt("alice"));
  EXPECT_TRUE(model.TakeBell());
  const std::vector<StyledLine> lines = model.TakeLines();
  EXPECT_EQ(lines[1].back().style, kMentionStyle);
  EXPECT_EQ(PlainText(lines[2]), "[2026-11-27 12:00:00][bob -> you]:psst");
  EXPECT_EQ(lines[2][1].style, kPrivateStyle);
}

TEST(ChatModelTest, JoinsRefreshTheUserListOneRequestAtATime) {
  ChatModel model(Options());
  LogIn(model);
  model.OnServerBytes("\n" + FormatJoinNotice("carol") + "\n" + Prompt("alice") + "\n" +
                      FormatJoinNotice("dave") + "\n" + Prompt("alice"));
  EXPECT_EQ(model.TakeOutgoing(), "/users\n");  // one, though two joined
  model.OnUserLine("/users");                    // the user's own: its reply is shown
  EXPECT_EQ(model.TakeOutgoing(), "");           // after the server's prompt
  model.OnServerBytes("Users in general (3): alice, bob, carol\nConnected in total: 3\n" +
                      Prompt("alice"));
  EXPECT_EQ(model.TakeOutgoing(), "/users\n");
  model.OnServerBytes("Users in general (4): alice, bob, carol, dave\nConnected in total: 4\n" +
                      Prompt("alice"));
  EXPECT_EQ(model.TakeOutgoing(), "/users\n");  // dave came meanwhile: asked again
  model.OnServerBytes("Users in general (4): alice, bob, carol, dave\nConnected in total: 4\n" +
                      Prompt("alice"));
  EXPECT_EQ(model.TakeOutgoing(), "");
  EXPECT_EQ(PlainTexts(model.TakeLines()),
            (std::vector<std::string>{"carol has joined our chat...",
                                      "dave has joined our chat...",
                                      "[2026-11-27 12:00:00][alice]:/users",
                                      "Users in general (4): alice, bob, carol, dave",
                                      "Connected in total: 4"}));
  EXPECT_EQ(model.Status(), "general | 4 online: alice, bob, carol, dave");
}

TEST(ChatModelTest, OneLineAtATimeSoRepliesAreNeverGluedToAPrompt) {
  ChatModel model(Options());
  LogIn(model);
  model.OnUserLine("/rooms");
  model.OnUserLine("one");
  model.OnUserLine("two");
  EXPECT_EQ(model.TakeOutgoing(), "/rooms\n");
  EXPECT_EQ(model.queued(), 2u);
  model.OnServerBytes("Rooms: general (2)\n");
  EXPECT_EQ(model.TakeOutgoing(), "");
  model.OnServerBytes(Prompt("alice"));
  EXPECT_EQ(model.TakeOutgoing(), "one\n");
  model.ReleaseStalled();  // a server that never prompts does not hold lines forever
  EXPECT_EQ(model.TakeOutgoing(), "two\n");
  EXPECT_EQ(model.queued(), 0u);
  const std::vector<std::string> lines = PlainTexts(model.TakeLines());
  ASSERT_EQ(lines.size(), 4u);  // typed lines show at once, the reply when it comes
  EXPECT_EQ(lines[3], "Rooms: general (2)");
}

TEST(ChatModelTest, AServerWithoutCommandsIsAskedOnce) {
  ChatModel model(Options());
  model.OnServerBytes("[ENTER YOUR NAME]: ");
  model.OnUserLine("alice");
  model.OnServerBytes(Prompt("alice"));
  EXPECT_EQ(model.TakeOutgoing(), "alice\n/users\n");
  model.OnServerBytes(Prompt("alice") + "\n" + FormatJoinNotice("bob") + "\n" + Prompt("alice"));
  EXPECT_EQ(model.TakeOutgoing(), "");
}

TEST(ChatModelTest, AutomaticUsersCanBeTurnedOff) {
  ChatModel::Options options = Options();
  options.auto_users = false;
  ChatModel model(options);
  model.OnServerBytes("[ENTER YOUR NAME]: ");
  model.OnUserLine("alice");
  model.OnServerBytes(Prompt("alice"));
  EXPECT_EQ(model.TakeOutgoing(), "alice\n");
}

TEST(ChatModelTest, PasswordPromptsMaskTheInputAndTheAnswerIsNeverShown) {
  ChatModel model(Options());
  model.OnServerBytes("[ENTER YOUR NAME]: ");
  model.OnUserLine("alice");
  model.OnServerBytes("\xff\xfb\x01[ENTER PASSWORD]: ");
  EXPECT_TRUE(model.MaskInput());
  EXPECT_EQ(model.InputLabel(), "[ENTER PASSWORD]: ");
  model.OnUserLine("hunter2");
  model.OnServerBytes("\xff\xfc\x01" + Prompt("alice"));
  EXPECT_FALSE(model.MaskInput());
  EXPECT_EQ(model.TakeOutgoing(), "alice\nhunter2\n/users\n");
  for (const std::string& line : PlainTexts(model.TakeLines())) {
    EXPECT_EQ(line.find("hunter2"), std::string::npos) << line;
  }
}

TEST(ChatModelTest, TheServersGoodbyeIsKept) {
  ChatModel model(Options());
  LogIn(model);
  model.OnServerBytes("\nServer is shutting down. Goodbye!\n");
  model.OnServerClosed();
  EXPECT_EQ(model.last_text(), "Server is shutting down. Goodbye!");
  EXPECT_EQ(PlainTexts(model.TakeLines()),
            (std::vector<std::string>{"Server is shutting down. Goodbye!",
                                      "The server closed the connection."}));
}

TEST(ChatModelTest, NoColorGivesNamesNoColor) {
  ChatModel::Options options = Options();
  options.name_colors = 0;
  ChatModel model(options);
  LogIn(model);
  model.OnServerBytes("\n" + FormatChatLine(kTime, "bob", "hi") + "\n" + Prompt("alice"));
  EXPECT_EQ(model.TakeLines()[0][1].style, kPlainStyle);
}

}  // namespace
}  // namespace chat::client
