// Registered names over socketpair sessions: /register, the password at login, the
// throttle, /password, /unregister, and what a password never reaches (logs, the
// database, the room).

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "chat/abuse/address_key.h"
#include "chat/identity/login_throttle.h"
#include "chat/identity/registration_limit.h"
#include "chat/identity/password.h"
#include "chat/identity/sqlite_store.h"
#include "chat/message.h"
#include "chat/testing/hooked_store.h"
#include "chat/testing/identity_fixture.h"
#include "chat/testing/line_client.h"
#include "chat/testing/session_fixture.h"
#include "chat/testing/socket_pair.h"
#include "chat/testing/test_files.h"
#include "chat/transport/tcp_transport.h"
#include "chat/web/json_protocol.h"
#include "glog/logging.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace chat {
namespace {

using testing::LineClient;
using testing::Welcome;

constexpr char kWillEcho[] = "\xff\xfb\x01";
constexpr char kWontEcho[] = "\xff\xfc\x01";
constexpr char kDoEcho[] = "\xff\xfd\x01";
constexpr char kDontEcho[] = "\xff\xfe\x01";
constexpr char kPasswordPrompt[] = "[ENTER PASSWORD]: ";
constexpr char kRepeatPrompt[] = "[REPEAT PASSWORD]: ";
constexpr char kPassword[] = "Zebra-plaintext-4417";
constexpr char kTypeItAgain[] =
    "That was not the name you just gave a wrong password for. To log in under another "
    "name, type it again.";

// Every log line glog writes while a test runs, to prove a password never reaches one.
class CapturingSink final : public google::LogSink {
 public:
  void send(google::LogSeverity, const char*, const char*, int, const struct ::tm*,
            const char* message, size_t length) override {
    absl::MutexLock lock(&mu_);
    text_.append(message, length).push_back('\n');
  }
  std::string text() const {
    absl::MutexLock lock(&mu_);
    return text_;
  }

 private:
  mutable absl::Mutex mu_;
  std::string text_ ABSL_GUARDED_BY(mu_);
};

class SessionIdentityTest : public testing::IdentitySessionFixture {
 protected:
  void SetUp() override {
    IdentitySessionFixture::SetUp();
    hooked_ = std::make_unique<testing::HookedStore>(store_.get());
    google::AddLogSink(&sink_);
  }
  void TearDown() override {
    IdentitySessionFixture::TearDown();
    google::RemoveLogSink(&sink_);
  }

  // Sends `line` and expects exactly `reply` followed by a fresh chat prompt.
  void ExpectReply(LineClient& client, std::string_view name, std::string_view line,
                   std::string_view reply) {
    client.Send(absl::StrCat(line, "\n"));
    const std::string expected = absl::StrCat(reply, Prompt(name));
    EXPECT_EQ(client.Read(expected.size()), expected) << line;
  }

  // Logs in as `name` (not registered) and registers it with kPassword, as plain nc
  // would: it never answers the telnet offer, so only the first prompt carries it.
  LineClient Registered(std::string_view name) {
    LineClient client = LoggedIn(name);
    client.Send("/register\n");
    EXPECT_EQ(client.Read(3 + strlen(kPasswordPrompt)), absl::StrCat(kWillEcho, kPasswordPrompt));
    client.Send(absl::StrCat(kPassword, "\n"));
    EXPECT_EQ(client.Read(strlen(kRepeatPrompt)), kRepeatPrompt);
    client.Send(absl::StrCat(kPassword, "\n"));
    const std::string done = absl::StrCat(
        "You registered ", name, ". From now on this name needs your password to log in.\n",
        Prompt(name));
    EXPECT_EQ(client.Read(done.size()), done);
    return client;
  }

  // Stores the account `key` with `password`'s hash, made with `costs` (default: the
  // test's own), as an earlier registration would have.
  void CreateAccount(std::string_view key, std::string_view password = kPassword,
                     std::optional<identity::PasswordOptions> costs = std::nullopt) {
    absl::StatusOr<std::string> hash =
        identity::HashPassword(password, costs.value_or(context_.password_options));
    ASSERT_TRUE(hash.ok());
    ASSERT_TRUE(store_
                    ->CreateAccount(identity::Account{std::string(key), std::string(key),
                                                      *hash, false, clock_.Now()})
                    .ok());
  }

  // Connects and gives the registered `name`: returns at its password prompt.
  LineClient AtPasswordPrompt(std::string_view name) {
    LineClient client = Connect();
    EXPECT_EQ(client.Read(Welcome().size()), Welcome());
    client.Send(absl::StrCat(name, "\n"));
    EXPECT_EQ(client.Read(3 + strlen(kPasswordPrompt)), absl::StrCat(kWillEcho, kPasswordPrompt));
    return client;
  }

  // Makes the sessions use the hooked store: right after its `n`-th account read, the
  // account read gets the password hash `hash`, as if changed elsewhere at that moment.
  void ChangePasswordAfterRead(int n, std::string hash) {
    context_.identity = hooked_.get();
    hooked_->set_after_find_account(
        [this, n, hash = std::move(hash)](int call, std::string_view key) {
          if (call == n) {
            ASSERT_TRUE(store_->SetPasswordHash(key, hash).ok());
          }
        });
  }

  // Quits `client`, connection number `index`, and waits until its session has ended.
  void Quit(LineClient& client, size_t index) {
    client.Send("/quit\n");
    client.ReadToEnd();
    finished(index).WaitForNotification();
  }

