// Chat commands over socketpair sessions: each command's happy path and error paths.

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "chat/command.h"
#include "chat/message.h"
#include "chat/motd.h"
#include "chat/remote_users.h"
#include "chat/testing/fake_remote_users.h"
#include "chat/testing/fake_shared_names.h"
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

class RemoteCommandsTest : public SessionCommandsTest {
 protected:
  // Before any session reads the context.
  void SetUp() override {
    SessionCommandsTest::SetUp();
    context_.remote = &remote;
  }
  void TearDown() override { AwaitSessionsFinished(); }

  testing::FakeRemoteUsers remote;
};

// A name nobody has here goes to the other instances; only if none has it either is the
// sender told there is no such user.
TEST_F(RemoteCommandsTest, PrivateMessageToAnotherInstance) {
  LineClient alice = LoggedIn("alice");
  ExpectReply(alice, "alice", "/msg zed hello there", "");
  EXPECT_THAT(remote.Sent(), ::testing::ElementsAre("alice->zed:hello there"));
  remote.set_result(RemoteUsers::Result::kNoSuchUser);
  ExpectReply(alice, "alice", "/msg nobody hello", "No such user: nobody\n");
  remote.set_result(RemoteUsers::Result::kUnavailable);
  ExpectReply(alice, "alice", "/msg zed again",
              absl::StrCat(kChatUnavailable, "\n"));
}

