// tools/chat_bench_transport_test.cc: chat_bench's driver over every transport (tcp, tls,
// ws, wss) against the real server binary, and the framing and JSON pieces it uses.
//
// Correctness only: every line arrives once, in order, at every other client; no
// assertion depends on how fast this machine is.

#include <signal.h>
#include <sys/wait.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "chat/testing/server_process.h"
#include "chat/testing/subprocess.h"
#include "chat/testing/test_files.h"
#include "gtest/gtest.h"
#include "tools/bench/expect_clean_run.h"
#include "tools/bench/load.h"
#include "tools/bench/transport.h"

namespace chat::bench {
namespace {

using testing::Subprocess;

constexpr char kServer[] = "chat/server";
constexpr char kMakeCert[] = "tools/make_cert.sh";
constexpr absl::Duration kPatience = absl::Seconds(30);

// The flags tools/bench.sh runs the server with: a load generator is a flood from one
// address by design.
const std::vector<std::string> kUnlimited = {
    "--max_msgs_per_sec=0",   "--max_pending_per_ip=0", "--logins_per_minute_per_ip=0",
    "--ip_lines_per_sec=0",   "--ip_bytes_per_sec=0",   "--tls_handshakes_per_minute_per_ip=0",
    "--max_clients=20"};

// The real server on free loopback ports: --port, --http_port and, with a certificate,
// --tls_port (which also makes the web port https/wss).
class ServerBinary {
 public:
  explicit ServerBinary(bool with_tls) {
    std::vector<std::string> argv = {kServer, "--port=0"};
    argv.insert(argv.end(), kUnlimited.begin(), kUnlimited.end());
    http_port_ = testing::FreeLoopbackPort();
    argv.push_back(absl::StrCat("--http_port=", http_port_));
    if (with_tls) {
      const std::string dir = testing::TempPath(
          absl::StrCat(::testing::UnitTest::GetInstance()->current_test_info()->name(), "_certs"));
      Subprocess make({"/bin/bash", kMakeCert, dir});
      const std::optional<int> made = make.Wait(kPatience);
      EXPECT_TRUE(made.has_value() && WEXITSTATUS(*made) == 0) << make.DrainStderr();
      argv.push_back(absl::StrCat("--tls_port=", testing::FreeLoopbackPort()));
      argv.push_back(absl::StrCat("--tls_cert_file=", dir, "/cert.pem"));
      argv.push_back(absl::StrCat("--tls_key_file=", dir, "/key.pem"));
    }
    server_.emplace(argv);
    port_ = testing::ReadPortLine(*server_, "Listening on the port :", kPatience);
    if (with_tls) {
      tls_port_ = testing::ReadPortLine(*server_, "Listening for TLS on the port :", kPatience);
    }
    // The web port is listening once the server says so.
    EXPECT_TRUE(server_->ReadStdoutUntil("Chat page on port", kPatience).has_value());
  }