  // The store with a hook between reads; tests that stage a race use it as the context's.
  std::unique_ptr<testing::HookedStore> hooked_;
  CapturingSink sink_;
};

TEST_F(SessionIdentityTest, RegisterThenLogInWithThePassword) {
  LineClient alice = Registered("alice");
  absl::StatusOr<std::optional<identity::Account>> account = store_->FindAccount("alice");
  ASSERT_TRUE(account.ok() && account->has_value());
  EXPECT_EQ((*account)->name, "alice");
  EXPECT_TRUE(identity::VerifyPassword(kPassword, (*account)->password_hash));
  EXPECT_FALSE((*account)->is_operator);
  ExpectReply(alice, "alice", "/register", "You are already registered as alice.\n");
  Quit(alice, 0);

  LineClient again = Connect();
  EXPECT_EQ(again.Read(Welcome().size()), Welcome());
  again.Send("alice\n");
  EXPECT_EQ(again.Read(3 + strlen(kPasswordPrompt)), absl::StrCat(kWillEcho, kPasswordPrompt));
  again.Send(absl::StrCat(kPassword, "\n"));
  EXPECT_EQ(again.ReadUntil(Prompt("alice")), Prompt("alice"));
  // In the room as usual.
  LineClient bob = LoggedIn("bob");
  EXPECT_EQ(again.ReadUntil(Prompt("alice")), Event("bob has joined our chat...", "alice"));
}

TEST_F(SessionIdentityTest, WrongPasswordIsRefusedWithTheNamePromptAgain) {
  LineClient alice = Registered("alice");
  Quit(alice, 0);
  LineClient mallory = Connect();
  EXPECT_EQ(mallory.Read(Welcome().size()), Welcome());
  mallory.Send("alice\n");
  EXPECT_EQ(mallory.Read(3 + strlen(kPasswordPrompt)), absl::StrCat(kWillEcho, kPasswordPrompt));
  mallory.Send("guess-guess\n");
  const std::string refused = absl::StrCat("Wrong password.\n", kNamePrompt);
  EXPECT_EQ(mallory.Read(refused.size()), refused);
  // Any free name still works on the same connection, typed twice (see below).
  mallory.Send("mallory\n");
  const std::string confirm = absl::StrCat(kTypeItAgain, "\n", kNamePrompt);
  EXPECT_EQ(mallory.Read(confirm.size()), confirm);
  mallory.Send("mallory\n");
  EXPECT_EQ(mallory.ReadUntil(Prompt("mallory")), Prompt("mallory"));
  EXPECT_EQ(names_.size(), 1u);
}

// A password typed again at the name prompt (by habit, or typed ahead while the check
// ran) must not become a public name: another name is only taken when typed twice.
TEST_F(SessionIdentityTest, APasswordRetypedAtTheNamePromptIsNotTakenAsAName) {
  LineClient alice = Registered("alice");
  Quit(alice, 0);
  LineClient alice_again = Connect();
  EXPECT_EQ(alice_again.Read(Welcome().size()), Welcome());
  alice_again.Send("alice\nhunter2-typo\nhunter2-right\n");  // all in one go
  const std::string refused =
      absl::StrCat(kWillEcho, kPasswordPrompt, "Wrong password.\n", kNamePrompt, kTypeItAgain,
                   "\n", kNamePrompt);
  EXPECT_EQ(alice_again.Read(refused.size()), refused);
  EXPECT_EQ(names_.size(), 0u);  // nobody logged in under the password
  // The name it was about is still welcome, and asks for the password again.
  alice_again.Send("alice\n");
  EXPECT_EQ(alice_again.Read(strlen(kPasswordPrompt)), kPasswordPrompt);
}

// A /register dropped by flood control asks for nothing, so the passwords typed after it
// would be chat lines once the flood has passed: they are discarded unread instead.
TEST_F(SessionIdentityTest, PasswordsTypedAfterADroppedRegisterNeverReachTheRoom) {
  options_.max_msgs_per_sec = 1;
  options_.burst = 2;
  context_.options = options_;
  LineClient alice = LoggedIn("alice");  // the login took one of alice's two tokens
  LineClient bob = LoggedIn("bob");
  alice.Read(Event("bob has joined our chat...", "alice").size());
  // m1 takes bob's last token; /register is dropped; the two passwords follow at once.
  bob.Send(absl::StrCat("m1\n/register\n", kPassword, "\n", kPassword, "\n"));
  const std::string answer = absl::StrCat(
      Prompt("bob"),
      "You are sending too fast (over 1 lines a second); lines are dropped until you slow "
      "down.\n",
      Prompt("bob"),
      "That /register was not run (you were sending too fast); your next 2 lines are "
      "discarded in case they were passwords.\n",
      Prompt("bob"));
  EXPECT_EQ(bob.Read(answer.size()), answer);
  // Before time moves: alice's prompt after m1 carries the time it was drawn.
  const std::string first = Event("[2026-01-02 03:04:05][bob]:m1", "alice");
  EXPECT_EQ(alice.Read(first.size()), first);
  ASSERT_TRUE(AwaitLinesReceived(1, 1 + 4));
  clock_.Advance(absl::Seconds(10));  // the flood is over
  bob.Send("m2\n");
  EXPECT_EQ(bob.Read(Prompt("bob").size()), Prompt("bob"));
  const std::string next = Event("[2026-01-02 03:04:15][bob]:m2", "alice");
  EXPECT_EQ(alice.Read(next.size()), next);
  EXPECT_EQ(room_.History().size(), 2u);
  EXPECT_FALSE(absl::StrContains(sink_.text(), kPassword));
}

TEST_F(SessionIdentityTest, LookAlikeOfARegisteredNameNeedsItsPassword) {
  LineClient alice = Registered("alice");
  Quit(alice, 0);
  LineClient mallory = Connect();
  EXPECT_EQ(mallory.Read(Welcome().size()), Welcome());
  mallory.Send("\xd0\xb0lice\n");  // Cyrillic а
  EXPECT_EQ(mallory.Read(3 + strlen(kPasswordPrompt)), absl::StrCat(kWillEcho, kPasswordPrompt));
  mallory.Send("guess-guess\n");
  const std::string refused = absl::StrCat("Wrong password.\n", kNamePrompt);
  EXPECT_EQ(mallory.Read(refused.size()), refused);
  mallory.Send("ALICE\n");
  EXPECT_EQ(mallory.Read(strlen(kPasswordPrompt)), kPasswordPrompt);
}

TEST_F(SessionIdentityTest, RenameToARegisteredNameIsRefused) {
  LineClient alice = Registered("alice");
  Quit(alice, 0);
  LineClient bob = LoggedIn("bob");
  ExpectReply(bob, "bob", "/name Alice",
              "Name 'Alice' is registered; to use it, log in with it and its password.\n");
}

TEST_F(SessionIdentityTest, APasswordLoginCanBeRepliedTo) {
  LineClient first = Registered("alice");
  Quit(first, 0);
  LineClient alice = Connect();
  EXPECT_EQ(alice.Read(Welcome().size()), Welcome());
  alice.Send("alice\n");
  EXPECT_EQ(alice.Read(3 + strlen(kPasswordPrompt)), absl::StrCat(kWillEcho, kPasswordPrompt));
  alice.Send(absl::StrCat(kPassword, "\n"));
  EXPECT_EQ(alice.ReadUntil(Prompt("alice")), Prompt("alice"));
  LineClient bob = LoggedIn("bob");
  EXPECT_EQ(alice.ReadUntil(Prompt("alice")), Event("bob has joined our chat...", "alice"));
  ExpectReply(alice, "alice", "/msg bob hi", "");
  EXPECT_EQ(bob.ReadUntil(Prompt("bob")),
            Event("[2026-01-02 03:04:05][alice -> you]:hi", "bob"));
  // /reply finds its sender by session id: a password login has one like any other.
  ExpectReply(bob, "bob", "/reply hello", "");
  EXPECT_EQ(alice.ReadUntil(Prompt("alice")),
            Event("[2026-01-02 03:04:05][bob -> you]:hello", "alice"));
}

TEST_F(SessionIdentityTest, ANewOwnerVoidsAnOldLoginsClaimToTheName) {
  LineClient alice = Registered("alice");
  ExpectReply(alice, "zed", "/name zed", "You are now known as zed.\n");
  // Its own registered name: no password needed to take it back.
  ExpectReply(alice, "alice", "/name alice", "You are now known as alice.\n");
  ExpectReply(alice, "zed", "/name zed", "You are now known as zed.\n");
  // Meanwhile the name is unregistered and someone else registers it.
  ASSERT_TRUE(store_->DeleteAccount("alice").ok());
  absl::StatusOr<std::string> hash =
      identity::HashPassword("new-owner-password", identity::PasswordOptions::FastForTests());
  ASSERT_TRUE(hash.ok());
  ASSERT_TRUE(store_->CreateAccount(identity::Account{"alice", "alice", *hash, false,
                                                      absl::UnixEpoch()})
                  .ok());
  ExpectReply(alice, "zed", "/name alice",
              "Name 'alice' is registered; to use it, log in with it and its password.\n");
}

TEST_F(SessionIdentityTest, WhoisSaysWhetherTheNameIsItsOwnersAccount) {
  LineClient alice = Registered("alice");
  LineClient bob = LoggedIn("bob");
  EXPECT_EQ(alice.ReadUntil(Prompt("alice")), Event("bob has joined our chat...", "alice"));
  ExpectReply(bob, "bob", "/whois alice",
              "alice: in general, registered, idle 0s, connected 0s\n");
  ExpectReply(bob, "bob", "/whois bob", "bob: in general, not registered, idle 0s, connected 0s\n");
  ExpectReply(alice, "zed", "/name zed", "You are now known as zed.\n");
  bob.ReadUntil(Prompt("bob"));  // the rename notice
  ExpectReply(bob, "bob", "/whois zed", "zed: in general, not registered, idle 0s, connected 0s\n");
}

TEST_F(SessionIdentityTest, TelnetClientGetsEchoOffAndOnAndNothingLeaks) {
  LineClient alice = Registered("alice");
  Quit(alice, 0);
  LineClient bob = LoggedIn("bob");
  LineClient telnet = Connect();
  EXPECT_EQ(telnet.Read(Welcome().size()), Welcome());
  telnet.Send("alice\r\n");
  EXPECT_EQ(telnet.Read(3 + strlen(kPasswordPrompt)), absl::StrCat(kWillEcho, kPasswordPrompt));
  // A telnet client agrees (DO ECHO) and stops echoing; the server ends the hidden line
  // and gives echo back (WONT ECHO), which the client acknowledges (DONT ECHO).
  telnet.Send(absl::StrCat(kDoEcho, kPassword, "\r\n"));
  const std::string after = absl::StrCat("\r\n", kWontEcho);
  EXPECT_EQ(telnet.Read(after.size()), after);
  EXPECT_EQ(telnet.ReadUntil(Prompt("alice")), Prompt("alice"));
  telnet.Send(absl::StrCat(kDontEcho, "hello\r\n"));
  EXPECT_EQ(bob.ReadUntil(Prompt("bob")), Event("alice has joined our chat...", "bob"));
  EXPECT_EQ(bob.ReadUntil(Prompt("bob")), Event("[2026-01-02 03:04:05][alice]:hello", "bob"));
  EXPECT_EQ(telnet.ReadUntil(Prompt("alice")), Prompt("alice"));
  // Nothing was answered to the DONT (it only acknowledged our WONT): no loop.
  EXPECT_TRUE(telnet.ReceivedNothingFor(absl::Milliseconds(50)));
  for (const EventPtr& event : room_.History()) {
    EXPECT_FALSE(absl::StrContains(event->text, kPassword));
  }
  EXPECT_EQ(room_.History().size(), 1u);  // the "hello"
}

TEST_F(SessionIdentityTest, ThrottleSlowsThenLocksOutAnAddress) {
  identity::LoginThrottleOptions options;
  options.slow_after = 1;
  options.lockout_after = 3;
  throttle_ = std::make_unique<identity::LoginThrottle>(options);
  context_.login_throttle = throttle_.get();
  LineClient alice = Registered("alice");
  Quit(alice, 0);
  LineClient mallory = Connect();
  EXPECT_EQ(mallory.Read(Welcome().size()), Welcome());
  mallory.Send("alice\nwrong-one\n");
  std::string expected = absl::StrCat(kWillEcho, kPasswordPrompt, "Wrong password.\n",
                                      "Too many wrong passwords from your address; try again in "
                                      "1s.\n",
                                      kNamePrompt);
  EXPECT_EQ(mallory.Read(expected.size()), expected);
  // Too soon: not even asked for the password.
  mallory.Send("alice\n");
  expected = absl::StrCat("Too many wrong passwords from your address; try again in 1s.\n",
                          kNamePrompt);
  EXPECT_EQ(mallory.Read(expected.size()), expected);
  clock_.Advance(absl::Seconds(1));
  mallory.Send("alice\nwrong-two\n");
  expected = absl::StrCat(kPasswordPrompt, "Wrong password.\n",
                          "Too many wrong passwords from your address; try again in 2s.\n",
                          kNamePrompt);
  EXPECT_EQ(mallory.Read(expected.size()), expected);
  clock_.Advance(absl::Seconds(2));
  // Even the right password waits its turn... but this is the third wrong one: locked out.
  mallory.Send("alice\nwrong-three\n");
  expected = absl::StrCat(kPasswordPrompt, "Wrong password.\n",
                          "Too many wrong passwords from your address; try again in 15m.\n");
  EXPECT_EQ(mallory.ReadToEnd(), expected);
  // A new connection from the same address is refused at once.
  LineClient again = Connect();
  EXPECT_EQ(again.Read(Welcome().size()), Welcome());
  again.Send(absl::StrCat("alice\n"));
  EXPECT_EQ(again.ReadToEnd(),
            "Too many wrong passwords from your address; try again in 15m.\n");
  // Names that are not registered are not affected.
  LineClient carol = LoggedIn("carol");
}

TEST_F(SessionIdentityTest, RegisterRefusesMismatchAndShortPasswords) {
  LineClient alice = LoggedIn("alice");
  alice.Send("/register\n");
  EXPECT_EQ(alice.Read(3 + strlen(kPasswordPrompt)), absl::StrCat(kWillEcho, kPasswordPrompt));
  alice.Send("short\n");
  std::string expected =
      absl::StrCat("Password is too short (at least 8 bytes).\n", Prompt("alice"));
  EXPECT_EQ(alice.Read(expected.size()), expected);
  alice.Send("/register\n");
  EXPECT_EQ(alice.Read(strlen(kPasswordPrompt)), kPasswordPrompt);
  alice.Send("first-password\n");
  EXPECT_EQ(alice.Read(strlen(kRepeatPrompt)), kRepeatPrompt);
  alice.Send("other-password\n");
  expected = absl::StrCat("The passwords do not match; nothing was changed.\n", Prompt("alice"));
  EXPECT_EQ(alice.Read(expected.size()), expected);
  EXPECT_FALSE(store_->FindAccount("alice")->has_value());
  EXPECT_TRUE(room_.History().empty());
}

TEST_F(SessionIdentityTest, ChangePasswordAndUnregister) {
  LineClient alice = Registered("alice");
  alice.Send("/password\n");
  EXPECT_EQ(alice.Read(strlen(kPasswordPrompt)), kPasswordPrompt);
  alice.Send(absl::StrCat(kPassword, "\n"));
  EXPECT_EQ(alice.ReadUntil("]: "), "[ENTER NEW PASSWORD]: ");
  alice.Send("new-password-1\n");
  EXPECT_EQ(alice.ReadUntil("]: "), "[REPEAT NEW PASSWORD]: ");
  ExpectReply(alice, "alice", "new-password-1", "Your password was changed.\n");
  std::optional<identity::Account> account = *store_->FindAccount("alice");
  ASSERT_TRUE(account.has_value());
  EXPECT_TRUE(identity::VerifyPassword("new-password-1", account->password_hash));
  EXPECT_FALSE(identity::VerifyPassword(kPassword, account->password_hash));

  alice.Send("/unregister\n");
  EXPECT_EQ(alice.Read(strlen(kPasswordPrompt)), kPasswordPrompt);
  ExpectReply(alice, "alice", kPassword, "Wrong password.\n");
  EXPECT_TRUE(store_->FindAccount("alice")->has_value());
  alice.Send("/unregister\n");
  EXPECT_EQ(alice.Read(strlen(kPasswordPrompt)), kPasswordPrompt);
  ExpectReply(alice, "alice", "new-password-1", "alice is no longer registered.\n");
  EXPECT_FALSE(store_->FindAccount("alice")->has_value());
  ExpectReply(alice, "alice", "/password", "Your name is not registered (see /register).\n");
  ExpectReply(alice, "alice", "/unregister", "Your name is not registered (see /register).\n");
  EXPECT_TRUE(room_.History().empty());
}

TEST_F(SessionIdentityTest, PasswordNeverInTheLogsNorTheDatabase) {
  LineClient alice = Registered("alice");
  Quit(alice, 0);
  LineClient again = Connect();
  EXPECT_EQ(again.Read(Welcome().size()), Welcome());
  again.Send("alice\n");
  EXPECT_EQ(again.Read(3 + strlen(kPasswordPrompt)), absl::StrCat(kWillEcho, kPasswordPrompt));
  again.Send("wrong-Zebra-plaintext\n");
  again.ReadUntil(kNamePrompt);
  again.Send(absl::StrCat("alice\n", kPassword, "\n"));
  EXPECT_EQ(again.ReadUntil(Prompt("alice")), absl::StrCat(kPasswordPrompt, Prompt("alice")));
  Quit(again, 1);
  const std::string logs = sink_.text();
  EXPECT_TRUE(absl::StrContains(logs, "register")) << logs;  // the sink did see the logs
  EXPECT_TRUE(absl::StrContains(logs, "wrong password from")) << logs;
  EXPECT_FALSE(absl::StrContains(logs, kPassword)) << logs;
  EXPECT_FALSE(absl::StrContains(logs, "wrong-Zebra")) << logs;
  const std::string db = absl::StrCat(testing::ReadFile(db_path_),
                                      testing::ReadFile(absl::StrCat(db_path_, "-wal")));
  EXPECT_TRUE(absl::StrContains(db, "$argon2id$"));
  EXPECT_FALSE(absl::StrContains(db, kPassword));
}

// A JSON client (the browser page's protocol, here straight over a socketpair) answers
// password prompts with {"type":"password"} messages; one sent unasked is refused and
// never reaches the room.
TEST_F(SessionIdentityTest, JsonClientsLogInWithAPasswordMessage) {
  LineClient alice = Registered("alice");
  Quit(alice, 0);
  LineClient bob = LoggedIn("bob");
  testing::SocketPair pair = testing::MakeSocketPair();
  absl::Notification finished;
  auto session = std::make_unique<Session>(
      std::make_unique<TcpTransport>(std::move(pair.server_end)), context_,
      [&finished](Session*) { finished.Notify(); }, AddressLimits::Ticket(),
      std::make_unique<JsonProtocol>(options_.max_line_bytes));
  session->Start();
  LineClient web(std::move(pair.client_end));
  EXPECT_TRUE(absl::StartsWith(web.ReadUntil("\n"), R"({"type":"banner")"));
  // Each message is sent on its own, as WebSocket frames would deliver them.
  const auto say = [&](std::string_view json, std::string_view until) {
    web.Send(json);
    return web.ReadUntil(until);
  };
  EXPECT_EQ(say(R"({"type":"password","text":"unasked-secret"})", "\n"),
            "{\"type\":\"error\",\"text\":\"No password was asked for.\"}\n");
  EXPECT_EQ(say(R"({"type":"login","name":"alice"})", "\n"),
            "{\"type\":\"password_prompt\",\"text\":\"ENTER PASSWORD\"}\n");
  const std::string welcome =
      say(absl::StrCat(R"({"type":"password","text":")", kPassword, R"("})"), "\n");
  EXPECT_TRUE(absl::StartsWith(welcome, R"({"type":"welcome","name":"alice")")) << welcome;
  EXPECT_EQ(bob.ReadUntil(Prompt("bob")), Event("alice has joined our chat...", "bob"));
  EXPECT_EQ(say(R"({"type":"password","text":"in-room-secret"})", "\n"),
            "{\"type\":\"error\",\"text\":\"No password was asked for.\"}\n");
  EXPECT_TRUE(bob.ReceivedNothingFor(absl::Milliseconds(50)));
  EXPECT_TRUE(room_.History().empty());
  web.Close();
  finished.WaitForNotification();
}

// Hashing is costly: one connection gets a few password operations a minute, however it
// spends them (here: one, taken by /register), and hears when to try again.
TEST_F(SessionIdentityTest, PasswordOperationsPerConnectionAreRateLimited) {
  options_.password_ops_per_minute = 1;
  context_.options = options_;
  LineClient alice = Registered("alice");
  alice.Send("/unregister\n");
  EXPECT_EQ(alice.Read(strlen(kPasswordPrompt)), kPasswordPrompt);
  ExpectReply(alice, "alice", kPassword,
              "Too many password checks on this connection; try again in 1m.\n");
  EXPECT_TRUE(store_->FindAccount("alice")->has_value());
  clock_.Advance(absl::Minutes(1));
  alice.Send("/unregister\n");
  EXPECT_EQ(alice.Read(strlen(kPasswordPrompt)), kPasswordPrompt);
  ExpectReply(alice, "alice", kPassword, "alice is no longer registered.\n");
  Quit(alice, 0);
  // At the name prompt the refusal comes before the password is asked for.
  CreateAccount("alice");
  LineClient again = AtPasswordPrompt("alice");
  again.Send(absl::StrCat(kPassword, "\n"));
  EXPECT_EQ(again.ReadUntil(Prompt("alice")), Prompt("alice"));
  Quit(again, 1);  // before the options change under it
  options_.password_ops_per_minute = 0;  // off: no limit at all
  context_.options = options_;
  LineClient bob = Registered("bob");
  for (int i = 0; i < 2; ++i) {  // (a third wrong one would meet the login throttle)
    bob.Send("/password\n");
    EXPECT_EQ(bob.Read(strlen(kPasswordPrompt)), kPasswordPrompt);
    ExpectReply(bob, "bob", "not-the-password", "Wrong password.\n");
  }
}

TEST_F(SessionIdentityTest, TheLoginRateLimitRefusesBeforeThePasswordIsTyped) {
  options_.password_ops_per_minute = 1;
  context_.options = options_;
  LineClient alice = Registered("alice");
  Quit(alice, 0);
  LineClient again = AtPasswordPrompt("alice");
  again.Send("wrong-password\n");
  again.ReadUntil(kNamePrompt);
  // The connection's one operation is spent: not even asked, and a password typed ahead
  // is not taken as a name.
  again.Send(absl::StrCat("alice\n", kPassword, "\n"));
  const std::string refused = absl::StrCat(
      "Too many password checks on this connection; try again in 1m.\n", kNamePrompt,
      kTypeItAgain, "\n", kNamePrompt);
  EXPECT_EQ(again.Read(refused.size()), refused);
  EXPECT_EQ(names_.size(), 0u);
}

// Every hashing slot taken for longer than the wait: the client hears "busy", nothing is
// counted against it, and the next try works.
TEST_F(SessionIdentityTest, BusyHashingSlotsSayTryAgain) {
  identity::LoginThrottleOptions strict;
  strict.slow_after = 1;  // a busy answer counted as a failure would delay the next try
  throttle_ = std::make_unique<identity::LoginThrottle>(strict);
  context_.login_throttle = throttle_.get();
  LineClient alice = Registered("alice");
  Quit(alice, 0);
  identity::LimitConcurrentHashing(1);
  identity::LimitHashingWait(absl::Milliseconds(1));
  ASSERT_TRUE(identity::HashingSlots::Global().Acquire());
  LineClient again = AtPasswordPrompt("alice");
  again.Send(absl::StrCat(kPassword, "\n"));
  const std::string busy = absl::StrCat(
      "The server is busy checking passwords; try again in a few seconds.\n", kNamePrompt);
  EXPECT_EQ(again.Read(busy.size()), busy);
  identity::HashingSlots::Global().Release();
  identity::LimitHashingWait(absl::Seconds(10));
  identity::LimitConcurrentHashing(2);
  EXPECT_EQ(metrics_.failed_logins.value(), 0u);
  again.Send(absl::StrCat("alice\n", kPassword, "\n"));
  EXPECT_EQ(again.ReadUntil(Prompt("alice")), absl::StrCat(kPasswordPrompt, Prompt("alice")));
}

// A hash made with other costs is redone at login, but only over the hash the password
// was checked against: a password changed in between is not overwritten.
TEST_F(SessionIdentityTest, ARehashAtLoginNeverOverwritesAPasswordChangedMeanwhile) {
  identity::PasswordOptions older = context_.password_options;
  older.ops_limit += 1;
  CreateAccount("alice", kPassword, older);
  const std::string changed = *identity::HashPassword("changed-password-9", older);
  // Reads: 1 at the name prompt, 2 when the password is checked; then the change.
  ChangePasswordAfterRead(2, changed);
  LineClient alice = Connect();
  EXPECT_EQ(alice.Read(Welcome().size()), Welcome());
  alice.Send(absl::StrCat("alice\n", kPassword, "\n"));
  alice.ReadUntil(kPasswordPrompt);
  ASSERT_TRUE(AwaitLinesReceived(0, 2));
  alice.Close();
  finished(0).WaitForNotification();
  EXPECT_EQ((*store_->FindAccount("alice"))->password_hash, changed);
}

// Without a race the upgrade happens: the stored hash has the server's costs now.
TEST_F(SessionIdentityTest, ARehashAtLoginUpgradesTheCosts) {
  identity::PasswordOptions older = context_.password_options;
  older.ops_limit += 1;
  CreateAccount("alice", kPassword, older);
  LineClient alice = Connect();
  EXPECT_EQ(alice.Read(Welcome().size()), Welcome());
  alice.Send(absl::StrCat("alice\n", kPassword, "\n"));
  EXPECT_EQ(alice.ReadUntil(Prompt("alice")), absl::StrCat(kWillEcho, kPasswordPrompt, Prompt("alice")));
  const std::string stored = (*store_->FindAccount("alice"))->password_hash;
  EXPECT_FALSE(identity::NeedsRehash(stored, context_.password_options));
  EXPECT_TRUE(identity::VerifyPassword(kPassword, stored));
  // And the proof kept is the new hash: the name can be taken back without a password.
  ExpectReply(alice, "zed", "/name zed", "You are now known as zed.\n");
  ExpectReply(alice, "alice", "/name alice", "You are now known as alice.\n");
}

// The password is checked, then the name claimed: an account changed in between (here a
// new password, set by the owner elsewhere) voids the login instead of letting the old
// password in after the change.
TEST_F(SessionIdentityTest, AnAccountChangedBetweenCheckAndClaimVoidsTheLogin) {
  LineClient first = Registered("alice");
  Quit(first, 0);
  const std::string changed =
      *identity::HashPassword("changed-password-9", context_.password_options);
  // Reads: 1 at the name prompt, 2 when the password is checked; then the change.
  ChangePasswordAfterRead(2, changed);
  LineClient alice = Connect();
  EXPECT_EQ(alice.Read(Welcome().size()), Welcome());
  alice.Send(absl::StrCat("alice\n", kPassword, "\n"));
  const std::string refused = absl::StrCat(
      kWillEcho, kPasswordPrompt,
      "The account changed while you were logging in; nothing was done. Try again.\n",
      kNamePrompt);
  EXPECT_EQ(alice.Read(refused.size()), refused);
  EXPECT_EQ(names_.size(), 0u);
  // The new password works, and the name is free for it.
  alice.Send("alice\nchanged-password-9\n");
  EXPECT_EQ(alice.ReadUntil(Prompt("alice")), absl::StrCat(kPasswordPrompt, Prompt("alice")));
}

// A name free when looked up but registered by the time it was claimed needs its
// password after all.
TEST_F(SessionIdentityTest, ANameRegisteredBetweenLookupAndClaimAsksForThePassword) {
  context_.identity = hooked_.get();
  hooked_->set_after_find_account([&](int n, std::string_view key) {
    if (n == 1) {
      CreateAccount(key);
    }
  });
  LineClient alice = AtPasswordPrompt("alice");
  EXPECT_EQ(names_.size(), 0u);
  alice.Send(absl::StrCat(kPassword, "\n"));
  EXPECT_EQ(alice.ReadUntil(Prompt("alice")), Prompt("alice"));
}

// One address registers a few names a day, not every attractive one (squatting). The
// refusal comes before any password is asked for.
TEST_F(SessionIdentityTest, RegistrationsPerAddressAreLimited) {
  identity::RegistrationLimit limit({/*per_day=*/2, /*max_tracked=*/100});
  context_.registrations = &limit;
  LineClient alice = Registered("alice");
  LineClient bob = Registered("bob");
  LineClient carol = LoggedIn("carol");
  ExpectReply(carol, "carol", "/register",
              "Too many registrations from your address (at most 2 a day); try again in 12h.\n");
  EXPECT_FALSE(store_->FindAccount("carol")->has_value());
  clock_.Advance(absl::Hours(12));
  carol.Send("/register\n");
  EXPECT_EQ(carol.Read(3 + strlen(kPasswordPrompt)), absl::StrCat(kWillEcho, kPasswordPrompt));
  // Meanwhile another connection of the address takes the one registration left.
  ASSERT_TRUE(limit.TryTake(kLocalAddressKey, clock_.Now()));
  carol.Send(absl::StrCat(kPassword, "\n"));
  EXPECT_EQ(carol.Read(strlen(kRepeatPrompt)), kRepeatPrompt);
  ExpectReply(carol, "carol", kPassword,
              "Too many registrations from your address (at most 2 a day); try again in 12h.\n");
  EXPECT_FALSE(store_->FindAccount("carol")->has_value());
  // The sessions use `limit` until they end.
  Quit(alice, 0);
  Quit(bob, 1);
  Quit(carol, 2);
}

// A registration that fails after the address's allowance was taken (here: the name was
// registered by someone else between the prompts) gives the allowance back.
TEST_F(SessionIdentityTest, AFailedRegistrationCostsTheAddressNothing) {
  identity::RegistrationLimit limit({/*per_day=*/1, /*max_tracked=*/100});
  context_.registrations = &limit;
  LineClient carol = LoggedIn("carol");
  carol.Send("/register\n");
  EXPECT_EQ(carol.Read(3 + strlen(kPasswordPrompt)), absl::StrCat(kWillEcho, kPasswordPrompt));
  carol.Send(absl::StrCat(kPassword, "\n"));
  EXPECT_EQ(carol.Read(strlen(kRepeatPrompt)), kRepeatPrompt);
  CreateAccount("carol");
  ExpectReply(carol, "carol", kPassword, "Name 'carol' is already registered.\n");
  EXPECT_TRUE(limit.TryTake(kLocalAddressKey, clock_.Now()));
  Quit(carol, 0);
}

// A registered name dropped by flood control at the name prompt asks for no password, so
// the password typed after it would be read as a name (and shown to the room) once the
// flood has passed: the line after a dropped name is discarded unread instead.
TEST_F(SessionIdentityTest, APasswordTypedAfterADroppedNameIsNeverTakenAsAName) {
  options_.max_msgs_per_sec = 1;
  options_.burst = 1;
  context_.options = options_;
  CreateAccount("alice");
  LineClient bob = LoggedIn("bob");
  LineClient alice = Connect();
  EXPECT_EQ(alice.Read(Welcome().size()), Welcome());
  alice.Send("[x]\n");  // takes the only token
  const std::string bad = absl::StrCat("Name cannot contain '[' or ']'.\n", kNamePrompt);
  EXPECT_EQ(alice.Read(bad.size()), bad);
  alice.Send("alice\n");  // dropped
  const std::string dropped = absl::StrCat(
      "You are sending too fast (over 1 lines a second); lines are dropped until you slow "
      "down.\n"
      "That name was not read (you were sending too fast); your next line is discarded in "
      "case it was a password.\n",
      kNamePrompt);
  EXPECT_EQ(alice.Read(dropped.size()), dropped);
  ASSERT_TRUE(AwaitLinesReceived(1, 2));
  clock_.Advance(absl::Seconds(10));  // the flood is over
  alice.Send(absl::StrCat(kPassword, "\n"));
  ASSERT_TRUE(AwaitLinesReceived(1, 3));
  EXPECT_TRUE(alice.ReceivedNothingFor(absl::Milliseconds(20)));
  EXPECT_FALSE(names_.Find(kPassword).has_value());
  EXPECT_EQ(names_.size(), 1u);  // bob
  clock_.Advance(absl::Seconds(10));
  alice.Send("alice\n");
  EXPECT_EQ(alice.Read(3 + strlen(kPasswordPrompt)), absl::StrCat(kWillEcho, kPasswordPrompt));
  bob.Close();
}

// A registered user's /ignore list is kept with the account and restored at the next
// password login; a client without an account keeps it for the connection only.
TEST_F(SessionIdentityTest, IgnoreListsAreKeptWithTheAccount) {
  LineClient alice = Registered("alice");
  LineClient bob = LoggedIn("bob");
  LineClient carol = LoggedIn("carol");
  alice.ReadUntil(Event("carol has joined our chat...", "alice"));
  bob.ReadUntil(Event("carol has joined our chat...", "bob"));
  alice.Send("/ignore bob\n");
  alice.ReadUntil(Prompt("alice"));
  alice.Send("/ignore carol\n");
  alice.ReadUntil(Prompt("alice"));
  ExpectReply(bob, "bob", "/ignore carol",
              "You are now ignoring carol: you will not see their lines, emotes or private "
              "messages, whatever they are called (/unignore carol to undo).\n");
  EXPECT_TRUE(store_->ListIgnores("bob")->empty());
  ExpectReply(alice, "alice", "/unignore carol", "You are no longer ignoring carol.\n");
  EXPECT_THAT(*store_->ListIgnores("alice"),
              ::testing::ElementsAre(identity::IgnoredName{"bob", "bob"}));
  Quit(alice, 0);
  LineClient again = Connect();
  EXPECT_EQ(again.Read(Welcome().size()), Welcome());
  again.Send(absl::StrCat("alice\n", kPassword, "\n"));
  EXPECT_EQ(again.ReadUntil(Prompt("alice")), absl::StrCat(kWillEcho, kPasswordPrompt, Prompt("alice")));
  ExpectReply(again, "alice", "/ignore", "Ignoring (1): bob\n");
  // In force: bob's line is not shown, carol's is.
  bob.Send("hello from bob\n");
  carol.Send("hello from carol\n");
  EXPECT_EQ(again.ReadUntil("hello from carol\n").find("hello from bob"), std::string::npos);
}

TEST_F(SessionIdentityTest, ASavedIgnoreListIsBounded) {
  options_.max_ignored = 2;
  context_.options = options_;
  LineClient first = Registered("alice");
  Quit(first, 0);
  for (const char* name : {"dave", "erin", "frank"}) {  // written by an older server
    ASSERT_TRUE(store_->AddIgnore("alice", identity::IgnoredName{name, name}).ok());
  }
  LineClient alice = Connect();
  EXPECT_EQ(alice.Read(Welcome().size()), Welcome());
  alice.Send(absl::StrCat("alice\n", kPassword, "\n"));
  alice.ReadUntil(Prompt("alice"));
  ExpectReply(alice, "alice", "/ignore", "Ignoring (2): dave, erin\n");
  ASSERT_TRUE(store_->RemoveIgnore("alice", "frank").ok());
  ExpectReply(alice, "alice", "/unignore erin", "You are no longer ignoring erin.\n");
  // The account's list is full (another connection of the account filled it): refused,
  // and the connection's list stays as the account's.
  ASSERT_TRUE(store_->AddIgnore("alice", identity::IgnoredName{"gina", "gina"}).ok());
  LineClient bob = LoggedIn("bob");
  alice.ReadUntil(Prompt("alice"));
  ExpectReply(alice, "alice", "/ignore bob",
              "You are already ignoring 2 people, the most; /unignore someone first.\n");
  ExpectReply(alice, "alice", "/ignore", "Ignoring (1): dave\n");
}

// The same for /name: a name registered between the check and the rename is not taken.
TEST_F(SessionIdentityTest, ANameRegisteredBetweenCheckAndRenameIsNotTaken) {
  context_.identity = hooked_.get();
  LineClient bob = LoggedIn("bob");  // reads 1 and 2: the lookup and the re-read
  hooked_->set_after_find_account([&](int n, std::string_view key) {
    if (n == 3) {  // /name's check
      CreateAccount(key);
    }
  });
  ExpectReply(bob, "bob", "/name alice",
              "Name 'alice' is registered; to use it, log in with it and its password.\n");
  EXPECT_FALSE(names_.Find("alice").has_value());
  ExpectReply(bob, "robert", "/name robert", "You are now known as robert.\n");
  EXPECT_EQ(names_.size(), 1u);
}

TEST_F(SessionIdentityTest, RegistrationOffWithoutAStore) {
  context_.identity = nullptr;
  LineClient alice = LoggedIn("alice");
  ExpectReply(alice, "alice", "/register", "Registered names are not enabled on this server.\n");
  ExpectReply(alice, "alice", "/password", "Registered names are not enabled on this server.\n");
}

}  // namespace
}  // namespace chat