// What another instance's user sent arrives with no local origin (the inbox delivers it
// by name); it renders as any private message, and /reply answers it by name.
TEST_F(RemoteCommandsTest, ReplyToAnotherInstancesUser) {
  LineClient alice = LoggedIn("alice");
  ASSERT_TRUE(names_.DeliverTo(
      "ALICE", MakeEvent(Event::Kind::kPrivate, clock_.Now(), "zed", "from afar")));
  EXPECT_EQ(alice.ReadUntil(Prompt("alice")),
            Event("[2026-01-02 03:04:05][zed -> you]:from afar", "alice"));
  ExpectReply(alice, "alice", "/reply back to you", "");
  EXPECT_THAT(remote.Sent(), ::testing::ElementsAre("alice->zed:back to you"));
  // zed has meanwhile logged in here: the reply finds them here.
  LineClient zed = LoggedIn("zed");
  alice.ReadUntil(Prompt("alice"));
  ExpectReply(alice, "alice", "/reply local now", "");
  EXPECT_EQ(zed.ReadUntil(Prompt("zed")),
            Event("[2026-01-02 03:04:05][alice -> you]:local now", "zed"));
  EXPECT_EQ(remote.Sent().size(), 1u);
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

// ---------------------------------------------------------------------------------------
// The everyone-commands of issue #12: /whois, /ignore, /unignore, /away, /reply, the
// message of the day.

class SocialCommandsTest : public SessionCommandsTest {
 protected:
  // Logs in `name` and has every client in `others` read its join notice.
  LineClient JoinedBy(std::string_view name,
                      std::vector<std::pair<LineClient*, std::string>> others) {
    LineClient client = LoggedIn(name);
    for (auto& [other, other_name] : others) {
      EXPECT_EQ(other->ReadUntil(Prompt(other_name)),
                Event(absl::StrCat(name, " has joined our chat..."), other_name));
    }
    return client;
  }

  // What `/ignore NAME` answers when it works.
  static std::string Ignoring(std::string_view name) {
    return absl::StrCat("You are now ignoring ", name,
                        ": you will not see their lines, emotes or private messages, whatever "
                        "they are called (/unignore ", name, " to undo).\n");
  }

  // alice, bob and carol in general, each having read the others' joins; alice ignores bob.
  void ThreeWithBobIgnored(LineClient& alice, LineClient& bob, LineClient& carol) {
    TwoInGeneral(alice, bob);
    carol = JoinedBy("carol", {{&alice, "alice"}, {&bob, "bob"}});
    ExpectReply(alice, "alice", "/ignore BOB", Ignoring("bob"));  // the name as bob spells it
  }

  // `speaker` says `marker`; `reader` must see exactly that line next: nothing said
  // before it got through. (The speaker's own reply is left unread.)
  void ExpectOnlyMarker(LineClient& speaker, std::string_view speaker_name, LineClient& reader,
                        std::string_view reader_name) {
    speaker.Send("marker\n");
    EXPECT_EQ(reader.ReadUntil(Prompt(reader_name)),
              Event(absl::StrCat("[2026-01-02 03:04:05][", speaker_name, "]:marker"),
                    reader_name));
  }
};

TEST_F(SocialCommandsTest, WhoisShowsRoomIdleAndConnectedTimes) {
  LineClient alice, bob;
  TwoInGeneral(alice, bob);
  clock_.Advance(absl::Seconds(100));
  ExpectReply(bob, "bob", "hi", "");
  alice.ReadUntil(Prompt("alice"));
  clock_.Advance(absl::Seconds(192));
  ExpectReply(alice, "alice", "/whois BOB",
              "bob: in general, not registered, idle 3m12s, connected 4m52s\n");
  ExpectReply(bob, "bob", "/away lunch", "You are away: lunch\n");
  ExpectReply(alice, "alice", "/whois bob",
              "bob: in general, not registered, idle 0s, connected 4m52s\n"
              "bob is away: lunch\n");
  ExpectReply(bob, "bob", "/join dev", "You are now in dev.\n");
  alice.ReadUntil(Prompt("alice"));  // bob's leave notice
  ExpectReply(alice, "alice", "/whois alice",
              "alice: in general, not registered, idle 0s, connected 4m52s\n");
  ExpectReply(alice, "alice", "/whois bob",
              "bob: in dev, not registered, idle 0s, connected 4m52s\nbob is away: lunch\n");
  ExpectReply(alice, "alice", "/whois nobody", "No such user: nobody\n");
  ExpectReply(alice, "alice", "/whois", "Usage: /whois NAME\n");
}

TEST_F(SocialCommandsTest, IgnoreHidesLinesEmotesAndPrivateMessagesButNotNotices) {
  LineClient alice, bob, carol;
  ThreeWithBobIgnored(alice, bob, carol);  // by another spelling of bob's name
  ExpectReply(bob, "bob", "you there?", "");
  ExpectReply(bob, "bob", "/me pokes alice", "");
  ExpectReply(bob, "bob", "/msg alice answer me", "");  // bob is not told
  // Others still see bob.
  EXPECT_EQ(carol.ReadUntil(Prompt("carol")),
            Event("[2026-01-02 03:04:05][bob]:you there?", "carol"));
  EXPECT_EQ(carol.ReadUntil(Prompt("carol")),
            Event("[2026-01-02 03:04:05] * bob pokes alice", "carol"));
  ExpectOnlyMarker(carol, "carol", alice, "alice");
  // Notices still come through: alice knows who is in the room.
  bob.Send("/quit\n");
  EXPECT_EQ(alice.ReadUntil(Prompt("alice")), Event("bob has left our chat...", "alice"));
}

// From the victim's side: a harasser must not get out of an /ignore by /name.
TEST_F(SocialCommandsTest, IgnoreFollowsTheIgnoredPersonThroughARename) {
  LineClient alice, bob, carol;
  ThreeWithBobIgnored(alice, bob, carol);
  ExpectReply(bob, "robert", "/name robert", "You are now known as robert.\n");
  EXPECT_EQ(alice.ReadUntil(Prompt("alice")),
            Event("bob changed their name to robert", "alice"));
  ExpectReply(bob, "robert", "still here", "");
  ExpectReply(bob, "robert", "/msg alice hi from robert", "");
  ExpectOnlyMarker(carol, "carol", alice, "alice");
  EXPECT_EQ(bob.ReadUntil(Prompt("robert")),
            Event("[2026-01-02 03:04:05][carol]:marker", "robert"));
  ExpectReply(alice, "alice", "/ignore", "Ignoring (1): bob (now robert)\n");
  ExpectReply(alice, "alice", "/ignore robert", "You are already ignoring robert.\n");
  // Undone by either name.
  ExpectReply(alice, "alice", "/unignore robert", "You are no longer ignoring bob.\n");
  ExpectReply(bob, "robert", "back", "");
  EXPECT_EQ(alice.ReadUntil(Prompt("alice")),
            Event("[2026-01-02 03:04:05][robert]:back", "alice"));
  ExpectReply(alice, "alice", "/ignore", "You are not ignoring anyone.\n");
}

// Nor by reconnecting under the name or a look-alike, and then renaming.
TEST_F(SocialCommandsTest, IgnoreCatchesTheNameAgainAfterAReconnect) {
  LineClient alice, bob, carol;
  ThreeWithBobIgnored(alice, bob, carol);
  bob.Send("/quit\n");
  EXPECT_EQ(bob.ReadToEnd(), "Bye!\n");
  EXPECT_EQ(alice.ReadUntil(Prompt("alice")), Event("bob has left our chat...", "alice"));
  carol.ReadUntil(Prompt("carol"));
  finished(1).WaitForNotification();  // the name is free again
  LineClient again = JoinedBy("B0B", {{&alice, "alice"}, {&carol, "carol"}});
  ExpectReply(again, "B0B", "it is me again", "");
  ExpectReply(again, "B0B", "/msg alice psst", "");
  ExpectReply(again, "dave", "/name dave", "You are now known as dave.\n");
  EXPECT_EQ(alice.ReadUntil(Prompt("alice")), Event("B0B changed their name to dave", "alice"));
  ExpectReply(again, "dave", "/me is someone else now", "");
  carol.ReadUntil(Prompt("carol"));
  carol.ReadUntil(Prompt("carol"));
  carol.ReadUntil(Prompt("carol"));
  ExpectOnlyMarker(carol, "carol", alice, "alice");
}

TEST_F(SocialCommandsTest, IgnoreRefusals) {
  LineClient alice, bob;
  TwoInGeneral(alice, bob);
  ExpectReply(alice, "alice", "/ignore ALICE", "You cannot ignore yourself.\n");
  ExpectReply(alice, "alice", "/ignore nobody", "No such user: nobody\n");
  ExpectReply(alice, "alice", "/unignore bob", "You are not ignoring bob.\n");
  ExpectReply(alice, "alice", "/unignore", "Usage: /unignore NAME\n");
  ExpectReply(alice, "alice", "/ignore", "You are not ignoring anyone.\n");
  EXPECT_TRUE(bob.ReceivedNothingFor(absl::Milliseconds(50)));  // bob is never told
}

TEST_F(SocialCommandsTest, IgnoreListIsCapped) {
  options_.max_ignored = 2;
  context_.options = options_;
  LineClient alice, bob;
  TwoInGeneral(alice, bob);
  LineClient carol = JoinedBy("carol", {{&alice, "alice"}, {&bob, "bob"}});
  LineClient dave = JoinedBy("dave", {{&alice, "alice"}, {&bob, "bob"}, {&carol, "carol"}});
  alice.Send("/ignore bob\n/ignore carol\n");
  alice.ReadUntil(Prompt("alice"));
  alice.ReadUntil(Prompt("alice"));
  ExpectReply(alice, "alice", "/ignore dave",
              "You are already ignoring 2 people, the most; /unignore someone first.\n");
  ExpectReply(alice, "alice", "/ignore", "Ignoring (2): bob, carol\n");
  ExpectReply(alice, "alice", "/unignore carol", "You are no longer ignoring carol.\n");
  ExpectReply(alice, "alice", "/ignore dave", Ignoring("dave"));
}

TEST_F(SocialCommandsTest, AwayIsShownToSendersAndInUsers) {
  LineClient alice, bob;
  TwoInGeneral(alice, bob);
  ExpectReply(bob, "bob", "/away out to lunch", "You are away: out to lunch\n");
  ExpectReply(alice, "alice", "/msg bob are you there?", "bob is away: out to lunch\n");
  EXPECT_EQ(bob.ReadUntil(Prompt("bob")),
            Event("[2026-01-02 03:04:05][alice -> you]:are you there?", "bob"));
  ExpectReply(alice, "alice", "/users",
              "Users in general (2): alice, bob (away)\nConnected in total: 2\n");
  ExpectReply(bob, "bob", "/reply back in 5", "");
  EXPECT_EQ(alice.ReadUntil(Prompt("alice")),
            Event("[2026-01-02 03:04:05][bob -> you]:back in 5", "alice"));
  ExpectReply(bob, "bob", "/away", "You are no longer away.\n");
  ExpectReply(alice, "alice", "/msg bob ok", "");
  EXPECT_EQ(bob.ReadUntil(Prompt("bob")),
            Event("[2026-01-02 03:04:05][alice -> you]:ok", "bob"));
  ExpectReply(alice, "alice", "/users",
              "Users in general (2): alice, bob\nConnected in total: 2\n");
  ExpectReply(bob, "bob", absl::StrCat("/away ", std::string(201, 'x')),
              "Away message is too long (at most 200 bytes).\n");
  ExpectReply(bob, "bob", absl::StrCat("/away ", std::string(200, 'x')),
              absl::StrCat("You are away: ", std::string(200, 'x'), "\n"));
}

TEST_F(SocialCommandsTest, ReplyAnswersTheLastPrivateMessageWhateverItsSenderIsCalled) {
  LineClient alice, bob;
  TwoInGeneral(alice, bob);
  LineClient carol = JoinedBy("carol", {{&alice, "alice"}, {&bob, "bob"}});
  ExpectReply(alice, "alice", "/reply hello?", "Nobody has sent you a private message yet.\n");
  ExpectReply(bob, "bob", "/msg alice first", "");
  ExpectReply(carol, "carol", "/msg alice second", "");
  alice.ReadUntil(Prompt("alice"));
  alice.ReadUntil(Prompt("alice"));
  ExpectReply(alice, "alice", "/reply to carol", "");  // the last one wins
  EXPECT_EQ(carol.ReadUntil(Prompt("carol")),
            Event("[2026-01-02 03:04:05][alice -> you]:to carol", "carol"));
  ExpectReply(carol, "caroline", "/name caroline", "You are now known as caroline.\n");
  alice.ReadUntil(Prompt("alice"));
  bob.ReadUntil(Prompt("bob"));
  ExpectReply(alice, "alice", "/reply still you", "");
  EXPECT_EQ(carol.ReadUntil(Prompt("caroline")),
            Event("[2026-01-02 03:04:05][alice -> you]:still you", "caroline"));
  EXPECT_TRUE(bob.ReceivedNothingFor(absl::Milliseconds(50)));
}

TEST_F(SocialCommandsTest, ReplyAfterTheSenderLeft) {
  LineClient alice, bob;
  TwoInGeneral(alice, bob);
  ExpectReply(bob, "bob", "/msg alice bye now", "");
  alice.ReadUntil(Prompt("alice"));
  bob.Send("/quit\n");
  EXPECT_EQ(bob.ReadToEnd(), "Bye!\n");
  EXPECT_EQ(alice.ReadUntil(Prompt("alice")), Event("bob has left our chat...", "alice"));
  finished(1).WaitForNotification();
  ExpectReply(alice, "alice", "/reply wait", "No such user: bob\n");
  // Someone new under that name is someone else.
  LineClient other = JoinedBy("bob", {{&alice, "alice"}});
  ExpectReply(alice, "alice", "/reply wait", "No such user: bob\n");
  EXPECT_TRUE(other.ReceivedNothingFor(absl::Milliseconds(50)));
}

TEST_F(SocialCommandsTest, IgnoredPrivateMessagesAreNotRepliedTo) {
  LineClient alice, bob;
  TwoInGeneral(alice, bob);
  LineClient carol = JoinedBy("carol", {{&alice, "alice"}, {&bob, "bob"}});
  ExpectReply(carol, "carol", "/msg alice from carol", "");
  alice.ReadUntil(Prompt("alice"));
  ExpectReply(alice, "alice", "/ignore bob", Ignoring("bob"));
  ExpectReply(bob, "bob", "/msg alice from bob", "");
  ExpectOnlyMarker(carol, "carol", alice, "alice");
  EXPECT_EQ(carol.Read(Prompt("carol").size()), Prompt("carol"));  // after the marker
  ExpectReply(alice, "alice", "/reply hi carol", "");
  EXPECT_EQ(carol.ReadUntil(Prompt("carol")),
            Event("[2026-01-02 03:04:05][alice -> you]:hi carol", "carol"));
  EXPECT_EQ(bob.ReadUntil(Prompt("bob")),
            Event("[2026-01-02 03:04:05][carol]:marker", "bob"));
  EXPECT_TRUE(bob.ReceivedNothingFor(absl::Milliseconds(50)));
}

TEST_F(SocialCommandsTest, MessageOfTheDayFollowsTheLoginOnly) {
  motd_.Set("Be nice.\nNo spam.");
  context_.motd = &motd_;
  LineClient alice = Connect();
  alice.Read(testing::Welcome().size());
  alice.Send("alice\n");
  const std::string expected =
      absl::StrCat(Prompt("alice"), "\nBe nice.\nNo spam.\n", Prompt("alice"));
  EXPECT_EQ(alice.Read(expected.size()), expected);
  ExpectReply(alice, "alice", "said before bob came", "");
  // After the history, too; not after a /join.
  LineClient bob = Connect();
  bob.Read(testing::Welcome().size());
  bob.Send("bob\n");
  const std::string welcome =
      absl::StrCat("[2026-01-02 03:04:05][alice]:said before bob came\n", Prompt("bob"),
                   "\nBe nice.\nNo spam.\n", Prompt("bob"));
  EXPECT_EQ(bob.Read(welcome.size()), welcome);
  ExpectReply(bob, "bob", "/join dev", "You are now in dev.\n");
  EXPECT_TRUE(bob.ReceivedNothingFor(absl::Milliseconds(50)));
}

TEST_F(SocialCommandsTest, NoMessageOfTheDayMeansTheBaseProtocol) {
  context_.motd = &motd_;  // set up, but empty
  LineClient alice = LoggedIn("alice");
  EXPECT_TRUE(alice.ReceivedNothingFor(absl::Milliseconds(50)));
}

// Social commands with other instances (--redis): their users are found through the
// shared names and reached through RemoteUsers.
class ClusterSocialTest : public SocialCommandsTest {
 protected:
  // Before any session reads the context or claims a name.
  void SetUp() override {
    SocialCommandsTest::SetUp();
    context_.remote = &remote;
    names_.Share(&shared);
  }
  void TearDown() override { AwaitSessionsFinished(); }

  // A private message from `name`, session `session` of instance `instance`, as the
  // inbox delivers it to `to` here.
  bool PrivateFromElsewhere(std::string_view to, std::string name, std::string text,
                            std::string instance, uint64_t session) {
    std::shared_ptr<chat::Event> event =
        MakeEvent(Event::Kind::kPrivate, clock_.Now(), std::move(name), std::move(text));
    event->origin_instance = std::move(instance);
    event->origin_session = session;
    return names_.DeliverTo(to, std::move(event));
  }

  testing::FakeRemoteUsers remote;
  testing::FakeSharedNames shared;
};

// A troll on another instance can be ignored: what they send arrives with no session
// here, and the list matches it by name.
TEST_F(ClusterSocialTest, IgnoreAnotherInstancesUser) {
  shared.AddElsewhere("Zed");
  LineClient alice = LoggedIn("alice");
  ExpectReply(alice, "alice", "/ignore ZED", Ignoring("Zed"));
  ExpectReply(alice, "alice", "/ignore zed", "You are already ignoring Zed.\n");
  ExpectReply(alice, "alice", "/ignore nobody", "No such user: nobody\n");
  ASSERT_TRUE(PrivateFromElsewhere("alice", "zed", "troll", "b", 7));
  ASSERT_TRUE(PrivateFromElsewhere("alice", "yan", "hello", "b", 8));
  EXPECT_EQ(alice.ReadUntil(Prompt("alice")),
            Event("[2026-01-02 03:04:05][yan -> you]:hello", "alice"));
}

// /reply to another instance's user goes to the session that wrote, on its instance, as
// a local /reply goes by session: not to whoever has the name by then, here or there.
TEST_F(ClusterSocialTest, ReplyToAnotherInstancesSession) {
  LineClient alice = LoggedIn("alice");
  ASSERT_TRUE(PrivateFromElsewhere("ALICE", "zed", "from afar", "b", 7));
  EXPECT_EQ(alice.ReadUntil(Prompt("alice")),
            Event("[2026-01-02 03:04:05][zed -> you]:from afar", "alice"));
  ExpectReply(alice, "alice", "/reply back to you", "");
  EXPECT_THAT(remote.Sent(), ::testing::ElementsAre("alice->zed@b#7:back to you"));
  // Someone called zed here is not the session that wrote.
  LineClient zed = LoggedIn("zed");
  alice.ReadUntil(Prompt("alice"));
  ExpectReply(alice, "alice", "/reply again", "");
  EXPECT_THAT(remote.Sent(), ::testing::ElementsAre("alice->zed@b#7:back to you",
                                                    "alice->zed@b#7:again"));
  // The name is no longer that instance's: as a local /reply after the sender left.
  remote.set_result(RemoteUsers::Result::kNoSuchUser);
  ExpectReply(alice, "alice", "/reply gone?", "No such user: zed\n");
  remote.set_result(RemoteUsers::Result::kUnavailable);
  ExpectReply(alice, "alice", "/reply down?", absl::StrCat(kChatUnavailable, "\n"));
  EXPECT_TRUE(zed.ReceivedNothingFor(absl::Milliseconds(50)));
}

}  // namespace
}  // namespace chat