  ~ServerBinary() {
    server_->Signal(SIGTERM);
    const std::optional<int> status = server_->Wait(kPatience);
    EXPECT_TRUE(status.has_value() && WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
        << server_->DrainStderr();
  }

  int port() const { return port_; }
  int tls_port() const { return tls_port_; }
  int http_port() const { return http_port_; }
  int pid() const { return server_->pid(); }

 private:
  std::optional<Subprocess> server_;
  int port_ = -1;
  int tls_port_ = -1;
  int http_port_ = -1;
};

LoadOptions Small(Transport transport, int port) {
  LoadOptions options;
  options.transport = transport;
  options.port = port;
  options.clients = 5;
  options.messages_per_client = 20;
  options.name_prefix = std::string(TransportName(transport));
  // Generous: only a hung server should ever reach it, sanitizers included.
  options.timeout = absl::Seconds(120);
  return options;
}

void ExpectCompleteAndOrdered(const LoadResult& result, const LoadOptions& options) {
  SCOPED_TRACE(ToJson(result));
  EXPECT_EQ(result.transport, TransportName(options.transport));
  ExpectCleanRun(result, options.clients, options.messages_per_client);
}

TEST(ChatBenchTransportTest, PlainTlsAndWssAgainstOneServer) {
  ServerBinary server(/*with_tls=*/true);
  ASSERT_GT(server.port(), 0);
  ASSERT_GT(server.tls_port(), 0);
  const std::vector<LoadOptions> runs = {Small(Transport::kTcp, server.port()),
                                         Small(Transport::kTls, server.tls_port()),
                                         Small(Transport::kWss, server.http_port())};
  int64_t earlier_lines = 0;
  for (LoadOptions options : runs) {
    options.server_pid = server.pid();
    const LoadResult result = RunLoad(options);
    ExpectCompleteAndOrdered(result, options);
    // The earlier runs' lines come back as history (net-cat text or a welcome's array),
    // recognised as another run's, to each new client.
    EXPECT_EQ(result.foreign_markers, earlier_lines * options.clients);
    earlier_lines += result.messages_sent;
  }
}

TEST(ChatBenchTransportTest, PlainWebSocketWithoutACertificate) {
  ServerBinary server(/*with_tls=*/false);
  ASSERT_GT(server.http_port(), 0);
  const LoadOptions options = Small(Transport::kWs, server.http_port());
  ExpectCompleteAndOrdered(RunLoad(options), options);
  // A second run logs in under the same names and ignores the first's lines.
  const LoadResult again = RunLoad(options);
  ExpectCompleteAndOrdered(again, options);
  EXPECT_EQ(again.foreign_markers, 5 * 20 * 5);
}

TEST(ChatBenchTransportTest, WrongTransportForThePortIsASetupFailure) {
  ServerBinary server(/*with_tls=*/true);
  LoadOptions tls_to_plain = Small(Transport::kTls, server.port());
  tls_to_plain.timeout = absl::Seconds(20);
  const LoadResult refused = RunLoad(tls_to_plain);
  EXPECT_TRUE(refused.setup_failed) << ToJson(refused);
  EXPECT_EQ(ExitCode(refused), 3);
  EXPECT_NE(refused.error.find("--tls_port"), std::string::npos) << refused.error;

  LoadOptions stalled = Small(Transport::kWs, server.http_port());
  stalled.stalled_client = true;
  const LoadResult rejected = RunLoad(stalled);
  EXPECT_TRUE(rejected.setup_failed);
  EXPECT_NE(rejected.error.find("--transport=tcp"), std::string::npos) << rejected.error;
}

// ---------------------------------------------------------------------------------------
// The pieces.

TEST(TransportTest, NamesRoundTrip) {
  for (const Transport t : {Transport::kTcp, Transport::kTls, Transport::kWs, Transport::kWss}) {
    EXPECT_EQ(ParseTransport(TransportName(t)), std::optional<Transport>(t));
  }
  EXPECT_EQ(ParseTransport("http"), std::nullopt);
  EXPECT_EQ(ParseTransport(""), std::nullopt);
}

// A server frame: unmasked, FIN as given, the length in its shortest form.
std::string ServerFrame(uint8_t opcode, std::string_view payload, bool fin = true) {
  std::string frame(1, static_cast<char>((fin ? 0x80 : 0) | opcode));
  if (payload.size() < 126) {
    frame.push_back(static_cast<char>(payload.size()));
  } else {
    frame.push_back(126);
    frame.push_back(static_cast<char>(payload.size() >> 8));
    frame.push_back(static_cast<char>(payload.size() & 0xFF));
  }
  return frame + std::string(payload);
}

TEST(WebSocketFramesTest, MessagesWhereverTheStreamIsSplit) {
  const std::string big(300, 'y');
  const std::string stream = ServerFrame(0x1, R"({"type":"banner"})") +
                             ServerFrame(0x9, "ping") +  // ignored
                             ServerFrame(0x1, "{\"a\":", /*fin=*/false) +
                             ServerFrame(0x0, big, /*fin=*/false) + ServerFrame(0x0, "}") +
                             ServerFrame(0x1, "") + ServerFrame(0x8, "\x03\xe8");
  for (size_t split = 0; split <= stream.size(); ++split) {
    SCOPED_TRACE(absl::StrCat("split at ", split));
    WebSocketFrames frames;
    std::vector<std::string> messages;
    const auto collect = [&](std::string_view m) { messages.emplace_back(m); };
    EXPECT_EQ(frames.Feed(std::string_view(stream).substr(0, split), collect),
              split == stream.size() ? WebSocketFrames::Result::kClosed
                                     : WebSocketFrames::Result::kOk);
    if (split < stream.size()) {
      EXPECT_EQ(frames.Feed(std::string_view(stream).substr(split), collect),
                WebSocketFrames::Result::kClosed);
    }
    ASSERT_EQ(messages.size(), 3u);
    EXPECT_EQ(messages[0], R"({"type":"banner"})");
    EXPECT_EQ(messages[1], "{\"a\":" + big + "}");
    EXPECT_EQ(messages[2], "");
  }
}

TEST(WebSocketFramesTest, BinaryAndStrayContinuationsAreProtocolErrors) {
  const auto ignore = [](std::string_view) {};
  WebSocketFrames binary;
  EXPECT_EQ(binary.Feed(ServerFrame(0x2, "x"), ignore), WebSocketFrames::Result::kProtocolError);
  WebSocketFrames stray;
  EXPECT_EQ(stray.Feed(ServerFrame(0x0, "x"), ignore), WebSocketFrames::Result::kProtocolError);
}

TEST(WebSocketFramesTest, ClientFramesAreMaskedTextAndUpgradeNamesItsOrigin) {
  WebSocketFrames frames;
  std::string out;
  frames.AppendText("hello", &out);
  ASSERT_EQ(out.size(), 2u + 4u + 5u);
  EXPECT_EQ(static_cast<uint8_t>(out[0]), 0x81);  // FIN, text
  EXPECT_EQ(static_cast<uint8_t>(out[1]), 0x80 | 5);  // masked, 5 bytes
  std::string payload = out.substr(6);
  for (size_t i = 0; i < payload.size(); ++i) payload[i] ^= out[2 + i % 4];
  EXPECT_EQ(payload, "hello");

  const std::string request = WebSocketFrames::UpgradeRequest("127.0.0.1", 8990, true);
  EXPECT_TRUE(request.starts_with("GET /ws HTTP/1.1\r\n"));
  EXPECT_NE(request.find("\r\nHost: 127.0.0.1:8990\r\n"), std::string::npos);
  EXPECT_NE(request.find("\r\nOrigin: https://127.0.0.1:8990\r\n"), std::string::npos);
  EXPECT_NE(WebSocketFrames::UpgradeRequest("::1", 80, false).find("Host: [::1]:80\r\n"),
            std::string::npos);
}

TEST(ParseServerMessageTest, PlainAndEscapedChatGiveTheSameText) {
  ServerMessage message;
  ASSERT_TRUE(ParseServerMessage(
      R"({"type":"chat","room":"general","time":"2026-11-27T12:00:00Z","name":"b1",)"
      R"("text":"CLMKabc.1.2.3.xx"})",
      &message));
  EXPECT_EQ(message.type, "chat");
  EXPECT_EQ(message.text, "CLMKabc.1.2.3.xx");
  // An escape takes the full parser; a name that looks like a member does not fool it.
  ASSERT_TRUE(ParseServerMessage(
      R"({"type":"chat","room":"general","time":"t","name":",\"text\":\"no",)"
      R"("text":"say \"hi\"\n"})",
      &message));
  EXPECT_EQ(message.type, "chat");
  EXPECT_EQ(message.name, ",\"text\":\"no");
  EXPECT_EQ(message.text, "say \"hi\"\n");
  ASSERT_TRUE(ParseServerMessage(R"({"type":"chat","text":"caf\u00e9"})", &message));
  EXPECT_EQ(message.text, "caf\xC3\xA9");
}

