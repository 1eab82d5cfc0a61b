// The web port in a real server over loopback, beside net-cat clients, with a fake clock
// for exact bytes: browser users are clients like any other.

#include <memory>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "chat/message.h"
#include "chat/server.h"
#include "chat/testing/fake_clock.h"
#include "chat/testing/line_client.h"
#include "chat/testing/protocol.h"
#include "chat/testing/websocket_client.h"
#include "chat/web/web_listener.h"
#include "gtest/gtest.h"

namespace chat {
namespace {

using Json = nlohmann::json;
using testing::LineClient;
using testing::WebSocketClient;

const absl::Time kStart =
    absl::FromCivil(absl::CivilSecond(2026, 11, 27, 12, 0, 0), absl::UTCTimeZone());

// A net-cat line and its redrawn prompt, as the fake clock stamps them.
std::string NetcatEvent(std::string_view line, std::string_view recipient) {
  return absl::StrCat("\n", line, "\n", FormatPrompt(kStart, absl::UTCTimeZone(), recipient));
}

class WebServerTest : public ::testing::Test {
 protected:
  WebServerTest() : clock_(kStart) {}
  ~WebServerTest() override {
    if (server_ == nullptr) return;
    server_->Stop();
    runner_.join();
  }

  void Start(ServerOptions options = {}, WebSocketOptions web = {}) {
    options.address = "127.0.0.1";
    options.port = 0;
    server_ = std::make_unique<Server>(options, clock_, absl::UTCTimeZone());
    server_->AddListener(WebListener("127.0.0.1", 0, nullptr, std::move(web)));
    ASSERT_TRUE(server_->Listen().ok());
    runner_ = std::jthread([this] { server_->Run(); });
  }

  LineClient Netcat(std::string_view name) {
    absl::StatusOr<LineClient> client = LineClient::Connect(server_->port());
    EXPECT_TRUE(client.ok());
    testing::LogIn(*client, name, FormatPrompt(kStart, absl::UTCTimeZone(), name));
    return *std::move(client);
  }

  WebSocketClient Browser() {
    absl::StatusOr<WebSocketClient> client = WebSocketClient::Connect(server_->port_of("web"));
    EXPECT_TRUE(client.ok());
    EXPECT_TRUE(absl::StartsWith(client->Upgrade(absl::StrCat("127.0.0.1:", server_->port_of("web"))),
                                 "HTTP/1.1 101 "));
    EXPECT_EQ(Next(*client)["type"], "banner");
    return *std::move(client);
  }

  // Logs in and returns the welcome.
  Json LogIn(WebSocketClient& client, std::string_view name) {
    client.SendText(Json{{"type", "login"}, {"name", name}}.dump());
    return Next(client);
  }

  static Json Next(WebSocketClient& client) {
    const WebSocketClient::Message message = client.Read();
    EXPECT_EQ(message.opcode, 1) << message.payload;
    return message.opcode == 1 ? Json::parse(message.payload) : Json();
  }

