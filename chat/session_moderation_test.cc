// Moderation over socketpair sessions (issue #12): operators by flag and by /op, /kick,
// /ban (and its expiry), /unban, /bans, /mute (and its expiry, across a reconnect),
// /unmute, /deop taking effect at once, /topic, and what /whois shows an operator.

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/synchronization/notification.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "chat/identity/duration.h"
#include "chat/identity/login_throttle.h"
#include "chat/identity/password.h"
#include "chat/identity/sqlite_store.h"
#include "chat/message.h"
#include "chat/moderation.h"
#include "chat/name.h"
#include "chat/remote_users.h"
#include "chat/testing/fake_remote_users.h"
#include "chat/testing/fake_shared_names.h"
#include "chat/testing/identity_fixture.h"
#include "chat/testing/line_client.h"
#include "chat/testing/session_fixture.h"
#include "chat/testing/socket_pair.h"
#include "chat/testing/test_files.h"
#include "chat/transport/tcp_transport.h"
#include "chat/web/json_protocol.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace chat {
namespace {

using ::testing::HasSubstr;
using testing::LineClient;
using testing::Welcome;

constexpr char kPasswordPrompt[] = "\xff\xfb\x01[ENTER PASSWORD]: ";
constexpr char kPassword[] = "Zebra-plaintext-4417";

class SessionModerationTest : public testing::IdentitySessionFixture {
 protected:
  void SetUp() override {
    IdentitySessionFixture::SetUp();
    moderation_ = std::make_unique<Moderation>(std::vector<std::string>{"alice"}, 2);
    context_.moderation = moderation_.get();
  }
  // The sessions use the mute list too: the base waits for them.

  void CreateAccount(std::string_view name, bool is_operator = false) {
    absl::StatusOr<std::string> hash =
        identity::HashPassword(kPassword, identity::PasswordOptions::FastForTests());
    ASSERT_TRUE(hash.ok());
    ASSERT_TRUE(store_
                    ->CreateAccount(identity::Account{std::string(name), std::string(name),
                                                      *hash, is_operator, clock_.Now()})
                    .ok());
  }

  // Logs in as the registered `name` with its password.
  LineClient WithPassword(std::string_view name) {
    LineClient client = Connect();
    EXPECT_EQ(client.Read(Welcome().size()), Welcome());
    client.Send(absl::StrCat(name, "\n"));
    EXPECT_EQ(client.Read(strlen(kPasswordPrompt)), kPasswordPrompt);
    client.Send(absl::StrCat(kPassword, "\n"));
    EXPECT_EQ(client.ReadUntil(Prompt(name)), Prompt(name));
    return client;
  }
  // alice, operator by the flag, logged in.
  LineClient Alice() {
    CreateAccount("alice");
    return WithPassword("alice");
  }

  // Sends `line` and expects exactly `reply` followed by a fresh chat prompt.
  void ExpectReply(LineClient& client, std::string_view name, std::string_view line,
                   std::string_view reply) {
    client.Send(absl::StrCat(line, "\n"));
    const std::string expected = absl::StrCat(reply, "\n", Prompt(name));
    EXPECT_EQ(client.Read(expected.size()), expected) << line;
  }

  // ExpectReply() where room events (a kicked client's leave) may come first.
  void ExpectReplyAfterEvents(LineClient& client, std::string_view name, std::string_view line,
                              std::string_view reply) {
    client.Send(absl::StrCat(line, "\n"));
    const std::string expected = absl::StrCat(reply, "\n", Prompt(name));
    EXPECT_TRUE(absl::EndsWith(client.ReadUntil(expected), expected)) << line;
  }

  uint64_t Actions(metrics::ModerationAction action) {
    return metrics_.moderation_actions(action).value();
  }

