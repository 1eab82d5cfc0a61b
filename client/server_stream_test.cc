#include "client/server_stream.h"

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "chat/message.h"
#include "chat/testing/test_files.h"
#include "gtest/gtest.h"

namespace chat::client {
namespace {

using Kind = ServerEvent::Kind;

std::vector<ServerEvent> FeedAll(ServerStream& stream, std::string_view bytes) {
  std::vector<ServerEvent> events;
  stream.Feed(bytes, &events);
  return events;
}

// The same bytes one at a time: any split of the stream must give the same events.
std::vector<ServerEvent> FeedBytewise(ServerStream& stream, std::string_view bytes) {
  std::vector<ServerEvent> events;
  for (char c : bytes) stream.Feed(std::string_view(&c, 1), &events);
  return events;
}

std::vector<Kind> Kinds(const std::vector<ServerEvent>& events) {
  std::vector<Kind> kinds;
  for (const ServerEvent& event : events) kinds.push_back(event.kind);
  return kinds;
}

TEST(ClassifyLineTest, TheServersLines) {
  const std::string time = "2026-11-27 12:00:00";
  ServerEvent chat = ClassifyLine(FormatChatLine(time, "bob", "hi [there]: x"));
  EXPECT_EQ(chat.kind, Kind::kChat);
  EXPECT_EQ(chat.time, time);
  EXPECT_EQ(chat.name, "bob");
  EXPECT_EQ(chat.text, "hi [there]: x");

  ServerEvent prompt = ClassifyLine(FormatPrompt(time, "alice"));
  EXPECT_EQ(prompt.kind, Kind::kPrompt);
  EXPECT_EQ(prompt.name, "alice");

  ServerEvent private_message =
      ClassifyLine(FormatPrivateMessage(absl::UnixEpoch(), absl::UTCTimeZone(), "bob", "psst"));
  EXPECT_EQ(private_message.kind, Kind::kPrivate);
  EXPECT_EQ(private_message.name, "bob");
  EXPECT_EQ(private_message.text, "psst");

  ServerEvent emote = ClassifyLine(FormatEmote(absl::UnixEpoch(), absl::UTCTimeZone(), "bob",
                                               "waves at you"));
  EXPECT_EQ(emote.kind, Kind::kEmote);
  EXPECT_EQ(emote.name, "bob");
  EXPECT_EQ(emote.text, "waves at you");

  ServerEvent join = ClassifyLine(FormatJoinNotice("carol"));
  EXPECT_EQ(join.kind, Kind::kJoin);
  EXPECT_EQ(join.name, "carol");
  EXPECT_EQ(ClassifyLine(FormatLeaveNotice("carol")).kind, Kind::kLeave);
  ServerEvent rename = ClassifyLine(FormatRenameNotice("bob", "rob"));
  EXPECT_EQ(rename.kind, Kind::kRename);
  EXPECT_EQ(rename.name, "bob");
  EXPECT_EQ(rename.text, "rob");

  ServerEvent users = ClassifyLine("Users in general (3): alice, bob, 日本");
  EXPECT_EQ(users.kind, Kind::kUsers);
  EXPECT_EQ(users.room, "general");
  EXPECT_EQ(users.users, (std::vector<std::string>{"alice", "bob", "日本"}));
  ServerEvent total = ClassifyLine("Connected in total: 4");
  EXPECT_EQ(total.kind, Kind::kConnectedTotal);
  EXPECT_EQ(total.text, "4");

  EXPECT_EQ(ClassifyLine(kNamePrompt).kind, Kind::kNamePrompt);
  EXPECT_EQ(ClassifyLine("[ENTER PASSWORD]: ").kind, Kind::kPasswordPrompt);
  EXPECT_EQ(ClassifyLine("Choose one [REPEAT PASSWORD]: ").kind, Kind::kPasswordPrompt);
}

TEST(ClassifyLineTest, AnythingElseIsText) {
  for (const char* line : {"Name 'bob' is already taken.", "[Yes]", "[not a time][bob]:x",
                           "Users in general: x", "Connected in total: many",
                           "two words has joined our chat...", "", "[2026]", "[1][", "[1][]:x",
                           "[1] * bob", "[1] * bob ",
                           "Server is shutting down. Goodbye!"}) {
    const ServerEvent event = ClassifyLine(line);
    EXPECT_EQ(event.kind, Kind::kText) << line;
    EXPECT_EQ(event.text, line);
  }
}

TEST(ClassifyLineTest, APrivateMessageNeedsASenderAndText) {
  const ServerEvent nameless = ClassifyLine("[1][ -> you]:x");
  EXPECT_EQ(nameless.kind, Kind::kChat);
  EXPECT_EQ(nameless.name, " -> you");
}

TEST(ClassifyLineTest, ControlCharactersNeverReachAnEvent) {
  const ServerEvent event = ClassifyLine("[1][bob]:\x1b[2Jgotcha\x07");
  EXPECT_EQ(event.kind, Kind::kChat);
  EXPECT_EQ(event.text, "[2Jgotcha");
}

// A whole session as a TCPChat server sends it, in one piece and byte by byte.
TEST(ServerStreamTest, ASessionAsTheServerSendsIt) {
  const std::string banner = chat::testing::ReadFile("testdata/banner.txt");
  ASSERT_FALSE(banner.empty());
  const std::string time = "2026-11-27 12:00:00";
  const std::string prompt = FormatPrompt(time, "alice");
  for (bool bytewise : {false, true}) {
    ServerStream stream;
    auto feed = [&](std::string_view bytes) {
      return bytewise ? FeedBytewise(stream, bytes) : FeedAll(stream, bytes);
    };
    std::vector<ServerEvent> events = feed(banner + std::string(kNamePrompt));
    ASSERT_EQ(events.size(), 17u);
    EXPECT_EQ(events[0].text, "Welcome to TCP-Chat!");
    EXPECT_EQ(stream.PendingPrompt().kind, Kind::kNamePrompt);

    // A refused name: the reason, then the name prompt again.
    stream.LineSent("");
    events = feed("Name 'bob' is already taken.\n" + std::string(kNamePrompt));
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].text, "Name 'bob' is already taken.");
    EXPECT_EQ(stream.PendingPrompt().kind, Kind::kNamePrompt);