// The shortcut takes exactly what the full parse would, or declines.
TEST(ParseServerMessageTest, PlainChatTextIsTheParsedTextOrNothing) {
  const std::string_view plain =
      R"({"type":"chat","room":"general","time":"2026-11-27T12:00:00Z","name":"b1",)"
      R"("text":"CLMKabc.1.2.3.xx"})";
  ASSERT_TRUE(PlainChatText(plain).has_value());
  EXPECT_EQ(*PlainChatText(plain), "CLMKabc.1.2.3.xx");
  EXPECT_EQ(PlainChatText(plain)->data(), plain.data() + plain.rfind("CLMK"));  // no copy
  EXPECT_EQ(PlainChatText(R"({"type":"chat","text":"x"})"), std::optional<std::string_view>("x"));
  EXPECT_EQ(PlainChatText(R"({"type":"chat","text":""})"), std::optional<std::string_view>(""));
  for (const std::string_view declined : {
           R"({"type":"chat","name":"a","text":"say "hi""})",  // escaped quotes
           R"({"type":"chat","name":"a","text":"tab	here"})",    // an escape
           R"({"type":"chat","name":"a","text":"café"})",
           R"({"type":"chat","name":"a,"text":"","text":"x\"})",
           R"({"type":"emote","name":"a","text":"waves"})",       // not a chat
           R"({"type":"chat","name":"a","text":"x"} )",           // not the end
           R"({"type":"chat","name":"x"})",                       // no text
           R"({"type":"chat","text":"})",                          // too short
           R"({"type":"chat","name":"a","text2":"x"})",
       }) {
    SCOPED_TRACE(declined);
    EXPECT_FALSE(PlainChatText(declined).has_value());
  }
  // A UTF-8 text is not plain ASCII: parsed in full, same answer.
  ServerMessage message;
  EXPECT_FALSE(PlainChatText("{\"type\":\"chat\",\"text\":\"caf\xC3\xA9\"}").has_value());
  ASSERT_TRUE(ParseServerMessage("{\"type\":\"chat\",\"text\":\"caf\xC3\xA9\"}", &message));
  EXPECT_EQ(message.text, "caf\xC3\xA9");
}