  testing::FakeClock clock_;
  std::unique_ptr<Server> server_;
  std::jthread runner_;
};

TEST_F(WebServerTest, NetcatSeesABrowserUsersLinesByteForByteAndTheBrowserSeesTheirs) {
  Start();
  WebSocketClient alice = Browser();
  const Json welcome = LogIn(alice, "alice");
  EXPECT_EQ(welcome["type"], "welcome");
  EXPECT_EQ(welcome["room"], "general");
  EXPECT_EQ(welcome["users"], Json::array({"alice"}));

  LineClient bob = Netcat("bob");
  EXPECT_EQ(Next(alice), Json::parse(R"({"type":"join","room":"general",
      "time":"2026-11-27T12:00:00Z","name":"bob"})"));

  alice.SendText(R"({"type":"say","text":"hi from a browser"})");
  // Exactly what bob would see had alice typed it into nc.
  const std::string expected = NetcatEvent("[2026-11-27 12:00:00][alice]:hi from a browser", "bob");
  EXPECT_EQ(bob.Read(expected.size()), expected);

  bob.Send("hi from nc\n");
  const std::string prompt = FormatPrompt(kStart, absl::UTCTimeZone(), "bob");
  EXPECT_EQ(bob.Read(prompt.size()), prompt);
  EXPECT_EQ(Next(alice), Json::parse(R"({"type":"chat","room":"general",
      "time":"2026-11-27T12:00:00Z","name":"bob","text":"hi from nc"})"));

  // Commands work the same, and their replies come back as JSON.
  alice.SendText(R"({"type":"say","text":"/me waves\n/msg bob psst\n/frob"})");
  const std::string emote = NetcatEvent("[2026-11-27 12:00:00] * alice waves", "bob");
  const std::string whisper = NetcatEvent("[2026-11-27 12:00:00][alice -> you]:psst", "bob");
  EXPECT_EQ(bob.Read(emote.size() + whisper.size()), emote + whisper);
  EXPECT_EQ(Next(alice),
            Json::parse(R"js({"type":"error","text":"Unknown command: /frob (try /help)"})js"));
}

TEST_F(WebServerTest, OnlyThePagesOwnOriginAndTheAllowedOnesMayOpenTheWebSocket) {
  WebSocketOptions web;
  ASSERT_EQ(ParseOriginList("https://dashboard.example", &web.origins), std::nullopt);
  Start({}, web);
  const std::string host = absl::StrCat("127.0.0.1:", server_->port_of("web"));
  const auto upgrade_from = [&](std::string_view origin) {
    absl::StatusOr<WebSocketClient> client = WebSocketClient::Connect(server_->port_of("web"));
    EXPECT_TRUE(client.ok());
    return client->Upgrade(host, absl::StrCat("Origin: ", origin, "\r\n"));
  };
  EXPECT_TRUE(absl::StartsWith(upgrade_from("https://dashboard.example"), "HTTP/1.1 101 "));
  EXPECT_TRUE(absl::StartsWith(upgrade_from(absl::StrCat("http://", host)), "HTTP/1.1 101 "));
  EXPECT_TRUE(absl::StartsWith(upgrade_from("https://evil.example"), "HTTP/1.1 403 "));
}

TEST_F(WebServerTest, ANameInUseOrALookAlikeIsAnErrorAndTheLoginCanBeRetried) {
  Start();
  LineClient alice = Netcat("alice");
  WebSocketClient browser = Browser();
  EXPECT_EQ(LogIn(browser, "ALICE"),
            Json::parse(R"({"type":"error","text":"Name 'ALICE' is already taken."})"));
  // A Cyrillic а: the same name under the same rules as for nc.
  EXPECT_EQ(LogIn(browser, "\xD0\xB0lice"),
            Json::parse(R"({"type":"error","text":"Name 'аlice' is already taken."})"));
  EXPECT_EQ(LogIn(browser, "bad[name]")["type"], "error");
  const Json welcome = LogIn(browser, "carol");
  EXPECT_EQ(welcome["type"], "welcome");
  EXPECT_EQ(welcome["users"], Json::array({"alice", "carol"}));
}

TEST_F(WebServerTest, ReplayedHistoryIsInTheWelcome) {
  Start();
  LineClient alice = Netcat("alice");
  WebSocketClient bob = Browser();
  alice.Send("one\n/me two\nthree\n");
  // A fresh prompt follows each line once it is in the room's log.
  const std::string prompt = FormatPrompt(kStart, absl::UTCTimeZone(), "alice");
  EXPECT_EQ(alice.Read(3 * prompt.size()), prompt + prompt + prompt);
  const Json welcome = LogIn(bob, "bob");
  ASSERT_EQ(welcome["history"].size(), 3u);
  EXPECT_EQ(welcome["history"][0]["text"], "one");
  EXPECT_EQ(welcome["history"][1]["type"], "emote");
  EXPECT_EQ(welcome["history"][2]["text"], "three");
}

TEST_F(WebServerTest, BrowserUsersCountTowardsTheClientLimit) {
  ServerOptions options;
  options.max_clients = 2;
  Start(options);
  LineClient alice = Netcat("alice");
  WebSocketClient bob = Browser();
  LogIn(bob, "bob");
  // The third waits in the backlog: its request is not even read.
  absl::StatusOr<WebSocketClient> carol = WebSocketClient::Connect(server_->port_of("web"));
  ASSERT_TRUE(carol.ok());
  carol->Send(WebSocketClient::UpgradeRequest("127.0.0.1"));
  EXPECT_TRUE(carol->line().ReceivedNothingFor(absl::Milliseconds(200)));
  alice.Send("/quit\n");
  EXPECT_TRUE(absl::StartsWith(carol->ReadHead(), "HTTP/1.1 101 "));
}

TEST_F(WebServerTest, ARequestNeverFinishedIsClosedAtTheLoginTimeout) {
  ServerOptions options;
  options.session.login_timeout = absl::Milliseconds(300);
  Start(options);
  absl::StatusOr<LineClient> slow = LineClient::Connect(server_->port_of("web"));
  ASSERT_TRUE(slow.ok());
  slow->Send("GET /ws HTTP/1.1\r\nHo");
  EXPECT_TRUE(absl::StartsWith(slow->ReadToEnd(), "HTTP/1.1 408 Request Timeout\r\n"));
}

// A browser refused by the per-address limits is told why in HTTP, so it can show it.
TEST_F(WebServerTest, APerAddressRefusalIsAnHttpAnswer) {
  ServerOptions options;
  options.address_limits.max_pending_per_address = 1;
  Start(options);
  absl::StatusOr<LineClient> waiting = LineClient::Connect(server_->port_of("web"));
  ASSERT_TRUE(waiting.ok());
  absl::StatusOr<LineClient> refused = LineClient::Connect(server_->port_of("web"));
  ASSERT_TRUE(refused.ok());
  const std::string answer = refused->ReadToEnd();
  EXPECT_TRUE(absl::StartsWith(answer, "HTTP/1.1 503 Service Unavailable\r\n")) << answer;
  EXPECT_TRUE(absl::EndsWith(answer,
                             "\r\n\r\nToo many connections from your address are waiting at "
                             "the name prompt (1); log in on one of them first.\n"))
      << answer;
}

TEST_F(WebServerTest, ThePageIsServedOnTheSamePort) {
  Start();
  absl::StatusOr<LineClient> client = LineClient::Connect(server_->port_of("web"));
  ASSERT_TRUE(client.ok());
  client->Send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
  const std::string page = client->ReadToEnd();
  EXPECT_TRUE(absl::StartsWith(page, "HTTP/1.1 200 OK\r\n"));
  EXPECT_TRUE(absl::StrContains(page, "<title>TCP-Chat</title>"));
}

}  // namespace
}  // namespace chat