    stream.LineSent("");
    events = feed(FormatChatLine(time, "bob", "earlier") + "\n" + prompt);
    ASSERT_EQ(Kinds(events), std::vector<Kind>{Kind::kChat});
    ServerEvent pending = stream.PendingPrompt();
    EXPECT_EQ(pending.kind, Kind::kPrompt);
    EXPECT_EQ(pending.name, "alice");

    // Live events end the half-drawn prompt: it comes back as a prompt event, not text.
    events = feed("\n" + FormatJoinNotice("carol") + "\n" + prompt + "\n" +
                  FormatChatLine(time, "carol", "hello") + "\n" + prompt);
    EXPECT_EQ(Kinds(events),
              (std::vector<Kind>{Kind::kPrompt, Kind::kJoin, Kind::kPrompt, Kind::kChat}));

    // The user sends /users: the reply starts on a fresh line, as after a terminal echo.
    stream.LineSent("alice");
    events = feed("Users in general (3): alice, bob, carol\nConnected in total: 3\n" + prompt);
    ASSERT_EQ(Kinds(events), (std::vector<Kind>{Kind::kUsers, Kind::kConnectedTotal}));
    EXPECT_EQ(events[0].users.size(), 3u);

    stream.LineSent("alice");
    events = feed("Bye!\n");
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].text, "Bye!");
    EXPECT_EQ(stream.PendingPrompt(), ServerEvent{});
  }
}

TEST(ServerStreamTest, SomeoneElsesLineCutAfterTheColonIsNotDropped) {
  ServerStream stream;
  std::vector<ServerEvent> events = FeedAll(stream, "[2026-11-27 12:00:00][bob]:");
  EXPECT_TRUE(events.empty());
  stream.LineSent("alice");
  events = FeedAll(stream, "hi\r\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Kind::kChat);
  EXPECT_EQ(events[0].text, "hi");
}

TEST(ServerStreamTest, TelnetSequencesAreRemovedAndEchoNegotiationTracked) {
  ServerStream stream;
  std::vector<ServerEvent> events;
  stream.Feed("\xff\xfb\x01[ENTER PASSWORD]: ", &events);
  EXPECT_TRUE(stream.server_echoes());
  EXPECT_EQ(stream.PendingPrompt().kind, Kind::kPasswordPrompt);
  stream.LineSent("");
  stream.Feed("\xff", &events);  // split inside a sequence
  stream.Feed("\xfc", &events);
  stream.Feed("\x01ok\xff\xf1!\xff\xfa\x18\x01\xff\xf0?\xff\xff\n", &events);
  EXPECT_FALSE(stream.server_echoes());
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].text, "ok!?");
}

TEST(ServerStreamTest, AnEndlessSubnegotiationDoesNotSwallowTheStream) {
  ServerStream stream;
  std::vector<ServerEvent> events;
  stream.Feed("\xff\xfa" + std::string(5000, 'x') + "\nvisible\n", &events);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().text, "visible");
}

TEST(ServerStreamTest, AnUnterminatedLineIsBounded) {
  ServerStream stream;
  std::vector<ServerEvent> events;
  stream.Feed(std::string(ServerStream::kMaxPendingBytes * 2 + 10, 'y'), &events);
  EXPECT_EQ(events.size(), 2u);
  EXPECT_EQ(stream.PendingPrompt().text.size(), 10u);
}

}  // namespace
}  // namespace chat::client