TEST(ParseServerMessageTest, WelcomeKeepsNameAndHistoryTexts) {
  ServerMessage message;
  ASSERT_TRUE(ParseServerMessage(
      R"({"type":"welcome","name":"b0","room":"general","users":["b0","b1"],)"
      R"("history":[{"type":"chat","name":"x","text":"one"},)"
      R"({"type":"emote","name":"y","text":"two","extra":{"text":"deep"}}]})",
      &message));
  EXPECT_EQ(message.type, "welcome");
  EXPECT_EQ(message.name, "b0");
  EXPECT_EQ(message.text, "");
  EXPECT_EQ(message.history_texts, (std::vector<std::string>{"one", "two"}));
}

TEST(ParseServerMessageTest, NotJson) {
  ServerMessage message;
  EXPECT_FALSE(ParseServerMessage("", &message));
  EXPECT_FALSE(ParseServerMessage("[1]", &message));
  EXPECT_FALSE(ParseServerMessage(R"({"type":"chat")", &message));
  EXPECT_FALSE(ParseServerMessage(R"({"type":"chat"} trailing)", &message));
}

TEST(LoginAndSayMessagesTest, AreTheProtocolsJson) {
  EXPECT_EQ(LoginMessage("b0"), R"({"name":"b0","type":"login"})");
  std::string out = "x";
  AppendSayMessage("a \"quoted\" line", &out);
  EXPECT_EQ(out, R"(x{"text":"a \"quoted\" line","type":"say"})");
}

}  // namespace
}  // namespace chat::bench
