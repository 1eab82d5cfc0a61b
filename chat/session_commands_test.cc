// Chat commands over socketpair sessions: each command's happy path and error paths.

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "chat/command.h"
#include "chat/message.h"
#include "chat/testing/line_client.h"
#include "chat/testing/session_fixture.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace chat {
namespace {

using testing::LineClient;
using testing::Welcome;

class SessionCommandsTest : public testing::SessionFixture {
 protected:
  // Sends `line` and expects exactly `reply` (may be empty) followed by a fresh prompt.
  void ExpectReply(LineClient& client, std::string_view name, std::string_view line,
                   std::string_view reply) {
    client.Send(absl::StrCat(line, "\n"));
    const std::string expected = absl::StrCat(reply, Prompt(name));
    EXPECT_EQ(client.Read(expected.size()), expected) << line;
  }

  // Logs in alice and bob in "general"; alice has read bob's join notice.
  void TwoInGeneral(LineClient& alice, LineClient& bob) {
    alice = LoggedIn("alice");
    bob = LoggedIn("bob");
    ASSERT_EQ(alice.ReadUntil(Prompt("alice")), Event("bob has joined our chat...", "alice"));
  }
};

TEST_F(SessionCommandsTest, HelpListsCommands) {
  LineClient alice = LoggedIn("alice");
  ExpectReply(alice, "alice", "/help", kHelpText);
}

TEST_F(SessionCommandsTest, UnknownCommandAndBadArgumentsGoOnlyToTheSender) {
  LineClient alice, bob;
  TwoInGeneral(alice, bob);
  ExpectReply(bob, "bob", "/frobnicate now", "Unknown command: /frobnicate (try /help)\n");
  ExpectReply(bob, "bob", "/msg alice", "Usage: /msg NAME TEXT\n");
  ExpectReply(bob, "bob", "/name", "Usage: /name NEW\n");
  ExpectReply(bob, "bob", "/join", "Usage: /join ROOM\n");
  ExpectReply(bob, "bob", "/me", "Usage: /me ACTION\n");
  EXPECT_TRUE(alice.ReceivedNothingFor(absl::Milliseconds(50)));
  EXPECT_TRUE(room_.History().empty());
}

TEST_F(SessionCommandsTest, DoubleSlashSendsALiteralSlashLine) {
  LineClient alice, bob;
  TwoInGeneral(alice, bob);
  ExpectReply(bob, "bob", "//help is a command", "");
  EXPECT_EQ(alice.ReadUntil(Prompt("alice")),
            Event("[2026-01-02 03:04:05][bob]:/help is a command", "alice"));
}

TEST_F(SessionCommandsTest, RenameAnnouncesAndChangesThePrompt) {
  LineClient alice, bob;
  TwoInGeneral(alice, bob);
  ExpectReply(bob, "robert", "/name robert", "You are now known as robert.\n");
  EXPECT_EQ(alice.ReadUntil(Prompt("alice")),
            Event("bob changed their name to robert", "alice"));
  bob.Send("hi\n");
  EXPECT_EQ(bob.Read(Prompt("robert").size()), Prompt("robert"));
  EXPECT_EQ(alice.ReadUntil(Prompt("alice")),
            Event("[2026-01-02 03:04:05][robert]:hi", "alice"));
  // The old name is free again; the new one is taken.
  LineClient other = Connect();
  other.Read(Welcome().size());
  other.Send("robert\n");
  const std::string taken =
      absl::StrCat("Name 'robert' is already taken.\n", kNamePrompt);
  EXPECT_EQ(other.Read(taken.size()), taken);
  other.Send("bob\n");
  EXPECT_EQ(other.ReadUntil(Prompt("bob")),
            absl::StrCat("[2026-01-02 03:04:05][robert]:hi\n", Prompt("bob")));
}

TEST_F(SessionCommandsTest, RenameRefusals) {
  LineClient alice, bob;
  TwoInGeneral(alice, bob);
  ExpectReply(bob, "bob", "/name alice", "Name 'alice' is already taken.\n");
  ExpectReply(bob, "bob", "/name bob", "You are already called bob.\n");
  ExpectReply(bob, "bob", "/name [admin]", "Name cannot contain '[' or ']'.\n");
  ExpectReply(bob, "bob", "/name /x", "Name cannot start with '/'.\n");
  EXPECT_TRUE(alice.ReceivedNothingFor(absl::Milliseconds(50)));
}

TEST_F(SessionCommandsTest, NamesAreTheSameUpToCaseAndLookAlikes) {
  LineClient alice, bob;
  TwoInGeneral(alice, bob);
  LineClient other = Connect();
  other.Read(Welcome().size());
  for (const std::string name : {"Alice", "\xD0\xB0lice", "\xEF\xBD\x81lice"}) {
    other.Send(name + "\n");
    const std::string taken = absl::StrCat("Name '", name, "' is already taken.\n", kNamePrompt);
    EXPECT_EQ(other.Read(taken.size()), taken) << name;
  }
  ExpectReply(bob, "bob", "/name ALICE", "Name 'ALICE' is already taken.\n");
  ExpectReply(bob, "bob", "/name bob the builder", "Name cannot contain spaces.\n");
  ExpectReply(bob, "bob", "/name b\xE2\x80\x8Bob",
              "Name cannot contain invisible or formatting characters.\n");
  // A new spelling of your own name is a rename like any other.
  ExpectReply(alice, "Alice", "/name Alice", "You are now known as Alice.\n");
  EXPECT_EQ(bob.ReadUntil(Prompt("bob")), Event("alice changed their name to Alice", "bob"));
}

TEST_F(SessionCommandsTest, PrivateMessagesFindTheRecipientByKey) {
  LineClient alice, bob;
  TwoInGeneral(alice, bob);
  ExpectReply(bob, "bob", "/msg ALICE hi", "");
  EXPECT_EQ(alice.ReadUntil(Prompt("alice")),
            Event("[2026-01-02 03:04:05][bob -> you]:hi", "alice"));
  ExpectReply(alice, "alice", "/msg \xD0\xB0lice hello",
              "You cannot send a private message to yourself.\n");
}

TEST_F(SessionCommandsTest, RoomsAreTheSameUpToCase) {
  LineClient alice = LoggedIn("alice");
  ExpectReply(alice, "alice", "/join GENERAL", "You are already in general.\n");
  ExpectReply(alice, "alice", "/join Dev", "You are now in Dev.\n");
  ExpectReply(alice, "alice", "/join dev", "You are already in Dev.\n");
  ExpectReply(alice, "alice", "/join dev team", "Room name cannot contain spaces.\n");
}

TEST_F(SessionCommandsTest, UsersListsTheRoomAndTheTotal) {
  LineClient alice, bob;
  TwoInGeneral(alice, bob);
  LineClient lurker = Connect();  // not logged in: not counted
  lurker.Read(Welcome().size());
  ExpectReply(alice, "alice", "/users",
              "Users in general (2): alice, bob\nConnected in total: 2\n");
  ExpectReply(alice, "alice", "/who",
              "Users in general (2): alice, bob\nConnected in total: 2\n");
}

TEST_F(SessionCommandsTest, PrivateMessageReachesOnlyItsRecipient) {
  LineClient alice, bob;
  TwoInGeneral(alice, bob);
  LineClient carol = LoggedIn("carol");
  alice.ReadUntil(Prompt("alice"));
  bob.ReadUntil(Prompt("bob"));
  ExpectReply(alice, "alice", "/msg bob meet me at noon", "");
  EXPECT_EQ(bob.ReadUntil(Prompt("bob")),
            Event("[2026-01-02 03:04:05][alice -> you]:meet me at noon", "bob"));
  ExpectReply(alice, "alice", "/dm carol psst", "");
  EXPECT_EQ(carol.ReadUntil(Prompt("carol")),
            Event("[2026-01-02 03:04:05][alice -> you]:psst", "carol"));
  EXPECT_TRUE(bob.ReceivedNothingFor(absl::Milliseconds(50)));
  EXPECT_TRUE(room_.History().empty());  // private lines are not history
}

TEST_F(SessionCommandsTest, PrivateMessageErrors) {
  LineClient alice = LoggedIn("alice");
  ExpectReply(alice, "alice", "/msg nobody hello", "No such user: nobody\n");
  ExpectReply(alice, "alice", "/msg alice hello",
              "You cannot send a private message to yourself.\n");
}

TEST_F(SessionCommandsTest, EmoteIsBroadcastAndKept) {
  LineClient alice, bob;
  TwoInGeneral(alice, bob);
  ExpectReply(bob, "bob", "/me waves", "");
  EXPECT_EQ(alice.ReadUntil(Prompt("alice")),
            Event("[2026-01-02 03:04:05] * bob waves", "alice"));
  ASSERT_EQ(room_.History().size(), 1u);
  EXPECT_EQ(room_.History()[0]->kind, Event::Kind::kEmote);
  EXPECT_EQ(room_.History()[0]->text, "waves");
}

TEST_F(SessionCommandsTest, PingAnswersWithServerTime) {
  LineClient alice = LoggedIn("alice");
  clock_.Advance(absl::Seconds(10));
  ExpectReply(alice, "alice", "/ping", "pong 2026-01-02 03:04:15\n");
}

TEST_F(SessionCommandsTest, QuitSaysByeAndLeaves) {
  LineClient alice, bob;
  TwoInGeneral(alice, bob);
  bob.Send("/quit\n");
  EXPECT_EQ(bob.ReadToEnd(), "Bye!\n");
  EXPECT_EQ(alice.ReadUntil(Prompt("alice")), Event("bob has left our chat...", "alice"));
  finished(1).WaitForNotification();
  EXPECT_EQ(names_.size(), 1u);
}

TEST_F(SessionCommandsTest, RoomsJoinAndSeparateHistories) {
  LineClient alice, bob;
  TwoInGeneral(alice, bob);
  alice.Send("in general\n");
  alice.Read(Prompt("alice").size());
  EXPECT_EQ(bob.ReadUntil(Prompt("bob")),
            Event("[2026-01-02 03:04:05][alice]:in general", "bob"));

  // bob moves: a leave notice in general, a welcome with random's (empty) history.
  ExpectReply(bob, "bob", "/join random", "You are now in random.\n");
  EXPECT_EQ(alice.ReadUntil(Prompt("alice")), Event("bob has left our chat...", "alice"));
  ExpectReply(bob, "bob", "/rooms", "Rooms: general (1), random (1)\n");
  ExpectReply(bob, "bob", "/join random", "You are already in random.\n");

  bob.Send("in random\n");
  bob.Read(Prompt("bob").size());
  EXPECT_TRUE(alice.ReceivedNothingFor(absl::Milliseconds(50)));

  // alice follows: she gets random's history, bob gets her join notice.
  ExpectReply(alice, "alice", "/join random",
              "You are now in random.\n[2026-01-02 03:04:05][bob]:in random\n");
  EXPECT_EQ(bob.ReadUntil(Prompt("bob")), Event("alice has joined our chat...", "bob"));
  ExpectReply(alice, "alice", "/users",
              "Users in random (2): alice, bob\nConnected in total: 2\n");

  // Back in general, the history there is general's own.
  ExpectReply(bob, "bob", "/join general",
              "You are now in general.\n[2026-01-02 03:04:05][alice]:in general\n");
}

TEST_F(SessionCommandsTest, RoomNameRulesAndRoomLimit) {
  LineClient alice = LoggedIn("alice");
  ExpectReply(alice, "alice", "/join [x]", "Room name cannot contain '[' or ']'.\n");
  // The fixture allows 3 rooms: general plus two.
  ExpectReply(alice, "alice", "/join one", "You are now in one.\n");
  alice.Send("keep one alive\n");  // history keeps room "one" after alice leaves it
  alice.Read(Prompt("alice").size());
  ExpectReply(alice, "alice", "/join two", "You are now in two.\n");
  alice.Send("keep two alive\n");
  alice.Read(Prompt("alice").size());
  ExpectReply(alice, "alice", "/join three",
              "Too many rooms (3); join an existing one (see /rooms).\n");
  ExpectReply(alice, "alice", "/rooms", "Rooms: general (0), one (0), two (1)\n");
}

TEST_F(SessionCommandsTest, ClientsThatNeverTypeASlashSeeTheBaseProtocol) {
  LineClient alice, bob;
  TwoInGeneral(alice, bob);
  bob.Send("plain line\n");
  EXPECT_EQ(bob.Read(Prompt("bob").size()), Prompt("bob"));
  EXPECT_EQ(alice.ReadUntil(Prompt("alice")),
            Event("[2026-01-02 03:04:05][bob]:plain line", "alice"));
}

// The crash this pins (`printf 'eve\n/join dev\n/join general\n' | nc ...`): leaving a room
// as its last member, with nothing said in it, removed the room during the move and the
// session then read the freed room. ASan reports heap-use-after-free if it comes back.
TEST_F(SessionCommandsTest, LeavingAnEmptiedRoomIsSafe) {
  LineClient eve = LoggedIn("eve");
  for (int round = 0; round < 3; ++round) {
    ExpectReply(eve, "eve", "/join dev", "You are now in dev.\n");
    ExpectReply(eve, "eve", "/join general", "You are now in general.\n");
  }
  ExpectReply(eve, "eve", "/rooms", "Rooms: general (1)\n");
  // The session still works: it can chat, list and leave.
  ExpectReply(eve, "eve", "/users", "Users in general (1): eve\nConnected in total: 1\n");
  eve.Send("/quit\n");
  EXPECT_EQ(eve.ReadToEnd(), "Bye!\n");
}

// A client that disconnects while alone in a room removes the room on its way out.
TEST_F(SessionCommandsTest, DisconnectingLastMemberRemovesTheRoom) {
  LineClient eve = LoggedIn("eve");
  ExpectReply(eve, "eve", "/join dev", "You are now in dev.\n");
  eve.Close();
  finished(0).WaitForNotification();
  EXPECT_EQ(lobby_.Find("dev"), nullptr);
}

// Sanitising turns each invalid byte into a 3-byte U+FFFD; the line limit applies to
// the result, so what is stored and sent never exceeds --max_line_bytes.
TEST_F(SessionCommandsTest, LineLimitAppliesAfterSanitising) {
  LineClient alice, bob;
  TwoInGeneral(alice, bob);
  const size_t limit = options_.max_line_bytes;
  ExpectReply(bob, "bob", std::string(limit / 3 + 1, '\x80'),
              absl::StrCat("Your message was longer than ", limit,
                           " bytes and was not sent.\n"));
  EXPECT_TRUE(room_.History().empty());
  ExpectReply(bob, "bob", std::string(limit / 3, '\x80'), "");
  ASSERT_EQ(room_.History().size(), 1u);
  EXPECT_LE(room_.History()[0]->text.size(), limit);
}

// History is replayed from the room's shared log, not copied into the newcomer's queue:
// a history far larger than the output limit reaches a newcomer whole, and costs no
// memory per newcomer (the issue this pins: replays copied per client grew the server
// by hundreds of MiB when slow readers alternated /join between big rooms).
TEST_F(SessionCommandsTest, LongHistoryIsStreamedWholeWithinTheOutputLimit) {
  options_.max_outbox_bytes = 4096;
  options_.max_msgs_per_sec = 0;  // alice's 80 lines are not a flood here
  context_.options = options_;
  LineClient alice = LoggedIn("alice");
  for (int i = 0; i < 80; ++i) {
    ASSERT_TRUE(alice.Send(absl::StrCat(std::string(90, 'x'), i, "\n")));
    alice.Read(Prompt("alice").size());
  }
  LineClient bob = Connect();
  bob.Read(Welcome().size());
  bob.Send("bob\n");
  const std::string replay = bob.ReadUntil(Prompt("bob"));
  EXPECT_GT(replay.size(), 2 * options_.max_outbox_bytes);
  for (int i = 20; i < 80; ++i) {  // the fixture's rooms keep 100 lines
    EXPECT_THAT(replay, ::testing::HasSubstr(absl::StrCat(std::string(90, 'x'), i, "\n")));
  }
  // Still connected, and chatting works.
  EXPECT_EQ(alice.ReadUntil(Prompt("alice")), Event("bob has joined our chat...", "alice"));
  bob.Send("hi\n");
  EXPECT_EQ(alice.ReadUntil(Prompt("alice")), Event("[2026-01-02 03:04:05][bob]:hi", "alice"));
}

}  // namespace
}  // namespace chat