  std::unique_ptr<Moderation> moderation_;
};

TEST_F(SessionModerationTest, OnlyOperatorsModerate) {
  LineClient bob = LoggedIn("bob");
  LineClient carol = LoggedIn("carol");
  bob.ReadUntil(Event("carol has joined our chat...", "bob"));
  for (const auto& [line, verb] : std::vector<std::pair<std::string, std::string>>{
           {"/kick carol", "kick"}, {"/ban carol", "ban"}, {"/unban carol", "unban"},
           {"/bans", "list bans"}, {"/mute carol", "mute"}, {"/unmute carol", "unmute"},
           {"/op carol", "op"}, {"/deop carol", "deop"}, {"/topic hi", "set the topic"}}) {
    ExpectReply(bob, "bob", line, absl::StrCat("Only operators can ", verb, "."));
  }
}

TEST_F(SessionModerationTest, AFlagNameIsNoOperatorWithoutItsPassword) {
  // alice is in --operators but not registered: anyone may call themselves alice.
  LineClient fake = LoggedIn("alice");
  LineClient bob = LoggedIn("bob");
  fake.ReadUntil(Event("bob has joined our chat...", "alice"));
  ExpectReply(fake, "alice", "/kick bob", "Only operators can kick.");
}

TEST_F(SessionModerationTest, KickTellsTheTargetAndTheRoom) {
  LineClient alice = Alice();
  LineClient carol = LoggedIn("carol");
  EXPECT_EQ(alice.ReadUntil(Prompt("alice")), Event("carol has joined our chat...", "alice"));
  LineClient bob = LoggedIn("bob");
  EXPECT_EQ(alice.ReadUntil(Prompt("alice")), Event("bob has joined our chat...", "alice"));
  carol.ReadUntil("bob has joined our chat...");
  carol.ReadUntil(Prompt("carol"));
  ExpectReplyAfterEvents(alice, "alice", "/kick BOB spamming links",
                         "You kicked bob: spamming links");
  EXPECT_THAT(bob.ReadToEnd(), HasSubstr("You were kicked by alice: spamming links\n"));
  EXPECT_THAT(carol.ReadUntil("bob has left our chat..."),
              HasSubstr("\nalice kicked bob (spamming links)\n"));
  EXPECT_EQ(Actions(metrics::ModerationAction::kKick), 1);
  EXPECT_EQ(metrics_.disconnects(metrics::DisconnectReason::kKicked).value(), 1);
}

TEST_F(SessionModerationTest, KickRefusals) {
  CreateAccount("dave", /*is_operator=*/true);
  LineClient alice = Alice();
  LineClient dave = WithPassword("dave");
  alice.ReadUntil(Prompt("alice"));
  ExpectReply(alice, "alice", "/kick zed", "No such user: zed");
  ExpectReply(alice, "alice", "/kick alice", "You cannot kick yourself.");
  ExpectReply(alice, "alice", "/kick dave",
              "dave is an operator; operators cannot kick each other.");
  ExpectReply(dave, "dave", "/ban alice", "alice is an operator; operators cannot ban each other.");
  ExpectReply(alice, "alice", "/kick", "Usage: /kick NAME [reason]");
}

class RemoteModerationTest : public SessionModerationTest {
 protected:
  void SetUp() override {
    SessionModerationTest::SetUp();
    context_.remote = &remote_;
  }
  void TearDown() override {
    AwaitSessionsFinished();
    SessionModerationTest::TearDown();
  }
  testing::FakeRemoteUsers remote_;
  testing::FakeSharedNames cluster_;  // outlives the sessions (ended in TearDown)
};

// A name nobody has here may be on another instance: the kick goes there.
TEST_F(RemoteModerationTest, KickReachesAnotherInstance) {
  CreateAccount("dave", /*is_operator=*/true);
  LineClient alice = Alice();
  ExpectReply(alice, "alice", "/kick zed flooding", "You kicked zed: flooding");
  EXPECT_THAT(remote_.Sent(), ::testing::ElementsAre("kick zed:You were kicked by alice: flooding"));
  EXPECT_EQ(Actions(metrics::ModerationAction::kKick), 1);
  // An operator elsewhere is still an operator.
  ExpectReply(alice, "alice", "/kick dave", "dave is an operator; operators cannot kick each other.");
  remote_.set_result(RemoteUsers::Result::kNoSuchUser);
  ExpectReply(alice, "alice", "/kick nobody", "No such user: nobody");
  EXPECT_EQ(remote_.Sent().size(), 2u);
}

// The ban is in the (shared) store; whoever has the name elsewhere is disconnected.
TEST_F(RemoteModerationTest, BanDisconnectsOnAnotherInstance) {
  LineClient alice = Alice();
  const std::string until = identity::FormatUntil(clock_.Now() + absl::Hours(2));
  ExpectReply(alice, "alice", "/ban zed 2h spam", absl::StrCat("Ban #1: zed banned ", until, ": spam"));
  EXPECT_THAT(remote_.Sent(), ::testing::ElementsAre(absl::StrCat(
                                   "kick zed:You were banned by alice ", until, ": spam")));
  EXPECT_TRUE(store_->FindActiveBan("zed", "", clock_.Now())->has_value());
}

// A user on another server is banned by address too (the one that server saw), so a new
// name does not get it back in at once.
TEST_F(RemoteModerationTest, BanOfAUserElsewhereBansItsAddressToo) {
  UserInfo zed;
  zed.name = "Zed";
  zed.address = "192.0.2.9:4000 via 127.0.0.1:5000";
  zed.address_key = "192.0.2.9";
  cluster_.users[NameKey("zed")] = zed;
  names_.Share(&cluster_);
  LineClient alice = Alice();
  const std::string until = identity::FormatUntil(clock_.Now() + absl::Hours(2));
  ExpectReply(alice, "alice", "/ban zed 2h spam",
              absl::StrCat("Ban #1: Zed (and address 192.0.2.9) banned ", until, ": spam"));
  EXPECT_TRUE(store_->FindActiveBan("", "192.0.2.9", clock_.Now())->has_value());
  // Redis cannot be asked: the operator is told the ban holds, the user may be on.
  remote_.set_result(RemoteUsers::Result::kUnavailable);
  ExpectReply(alice, "alice", "/ban yan 1h",
              absl::StrCat("Ban #2: yan banned ", identity::FormatUntil(clock_.Now() + absl::Hours(1)),
                           ".\n(yan may still be connected to another server, which cannot be "
                           "asked right now; the ban holds at their next login.)"));
}

TEST_F(SessionModerationTest, BanRefusesTheNameUntilItEnds) {
  LineClient alice = Alice();
  LineClient bob = LoggedIn("bob");
  alice.ReadUntil(Prompt("alice"));
  const std::string until = identity::FormatUntil(clock_.Now() + absl::Hours(2));
  ExpectReplyAfterEvents(alice, "alice", "/ban bob 2h spam",
                         absl::StrCat("Ban #1: bob banned ", until, ": spam"));
  EXPECT_THAT(bob.ReadToEnd(), HasSubstr(absl::StrCat("You were banned by alice ", until,
                                                      ": spam\n")));
  LineClient again = Connect();
  EXPECT_EQ(again.Read(Welcome().size()), Welcome());
  again.Send("Bob\n");
  EXPECT_EQ(again.ReadToEnd(), absl::StrCat("\nYou are banned ", until, ": spam\n"));
  EXPECT_EQ(metrics_.disconnects(metrics::DisconnectReason::kBanned).value(), 1);
  EXPECT_EQ(Actions(metrics::ModerationAction::kBan), 1);

  finished(1).WaitForNotification();  // bob's leave is in the room before the reply
  ExpectReplyAfterEvents(alice, "alice", "/bans",
                         absl::StrCat("Bans in force (1):\n#1 name bob ", until, " by alice: spam"));
  clock_.Advance(absl::Hours(2));
  ExpectReply(alice, "alice", "/bans", "No bans in force.");
  LineClient later = LoggedIn("bob");
}

TEST_F(SessionModerationTest, BadDurationIsRefusedWithTheParsersSentence) {
  LineClient alice = Alice();
  LineClient bob = LoggedIn("bob");
  alice.ReadUntil(Prompt("alice"));
  const std::string why(identity::ParseModerationDuration("5x").status().message());
  ExpectReply(alice, "alice", "/ban bob 5x spam", why);
  ExpectReply(alice, "alice", "/mute bob 5x", why);
  EXPECT_TRUE(store_->ListActiveBans(clock_.Now())->empty());
}

TEST_F(SessionModerationTest, UnbanAndAddressBans) {
  LineClient alice = Alice();
  ExpectReply(alice, "alice", "/ban 192.0.2.7", "Ban #1: address 192.0.2.7 banned permanently.");
  absl::StatusOr<std::optional<identity::Ban>> ban =
      store_->FindActiveBan("", "192.0.2.7", clock_.Now());
  ASSERT_TRUE(ban.ok() && ban->has_value());
  EXPECT_EQ((*ban)->by, "alice");
  ExpectReply(alice, "alice", "/ban mallory", "Ban #2: mallory banned permanently.");
  LineClient eve = LoggedIn("eve");
  alice.ReadUntil(Event("eve has joined our chat...", "alice"));
  ExpectReply(eve, "eve", "/name Mallory", "Name 'Mallory' is banned.");
  ExpectReply(alice, "alice", "/unban mallory", "Unbanned mallory.");
  ExpectReply(alice, "alice", "/unban 192.0.2.7", "Unbanned 192.0.2.7.");
  ExpectReply(alice, "alice", "/unban mallory", "mallory is not banned.");
  EXPECT_EQ(Actions(metrics::ModerationAction::kUnban), 2);
  LineClient mallory = LoggedIn("mallory");
}

TEST_F(SessionModerationTest, MuteSurvivesAReconnectAndEnds) {
  LineClient alice = Alice();
  LineClient bob = LoggedIn("bob");
  alice.ReadUntil(Prompt("alice"));
  const std::string until = identity::FormatUntil(clock_.Now() + absl::Minutes(10));
  ExpectReply(alice, "alice", "/mute bob 10m calm down",
              absl::StrCat("You muted bob ", until, ": calm down"));
  EXPECT_THAT(bob.ReadUntil(absl::StrCat("You are muted ", until, ": calm down")),
              HasSubstr(absl::StrCat("\nalice muted bob ", until, " (calm down)\n")));
  bob.ReadUntil(Prompt("bob"));
  const std::string refused = absl::StrCat("You are muted ", until, "; your line was not sent.");
  for (const char* line : {"hello", "/me waves", "/msg alice hi", "/name robert"}) {
    ExpectReply(bob, "bob", line, refused);
  }
  ExpectReply(bob, "bob", "/users", "Users in general (2): alice, bob\nConnected in total: 2");
  bob.Send("/quit\n");
  bob.ReadToEnd();
  LineClient back = LoggedIn("bob");
  ExpectReply(back, "bob", "hello", refused);
  clock_.Advance(absl::Minutes(10));
  back.Send("hello again\n");
  EXPECT_THAT(alice.ReadUntil("hello again"), HasSubstr("[bob]:hello again"));
}

TEST_F(SessionModerationTest, UnmuteAndTheMuteListBound) {
  LineClient alice = Alice();
  LineClient bob = LoggedIn("bob");
  LineClient carol = LoggedIn("carol");
  LineClient dan = LoggedIn("dan");
  alice.ReadUntil(Event("dan has joined our chat...", "alice"));
  ExpectReply(alice, "alice", "/mute bob", "You muted bob permanently.");
  ExpectReply(alice, "alice", "/mute carol", "You muted carol permanently.");
  ExpectReply(alice, "alice", "/mute dan",
              "Already 2 people are muted, the most; /unmute someone first.");
  ExpectReply(alice, "alice", "/unmute bob", "You unmuted bob.");
  ExpectReply(alice, "alice", "/unmute bob", "bob is not muted.");
  bob.ReadUntil("You can speak again.");
  EXPECT_EQ(Actions(metrics::ModerationAction::kMute), 2);
  EXPECT_EQ(Actions(metrics::ModerationAction::kUnmute), 1);
}

// Operators see who is muted, until when, by whom and why; others may not look.
TEST_F(SessionModerationTest, MutesListsTheMutesInForce) {
  LineClient alice = Alice();
  LineClient bob = LoggedIn("bob");
  LineClient carol = LoggedIn("carol");
  alice.ReadUntil(Event("carol has joined our chat...", "alice"));
  ExpectReply(alice, "alice", "/mutes", "No mutes in force.");
  const std::string until = identity::FormatUntil(clock_.Now() + absl::Minutes(10));
  ExpectReply(alice, "alice", "/mute bob 10m calm down",
              absl::StrCat("You muted bob ", until, ": calm down"));
  ExpectReply(alice, "alice", "/mute carol", "You muted carol permanently.");
  ExpectReply(alice, "alice", "/mutes",
              absl::StrCat("Mutes in force (2):\nbob ", until,
                           " by alice: calm down\ncarol permanently by alice."));
  bob.ReadUntil("calm down\n");
  ExpectReplyAfterEvents(bob, "bob", "/mutes", "Only operators can list mutes.");
  clock_.Advance(absl::Minutes(10));  // bob's has ended
  ExpectReply(alice, "alice", "/mutes", "Mutes in force (1):\ncarol permanently by alice.");
}

// `/topic -` clears the topic: joiners see none, the room is told.
TEST_F(SessionModerationTest, TopicDashClearsTheTopic) {
  LineClient alice = Alice();
  LineClient bob = LoggedIn("bob");
  alice.ReadUntil(Prompt("alice"));
  ExpectReply(alice, "alice", "/topic -", "general has no topic.");
  ExpectReply(alice, "alice", "/topic Be nice", "Topic of general: Be nice");
  EXPECT_THAT(bob.ReadUntil(Prompt("bob")), HasSubstr("\nalice set the topic: Be nice\n"));
  ExpectReply(bob, "bob", "/topic -", "Only operators can set the topic.");
  ExpectReply(alice, "alice", "/topic -", "You cleared the topic of general.");
  EXPECT_THAT(bob.ReadUntil(Prompt("bob")), HasSubstr("\nalice cleared the topic\n"));
  ExpectReply(bob, "bob", "/topic", "general has no topic.");
  EXPECT_FALSE(store_->GetTopic("general")->has_value());
  EXPECT_EQ(Actions(metrics::ModerationAction::kTopic), 2);
}

TEST_F(SessionModerationTest, OpAndDeopTakeEffectAtOnce) {
  CreateAccount("carol");
  LineClient alice = Alice();
  LineClient carol = WithPassword("carol");
  LineClient bob = LoggedIn("bob");
  alice.ReadUntil(Event("bob has joined our chat...", "alice"));
  carol.ReadUntil(Event("bob has joined our chat...", "carol"));
  ExpectReply(carol, "carol", "/mute bob", "Only operators can mute.");
  ExpectReply(alice, "alice", "/op bob",
              "No such registered name: bob (only registered names can be operators).");
  ExpectReply(alice, "alice", "/op carol", "carol is now an operator.");
  ExpectReply(alice, "alice", "/op carol", "carol is already an operator.");
  EXPECT_TRUE((*store_->FindAccount("carol"))->is_operator);
  carol.ReadUntil("You are now an operator.");
  carol.ReadUntil(Prompt("carol"));
  ExpectReply(carol, "carol", "/mute bob", "You muted bob permanently.");
  ExpectReply(carol, "carol", "/deop alice",
              "alice is an operator by the server's --operators flag; only the server's "
              "administrator can change that.");
  ExpectReplyAfterEvents(alice, "alice", "/deop carol", "carol is no longer an operator.");
  carol.ReadUntil("You are no longer an operator.");
  carol.ReadUntil(Prompt("carol"));
  ExpectReply(carol, "carol", "/unmute bob", "Only operators can unmute.");
  ExpectReply(alice, "alice", "/deop alice", "You cannot deop yourself.");
  EXPECT_EQ(Actions(metrics::ModerationAction::kOp), 1);
  EXPECT_EQ(Actions(metrics::ModerationAction::kDeop), 1);
}

TEST_F(SessionModerationTest, TopicIsShownToJoinersAndInRooms) {
  LineClient alice = Alice();
  LineClient bob = LoggedIn("bob");
  alice.ReadUntil(Prompt("alice"));
  ExpectReply(bob, "bob", "/topic", "general has no topic.");
  ExpectReply(alice, "alice", "/topic Be nice", "Topic of general: Be nice");
  EXPECT_THAT(bob.ReadUntil(Prompt("bob")), HasSubstr("\nalice set the topic: Be nice\n"));
  ExpectReply(bob, "bob", "/topic", "Topic of general: Be nice (set by alice)");
  ExpectReply(bob, "bob", "/rooms", "Rooms: general (2) \u2014 Be nice");
  ExpectReply(alice, "alice", absl::StrCat("/topic ", std::string(kMaxTopicBytes + 1, 'x')),
              "The topic is too long (at most 200 bytes).");
  LineClient carol = Connect();
  EXPECT_EQ(carol.Read(Welcome().size()), Welcome());
  carol.Send("carol\n");
  EXPECT_THAT(carol.ReadUntil("(set by alice)\n"), HasSubstr("Topic of general: Be nice"));
  EXPECT_EQ(Actions(metrics::ModerationAction::kTopic), 1);
}

TEST_F(SessionModerationTest, WhoisShowsRegisteredAndAddressesToOperators) {
  CreateAccount("carol");
  LineClient alice = Alice();
  LineClient carol = WithPassword("carol");
  alice.ReadUntil(Prompt("alice"));
  carol.Send("/whois alice\n");
  const std::string seen = carol.ReadUntil(Prompt("carol"));
  EXPECT_THAT(seen, HasSubstr("alice: in general, registered"));
  EXPECT_THAT(seen, ::testing::Not(HasSubstr("address")));
  alice.Send("/whois carol\n");
  const std::string shown = alice.ReadUntil(Prompt("alice"));
  EXPECT_THAT(shown, HasSubstr("carol: in general, registered"));
  EXPECT_THAT(shown, HasSubstr("carol's address: "));
}

// A browser's kick arrives as a goodbye message, then the connection ends.
TEST_F(SessionModerationTest, AJsonClientIsToldItWasKicked) {
  LineClient alice = Alice();
  testing::SocketPair pair = testing::MakeSocketPair();
  absl::Notification finished;
  auto session = std::make_unique<Session>(
      std::make_unique<TcpTransport>(std::move(pair.server_end)), context_,
      [&finished](Session*) { finished.Notify(); }, AddressLimits::Ticket(),
      std::make_unique<JsonProtocol>(options_.max_line_bytes));
  session->Start();
  LineClient web(std::move(pair.client_end));
  EXPECT_TRUE(absl::StartsWith(web.ReadUntil("\n"), R"({"type":"banner")"));
  web.Send(R"({"type":"login","name":"bob"})");
  EXPECT_TRUE(absl::StartsWith(web.ReadUntil("\n"), R"({"type":"welcome","name":"bob")"));
  alice.ReadUntil(Event("bob has joined our chat...", "alice"));
  ExpectReplyAfterEvents(alice, "alice", "/kick bob", "You kicked bob.");
  EXPECT_THAT(web.ReadToEnd(),
              HasSubstr("{\"type\":\"goodbye\",\"text\":\"You were kicked by alice.\"}\n"));
  finished.WaitForNotification();
}

}  // namespace
}  // namespace chat
