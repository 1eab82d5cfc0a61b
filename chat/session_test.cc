// Session over socketpair(2): the test holds the client end and sees exact bytes.

#include "chat/session.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "chat/message.h"
#include "chat/testing/fake_clock.h"
#include "chat/testing/line_client.h"
#include "chat/testing/session_fixture.h"
#include "chat/testing/socket_pair.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace chat {
namespace {

using testing::LineClient;

using testing::Welcome;

class SessionTest : public testing::SessionFixture {};

TEST_F(SessionTest, SendsBannerAndNamePromptExactly) {
  LineClient client = Connect();
  EXPECT_EQ(client.Read(Welcome().size()), Welcome());
  EXPECT_TRUE(client.ReceivedNothingFor(absl::Milliseconds(50)));
}

TEST_F(SessionTest, LoginWithEmptyHistoryGivesJustThePrompt) {
  LineClient alice = Connect();
  alice.Read(Welcome().size());
  alice.Send("alice\n");
  EXPECT_EQ(alice.Read(Prompt("alice").size()), Prompt("alice"));
  EXPECT_EQ(room_.member_count(), 1u);
  EXPECT_EQ(session(0).name(), "alice");
}

TEST_F(SessionTest, NameIsTrimmed) {
  LineClient client = Connect();
  client.Read(Welcome().size());
  client.Send("  alice \t\r\n");
  EXPECT_EQ(client.Read(Prompt("alice").size()), Prompt("alice"));
}

TEST_F(SessionTest, BadNamesAreExplainedAndPromptedAgain) {
  LineClient client = Connect();
  client.Read(Welcome().size());
  const std::string again = std::string(kNamePrompt);
  client.Send("\n");
  EXPECT_EQ(client.Read(22 + again.size()), "Name cannot be empty.\n" + again);
  client.Send("   \n");
  EXPECT_EQ(client.Read(22 + again.size()), "Name cannot be empty.\n" + again);
  client.Send("[root]\n");
  const std::string brackets = "Name cannot contain '[' or ']'.\n";
  EXPECT_EQ(client.Read(brackets.size() + again.size()), brackets + again);
  client.Send("a\x1b" "b\n");
  const std::string control = "Name cannot contain control characters.\n";
  EXPECT_EQ(client.Read(control.size() + again.size()), control + again);
  client.Send(std::string(40, 'n') + "\n");
  const std::string too_long = "Name is too long (40 bytes; at most 32).\n";
  EXPECT_EQ(client.Read(too_long.size() + again.size()), too_long + again);
  // Still connected and able to log in.
  client.Send("carol\n");
  EXPECT_EQ(client.Read(Prompt("carol").size()), Prompt("carol"));
}

TEST_F(SessionTest, TakenNameIsRefused) {
  LineClient alice = LoggedIn("alice");
  LineClient other = Connect();
  other.Read(Welcome().size());
  other.Send("alice\n");
  const std::string taken = "Name 'alice' is already taken.\n" + std::string(kNamePrompt);
  EXPECT_EQ(other.Read(taken.size()), taken);
  EXPECT_EQ(room_.member_count(), 1u);
}

TEST_F(SessionTest, JoinNoticeGoesToOthers) {
  LineClient alice = LoggedIn("alice");
  LineClient bob = LoggedIn("bob");
  const std::string expected = Event("bob has joined our chat...", "alice");
  EXPECT_EQ(alice.Read(expected.size()), expected);
}

TEST_F(SessionTest, MessageGoesToOthersAndSenderGetsOnlyAPrompt) {
  LineClient alice = LoggedIn("alice");
  LineClient bob = LoggedIn("bob");
  LineClient carol = LoggedIn("carol");
  alice.Read(Event("bob has joined our chat...", "alice").size());
  alice.Read(Event("carol has joined our chat...", "alice").size());
  bob.Read(Event("carol has joined our chat...", "bob").size());

  bob.Send("Hello, everyone!\n");
  EXPECT_EQ(bob.Read(Prompt("bob").size()), Prompt("bob"));
  const std::string line = "[2026-01-02 03:04:05][bob]:Hello, everyone!";
  EXPECT_EQ(alice.Read(Event(line, "alice").size()), Event(line, "alice"));
  EXPECT_EQ(carol.Read(Event(line, "carol").size()), Event(line, "carol"));
  EXPECT_TRUE(bob.ReceivedNothingFor(absl::Milliseconds(50)));
}

TEST_F(SessionTest, TimestampIsWhenTheServerReceivedTheLine) {
  LineClient alice = LoggedIn("alice");
  LineClient bob = LoggedIn("bob");
  alice.Read(Event("bob has joined our chat...", "alice").size());
  clock_.Advance(absl::Hours(25) + absl::Seconds(1));
  bob.Send("later\n");
  const std::string expected =
      "\n[2026-01-03 04:04:06][bob]:later\n[2026-01-03 04:04:06][alice]:";
  EXPECT_EQ(alice.Read(expected.size()), expected);
}

TEST_F(SessionTest, LateJoinerGetsHistoryButNotNotices) {
  LineClient alice = LoggedIn("alice");
  LineClient bob = LoggedIn("bob");
  alice.Send("first\n");
  alice.Send("second\n");
  bob.ReadUntil(Event("[2026-01-02 03:04:05][alice]:second", "bob"));
  bob.Close();  // a leave notice; must not be replayed

  LineClient carol = Connect();
  carol.Read(Welcome().size());
  carol.Send("carol\n");
  const std::string expected =
      "[2026-01-02 03:04:05][alice]:first\n"
      "[2026-01-02 03:04:05][alice]:second\n" +
      Prompt("carol");
  EXPECT_EQ(carol.Read(expected.size()), expected);
}

TEST_F(SessionTest, EmptyAndBlankLinesAreNotBroadcast) {
  LineClient alice = LoggedIn("alice");
  LineClient bob = LoggedIn("bob");
  alice.Read(Event("bob has joined our chat...", "alice").size());
  bob.Send("\n");
  bob.Send(" \t \r\n");
  bob.Send("\x07\x1b\n");  // nothing left after sanitising
  bob.Send("real\n");
  EXPECT_EQ(bob.Read(4 * Prompt("bob").size()),
            Prompt("bob") + Prompt("bob") + Prompt("bob") + Prompt("bob"));
  const std::string line = "[2026-01-02 03:04:05][bob]:real";
  EXPECT_EQ(alice.Read(Event(line, "alice").size()), Event(line, "alice"));
  EXPECT_EQ(room_.History().size(), 1u);
}

TEST_F(SessionTest, CrLfSeveralLinesPerSegmentAndSplitLines) {
  LineClient alice = LoggedIn("alice");
  LineClient bob = LoggedIn("bob");
  alice.Read(Event("bob has joined our chat...", "alice").size());
  bob.Send("one\r\ntwo\nthr");
  bob.Send("ee\r");
  bob.Send("\n");
  std::string expected;
  for (const char* text : {"one", "two", "three"}) {
    expected += Event(absl::StrCat("[2026-01-02 03:04:05][bob]:", text), "alice");
  }
  EXPECT_EQ(alice.Read(expected.size()), expected);
}

TEST_F(SessionTest, ControlBytesAreStrippedFromMessages) {
  LineClient alice = LoggedIn("alice");
  LineClient bob = LoggedIn("bob");
  alice.Read(Event("bob has joined our chat...", "alice").size());
  bob.Send("clear\x1b[2J me\rX\x7f\n");
  const std::string expected = Event("[2026-01-02 03:04:05][bob]:clear[2J meX", "alice");
  EXPECT_EQ(alice.Read(expected.size()), expected);
}

TEST_F(SessionTest, TooLongLineIsRefusedAndConnectionStaysUsable) {
  options_.max_line_bytes = 16;
  context_.options = options_;
  LineClient alice = LoggedIn("alice");
  LineClient bob = LoggedIn("bob");
  alice.Read(Event("bob has joined our chat...", "alice").size());
  bob.Send(std::string(100, 'x') + "\nshort\n");
  const std::string refusal = "Your message was longer than 16 bytes and was not sent.\n";
  EXPECT_EQ(bob.Read(refusal.size() + 2 * Prompt("bob").size()),
            refusal + Prompt("bob") + Prompt("bob"));
  const std::string line = Event("[2026-01-02 03:04:05][bob]:short", "alice");
  EXPECT_EQ(alice.Read(line.size()), line);
}

TEST_F(SessionTest, AbruptDisconnectIsANormalLeave) {
  LineClient alice = LoggedIn("alice");
  LineClient bob = LoggedIn("bob");
  alice.Read(Event("bob has joined our chat...", "alice").size());
  bob.Close();
  const std::string expected = Event("bob has left our chat...", "alice");
  EXPECT_EQ(alice.Read(expected.size()), expected);
  finished(1).WaitForNotification();
  EXPECT_EQ(room_.member_count(), 1u);
  EXPECT_EQ(names_.size(), 1u);  // "bob" is free again
}

TEST_F(SessionTest, DisconnectAtNamePromptFinishesQuietly) {
  LineClient alice = LoggedIn("alice");
  LineClient lurker = Connect();
  lurker.Read(Welcome().size());
  lurker.Close();
  finished(1).WaitForNotification();
  EXPECT_TRUE(alice.ReceivedNothingFor(absl::Milliseconds(50)));
}

TEST_F(SessionTest, HalfCloseStillGetsRepliesBeforeTheConnectionEnds) {
  // `printf 'dave\nhi\n' | nc -N host port`: input ends, output is still read.
  LineClient alice = LoggedIn("alice");
  LineClient dave = Connect();
  dave.Send("dave\nhi\n");
  dave.ShutdownWrite();
  EXPECT_EQ(dave.ReadToEnd(), Welcome() + Prompt("dave") + Prompt("dave"));
  const std::string expected = Event("dave has joined our chat...", "alice") +
                               Event("[2026-01-02 03:04:05][dave]:hi", "alice") +
                               Event("dave has left our chat...", "alice");
  EXPECT_EQ(alice.Read(expected.size()), expected);
}

TEST_F(SessionTest, StopSendsFarewellThenCloses) {
  LineClient alice = LoggedIn("alice");
  session(0).SayGoodbye("\nbye now\n");
  session(0).Stop();
  EXPECT_EQ(alice.ReadToEnd(), "\nbye now\n");
  // The server keeps its end open until the client closes (or Abort() after the grace
  // period), so the client's unread input cannot turn the close into a reset.
  EXPECT_FALSE(finished(0).HasBeenNotified());
  alice.Close();
  finished(0).WaitForNotification();
  EXPECT_EQ(room_.member_count(), 0u);
}

// The fault this pins: a client still sending when the server stopped never got the
// goodbye, because closing with its input unread made the kernel send a reset, which
// discards what was waiting in the client's receive buffer.
TEST_F(SessionTest, ClientStillSendingGetsTheGoodbye) {
  LineClient alice = LoggedIn("alice");
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(alice.Send("still talking\n"));
  session(0).SayGoodbye("\nbye now\n");
  session(0).Stop();
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(alice.Send("and talking\n"));
  EXPECT_THAT(alice.ReadToEnd(), ::testing::EndsWith("\nbye now\n"));
  alice.Close();
  finished(0).WaitForNotification();
}

TEST_F(SessionTest, AbortEndsASessionWhoseClientNeverCloses) {
  LineClient alice = LoggedIn("alice");
  session(0).SayGoodbye("\nbye now\n");
  session(0).Stop();
  EXPECT_EQ(alice.ReadToEnd(), "\nbye now\n");
  session(0).Abort();
  finished(0).WaitForNotification();
  EXPECT_EQ(room_.member_count(), 0u);
}

TEST_F(SessionTest, TelnetNegotiationNeverReachesNamesOrMessages) {
  LineClient alice = LoggedIn("alice");
  LineClient telnet = Connect();
  telnet.Read(Welcome().size());
  // IAC DO ECHO and IAC WILL SUPPRESS-GO-AHEAD around the name, IAC IP (Ctrl+C) inside.
  telnet.Send("\xFF\xFD\x01tel\xFF\xFB\x03net\r\n");
  // Both offers are refused (WONT ECHO, DONT SUPPRESS-GO-AHEAD), after the login.
  EXPECT_EQ(telnet.ReadUntil(Prompt("telnet")), Prompt("telnet"));
  EXPECT_EQ(telnet.Read(6), "\xFF\xFC\x01\xFF\xFE\x03");
  EXPECT_EQ(alice.ReadUntil(Prompt("alice")), Event("telnet has joined our chat...", "alice"));
  telnet.Send("hi\xFF\xF4 there\r\n");
  EXPECT_EQ(alice.ReadUntil(Prompt("alice")),
            Event("[2026-01-02 03:04:05][telnet]:hi there", "alice"));
}

// The fault this pins: Ctrl+C in telnet sends IAC IP IAC DO TIMING-MARK, and telnet
// then discards all output until WILL or WONT TIMING-MARK arrives; unanswered, the user
// saw nothing for the rest of the session.
TEST_F(SessionTest, CtrlCInTelnetIsAnsweredAndTheSessionGoesOn) {
  LineClient alice = LoggedIn("alice");
  LineClient bob = LoggedIn("bob");
  alice.ReadUntil(Prompt("alice"));
  bob.Send("\xFF\xF4\xFF\xFD\x06");
  EXPECT_EQ(bob.Read(3), "\xFF\xFB\x06");
  bob.Send("still here\r\n");
  EXPECT_EQ(alice.ReadUntil(Prompt("alice")),
            Event("[2026-01-02 03:04:05][bob]:still here", "alice"));
}

// A lone 0xFF before a byte that is no telnet command must not swallow that byte (here
// the newline): the line still ends, with U+FFFD where the 0xFF was.
TEST_F(SessionTest, LoneIacDoesNotSwallowTheNewline) {
  LineClient alice = LoggedIn("alice");
  LineClient bob = LoggedIn("bob");
  alice.ReadUntil(Prompt("alice"));
  bob.Send("x\xFF\n");
  EXPECT_EQ(alice.ReadUntil(Prompt("alice")),
            Event("[2026-01-02 03:04:05][bob]:x\xEF\xBF\xBD", "alice"));
}

// An IAC SB that is never closed is dropped after 64 bytes; what follows is input.
TEST_F(SessionTest, UnclosedSubnegotiationDoesNotEatInputForever) {
  LineClient alice = LoggedIn("alice");
  LineClient bob = LoggedIn("bob");
  alice.ReadUntil(Prompt("alice"));
  bob.Send(std::string("\xFF\xFA\x18") + std::string(100, 'z') + "\nhello\n");
  EXPECT_THAT(alice.ReadUntil(Event("[2026-01-02 03:04:05][bob]:hello", "alice")),
              ::testing::EndsWith(Event("[2026-01-02 03:04:05][bob]:hello", "alice")));
}

TEST_F(SessionTest, FloodIsDroppedWithOneNoticePerFlood) {
  options_.max_msgs_per_sec = 1;
  options_.burst = 3;
  context_.options = options_;
  LineClient alice = LoggedIn("alice");  // alice's login line took one token of hers
  LineClient bob = LoggedIn("bob");
  alice.Read(Event("bob has joined our chat...", "alice").size());
  // Bob's login used one token; two remain. The clock does not move.
  bob.Send("m1\nm2\nm3\nm4\nm5\n");
  const std::string notice =
      "You are sending too fast (over 1 lines a second); lines are dropped until you slow "
      "down.\n";
  EXPECT_EQ(bob.Read(2 * Prompt("bob").size() + notice.size() + Prompt("bob").size()),
            Prompt("bob") + Prompt("bob") + notice + Prompt("bob"));
  const std::string delivered = Event("[2026-01-02 03:04:05][bob]:m1", "alice") +
                                Event("[2026-01-02 03:04:05][bob]:m2", "alice");
  EXPECT_EQ(alice.Read(delivered.size()), delivered);

  // Let bob's session act on all five lines before time moves, or m4 could find the
  // token that the advance refills.
  ASSERT_TRUE(AwaitLinesReceived(1, 1 + 5));
  clock_.Advance(absl::Seconds(1));  // one token back: the flood is over
  bob.Send("m6\n");
  EXPECT_EQ(bob.Read(Prompt("bob").size()), Prompt("bob"));
  EXPECT_EQ(alice.Read(Event("[2026-01-02 03:04:06][bob]:m6", "alice").size()),
            Event("[2026-01-02 03:04:06][bob]:m6", "alice"));
  bob.Send("m7\n");  // a new flood gets a new notice
  EXPECT_EQ(bob.Read(notice.size() + Prompt("bob").size()), notice + Prompt("bob"));
  EXPECT_EQ(room_.History().size(), 3u);
}

TEST_F(SessionTest, SustainedFloodDisconnects) {
  options_.max_msgs_per_sec = 1;
  options_.burst = 1;
  options_.flood_disconnect_after = 5;
  context_.options = options_;
  LineClient alice = LoggedIn("alice");
  clock_.Advance(absl::Seconds(1));
  LineClient bob = LoggedIn("bob");
  alice.Read(Event("bob has joined our chat...", "alice").size());
  std::string flood;
  for (int i = 0; i < 20; ++i) flood += "spam\n";
  bob.Send(flood);
  const std::string bye = "\nYou kept sending too fast; disconnecting.\n";
  EXPECT_TRUE(absl::EndsWith(bob.ReadToEnd(), bye));
  EXPECT_EQ(alice.ReadUntil(Prompt("alice")), Event("bob has left our chat...", "alice"));
  EXPECT_TRUE(room_.History().empty());
}

TEST_F(SessionTest, FloodControlOffWithZeroRate) {
  options_.max_msgs_per_sec = 0;
  context_.options = options_;
  LineClient alice = LoggedIn("alice");
  LineClient bob = LoggedIn("bob");
  alice.Read(Event("bob has joined our chat...", "alice").size());
  std::string lines;
  for (int i = 0; i < 500; ++i) absl::StrAppend(&lines, "line ", i, "\n");
  bob.Send(lines);
  for (int i = 0; i < 500; ++i) {
    ASSERT_EQ(alice.ReadUntil(Prompt("alice")),
              Event(absl::StrCat("[2026-01-02 03:04:05][bob]:line ", i), "alice"));
  }
}

TEST_F(SessionTest, LoginTimeoutClosesASilentConnection) {
  options_.login_timeout = absl::Milliseconds(100);
  context_.options = options_;
  LineClient silent = Connect();
  EXPECT_EQ(silent.ReadToEnd(),
            Welcome() + "\nNo name given within 100ms; closing the connection.\n");
  finished(0).WaitForNotification();
}

TEST_F(SessionTest, LoginTimeoutCountsFromConnectNotFromLastByte) {
  options_.login_timeout = absl::Milliseconds(300);
  context_.options = options_;
  LineClient dribbler = Connect();
  dribbler.Read(Welcome().size());
  // Bad names keep arriving, but no valid name: the deadline still ends it.
  std::string got;
  for (int i = 0; i < 1000 && dribbler.Send("[x]\n"); ++i) {
    got = dribbler.ReadUntil(kNamePrompt);
    if (!absl::StrContains(got, "'[' or ']'")) break;
  }
  EXPECT_TRUE(absl::StrContains(got + dribbler.ReadToEnd(), "No name given within 300ms"));
}

TEST_F(SessionTest, IdleTimeoutDisconnectsWithANotice) {
  options_.idle_timeout = absl::Milliseconds(100);
  context_.options = options_;
  LineClient alice = LoggedIn("alice");
  EXPECT_EQ(alice.ReadToEnd(), "\nYou were idle for 100ms; disconnecting. Bye!\n");
  finished(0).WaitForNotification();
  EXPECT_EQ(room_.member_count(), 0u);
}

TEST_F(SessionTest, SocketThatAcceptsNothingIsDroppedAfterSendTimeout) {
  options_.max_outbox_bytes = 64 << 20;  // only the send timeout acts here
  options_.send_timeout = absl::Milliseconds(100);
  options_.max_msgs_per_sec = 0;
  context_.options = options_;
  LineClient alice = LoggedIn("alice");
  LineClient stalled = LoggedIn("stalled");
  alice.Read(Event("stalled has joined our chat...", "alice").size());
  const std::string payload(1000, 'p');
  // ~4 MB: more than a socketpair buffers, so the writer to `stalled` blocks.
  int sent = 0;
  while (!finished(1).HasBeenNotified() && sent < 4000) {
    alice.Send(absl::StrCat(payload, "\n"));
    alice.ReadUntil(Prompt("alice"));
    ++sent;
  }
  finished(1).WaitForNotification();
  EXPECT_EQ(room_.member_count(), 1u);
}

// A client that never reads is disconnected once its outbox is over the limit; the
// others keep receiving every line, in order.
TEST_F(SessionTest, StalledReaderIsDroppedWithoutStallingOthers) {
  options_.max_outbox_bytes = 64 * 1024;
  options_.send_timeout = absl::ZeroDuration();  // only the outbox limit acts here
  options_.max_msgs_per_sec = 0;                 // bob's 3000 lines are not a flood here
  context_.options = options_;
  LineClient alice = LoggedIn("alice");
  LineClient stalled = LoggedIn("stalled");
  alice.Read(Event("stalled has joined our chat...", "alice").size());
  LineClient bob = LoggedIn("bob");
  alice.Read(Event("bob has joined our chat...", "alice").size());
  // `stalled` never reads again. Its socket buffers fill, then its outbox.
  const std::string payload(200, 'p');
  constexpr int kLines = 3000;  // ~700 KB of output per recipient
  // Bob types like a person: one line, then waits for his prompt; and he never gets more
  // than a few lines ahead of what alice has read, so only `stalled` can fall behind.
  std::atomic<int> alice_read = 0;
  std::jthread sender([&](std::stop_token stop) {  // stopped if an assertion ends the test
    for (int i = 0; i < kLines && !stop.stop_requested(); ++i) {
      while (alice_read.load() < i - 8 && !stop.stop_requested()) {
        absl::SleepFor(absl::Microseconds(100));
      }
      bob.Send(absl::StrCat(i, payload, "\n"));
      bob.ReadUntil(Prompt("bob"));
    }
  });
  bool stalled_left = false;
  for (int i = 0; i < kLines; ++i) {
    std::string got = alice.ReadUntil(Prompt("alice"));
    if (got == Event("stalled has left our chat...", "alice")) {
      stalled_left = true;
      got = alice.ReadUntil(Prompt("alice"));
    }
    ASSERT_EQ(got, Event(absl::StrCat("[2026-01-02 03:04:05][bob]:", i, payload), "alice"));
    alice_read.store(i + 1);
  }
  sender.join();
  finished(1).WaitForNotification();
  if (!stalled_left) {
    EXPECT_EQ(alice.ReadUntil(Prompt("alice")), Event("stalled has left our chat...", "alice"));
  }
  EXPECT_EQ(room_.member_count(), 2u);
}

}  // namespace
}  // namespace chat
