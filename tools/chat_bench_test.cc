// tools/chat_bench_test.cc: chat_bench's library against an in-process chat::Server over
// loopback, and its pure parts (marker scanning, order check, histogram, host check).
//
// Correctness only: no assertion depends on how fast this machine is.

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "chat/clock.h"
#include "chat/message.h"
#include "chat/server.h"
#include "chat/socket.h"
#include "chat/testing/line_client.h"
#include "chat/transport/tcp_transport.h"
#include "gtest/gtest.h"
#include "tools/bench/expect_clean_run.h"
#include "tools/bench/latency_histogram.h"
#include "tools/bench/load.h"
#include "tools/bench/marker.h"
#include "tools/bench/order_check.h"

namespace chat::bench {
namespace {

// A chat::Server on 127.0.0.1, an ephemeral port, and a thread running it.
class InProcessServer {
 public:
  // `second_port`: one more plain listener ("tcp2") into the same chat.
  explicit InProcessServer(ServerOptions options, bool second_port = false) {
    options.address = "127.0.0.1";
    options.port = 0;
    server_ = std::make_unique<Server>(options, RealClock::Default(), absl::UTCTimeZone());
    if (second_port) {
      server_->AddListener(ListenerOptions{"tcp2", "127.0.0.1", 0, [](ScopedFd fd) {
                                             return std::make_unique<TcpTransport>(std::move(fd));
                                           }});
    }
    status_ = server_->Listen();
    if (status_.ok()) runner_ = std::jthread([this] { server_->Run(); });
  }
  ~InProcessServer() {
    server_->Stop();
    if (runner_.joinable()) runner_.join();
  }

  const absl::Status& status() const { return status_; }
  int port() const { return server_->port(); }
  int second_port() const { return server_->port_of("tcp2"); }
  std::string metrics() const { return server_->metrics().RenderPrometheus(); }

 private:
  std::unique_ptr<Server> server_;
  absl::Status status_;
  std::jthread runner_;
};

// What a load test needs from the server: no flood control.
ServerOptions LoadTestServerOptions() {
  ServerOptions options;
  options.session.max_msgs_per_sec = 0;
  // Every load client comes from 127.0.0.1: one address by design.
  options.address_limits = chat::AddressLimitsOptions::Disabled();
  return options;
}

LoadOptions Load(int port, int clients, int messages) {
  LoadOptions options;
  options.port = port;
  options.clients = clients;
  options.messages_per_client = messages;
  // Generous: only a hung server should ever reach it, sanitizers included.
  options.timeout = absl::Seconds(120);
  return options;
}

// ---------------------------------------------------------------------------------------
// Against a real server.

TEST(ChatBenchTest, EveryLineArrivesOnceInOrderAtEveryOtherClient) {
  InProcessServer server(LoadTestServerOptions());
  ASSERT_TRUE(server.status().ok()) << server.status();

  const LoadResult result = RunLoad(Load(server.port(), 4, 50));
  SCOPED_TRACE(ToJson(result));
  ExpectCleanRun(result, 4, 50);
  EXPECT_EQ(result.deliveries_received, 4 * 3 * 50);
  ASSERT_TRUE(result.latency.has_value());
  EXPECT_LE(result.latency->p50_ms, result.latency->max_ms);
}

TEST(ChatBenchTest, MorePortsSpreadTheClientsAcrossServers) {
  InProcessServer server(LoadTestServerOptions(), /*second_port=*/true);
  ASSERT_TRUE(server.status().ok()) << server.status();
  ASSERT_GT(server.second_port(), 0);

  LoadOptions options = Load(server.port(), 5, 20);
  options.more_ports = {server.second_port()};
  const LoadResult result = RunLoad(options);
  SCOPED_TRACE(ToJson(result));
  ExpectCleanRun(result, 5, 20);
  EXPECT_EQ(result.servers, 2);
  EXPECT_TRUE(absl::StrContains(ToJson(result), "\"servers\":2"));
  // Clients 0, 2, 4 on the first port; 1, 3 on the second.
  const std::string metrics = server.metrics();
  EXPECT_TRUE(
      absl::StrContains(metrics, "tcpchat_transport_connections_accepted_total{transport=\"tcp\"} 3"))
      << metrics;
  EXPECT_TRUE(
      absl::StrContains(metrics, "tcpchat_transport_connections_accepted_total{transport=\"tcp2\"} 2"))
      << metrics;
}

TEST(ChatBenchTest, PacedUnlimitedWindowAndUnpaddedMarkers) {
  InProcessServer server(LoadTestServerOptions());
  ASSERT_TRUE(server.status().ok()) << server.status();

  LoadOptions options = Load(server.port(), 3, 40);
  options.window = 0;
  options.rate = 2000;
  options.payload_bytes = 1;  // shorter than any marker: sent unpadded
  const LoadResult result = RunLoad(options);
  SCOPED_TRACE(ToJson(result));
  ExpectCleanRun(result, 3, 40);
  EXPECT_GT(result.payload_bytes, 1);
}

TEST(ChatBenchTest, SecondRunIgnoresTheFirstRunsLinesInHistory) {
  InProcessServer server(LoadTestServerOptions());
  ASSERT_TRUE(server.status().ok()) << server.status();

  const LoadResult first = RunLoad(Load(server.port(), 4, 50));
  ExpectCleanRun(first, 4, 50);
  // Same names again: the first run's sessions may still be leaving, which the bench
  // rides out by retrying "already taken".
  const LoadResult second = RunLoad(Load(server.port(), 4, 50));
  SCOPED_TRACE(ToJson(second));
  ExpectCleanRun(second, 4, 50);
  EXPECT_NE(second.nonce, first.nonce);
  // Each of the 4 new clients is replayed the first run's 200 lines.
  EXPECT_EQ(second.foreign_markers, 4 * 200);
}

TEST(ChatBenchTest, StalledClientIsDisconnectedAndTheOthersLoseNothing) {
  // A reading client's outbox never holds more than the lines in flight towards it:
  // 3 senders x window 4 x ~4 KB = ~50 KB, well under the limit, however late the
  // server's writer threads run. The stalled client's holds everything, so it overflows.
  ServerOptions server_options = LoadTestServerOptions();
  server_options.session.max_outbox_bytes = 256 * 1024;
  InProcessServer server(server_options);
  ASSERT_TRUE(server.status().ok()) << server.status();

  // About 8 MB towards the stalled client: more than loopback socket buffers (a few MB
  // at most) plus its outbox can hold, so the server must give up on it.
  LoadOptions options = Load(server.port(), 4, 500);
  options.payload_bytes = 4000;
  options.window = 4;
  // A stall would stop counting lines as in flight and void the bound above.
  options.window_timeout = absl::Seconds(60);
  options.stalled_client = true;
  const LoadResult result = RunLoad(options);
  SCOPED_TRACE(ToJson(result));
  ExpectCleanRun(result, 4, 500);
  EXPECT_TRUE(result.stalled_client);
  EXPECT_EQ(result.stalled_client_disconnected, std::optional<bool>(true));
  EXPECT_EQ(result.stalled_client_expected, 4 * 500);
  EXPECT_LT(result.stalled_client_received, result.stalled_client_expected);
}

TEST(ChatBenchTest, FloodControlLossIsReportedWithAHint) {
  InProcessServer server(ServerOptions{});  // default flood control: 20 lines/s, burst 50
  ASSERT_TRUE(server.status().ok()) << server.status();

  LoadOptions options = Load(server.port(), 3, 200);
  options.window_timeout = absl::Milliseconds(200);  // dropped lines stall the window
  const LoadResult result = RunLoad(options);
  SCOPED_TRACE(ToJson(result));
  EXPECT_FALSE(result.timed_out);
  EXPECT_GT(result.lost, 0);
  EXPECT_GT(result.window_stalls, 0);
  EXPECT_EQ(result.duplicated, 0);
  EXPECT_EQ(result.order_violations, 0);
  EXPECT_EQ(ExitCode(result), 1);
  EXPECT_NE(result.error.find("--max_msgs_per_sec=0"), std::string::npos);
}

TEST(ChatBenchTest, NameHeldBySomeoneElseIsASetupFailure) {
  InProcessServer server(LoadTestServerOptions());
  ASSERT_TRUE(server.status().ok()) << server.status();
  absl::StatusOr<chat::testing::LineClient> squatter =
      chat::testing::LineClient::Connect(server.port());
  ASSERT_TRUE(squatter.ok()) << squatter.status();
  squatter->ReadUntil(kNamePrompt);
  squatter->Send("b1\n");
  squatter->ReadUntil("][b1]:");

  const LoadResult result = RunLoad(Load(server.port(), 2, 1));
  SCOPED_TRACE(ToJson(result));
  EXPECT_TRUE(result.setup_failed);
  EXPECT_EQ(ExitCode(result), 3);
  EXPECT_NE(result.error.find("is already taken"), std::string::npos);
}

TEST(ChatBenchTest, OneClientSendsToNobody) {
  InProcessServer server(LoadTestServerOptions());
  ASSERT_TRUE(server.status().ok()) << server.status();

  const LoadResult result = RunLoad(Load(server.port(), 1, 10));
  SCOPED_TRACE(ToJson(result));
  ExpectCleanRun(result, 1, 10);
}

TEST(ChatBenchTest, ServerThatNeverGreetsTimesOut) {
  // Connections complete in the kernel's backlog, but nobody ever sends a banner.
  absl::StatusOr<ScopedFd> listener = ListenTcp("127.0.0.1", 0, 16);
  ASSERT_TRUE(listener.ok()) << listener.status();
  absl::StatusOr<int> port = LocalPort(listener->get());
  ASSERT_TRUE(port.ok());

  LoadOptions options = Load(*port, 2, 1);
  options.timeout = absl::Milliseconds(500);
  const LoadResult result = RunLoad(options);
  SCOPED_TRACE(ToJson(result));
  EXPECT_TRUE(result.timed_out);
  EXPECT_EQ(ExitCode(result), 2);
  EXPECT_NE(result.error.find("timed out logging in"), std::string::npos);
}

TEST(ChatBenchTest, RefusedConnectionIsASetupFailure) {
  int port = 0;
  {
    absl::StatusOr<ScopedFd> listener = ListenTcp("127.0.0.1", 0, 1);
    ASSERT_TRUE(listener.ok()) << listener.status();
    port = *LocalPort(listener->get());
  }  // closed: connecting is now refused
  const LoadResult result = RunLoad(Load(port, 2, 1));
  SCOPED_TRACE(ToJson(result));
  EXPECT_TRUE(result.setup_failed);
  EXPECT_EQ(ExitCode(result), 3);
}

TEST(ChatBenchTest, RefusesNonLoopbackHosts) {
  EXPECT_TRUE(CheckLoopbackHost("127.0.0.1").ok());
  EXPECT_TRUE(CheckLoopbackHost("127.8.9.10").ok());
  EXPECT_TRUE(CheckLoopbackHost("::1").ok());
  EXPECT_TRUE(CheckLoopbackHost("::ffff:127.0.0.1").ok());
  EXPECT_TRUE(CheckLoopbackHost("localhost").ok());
  EXPECT_FALSE(CheckLoopbackHost("10.0.0.1").ok());
  EXPECT_FALSE(CheckLoopbackHost("0.0.0.0").ok());
  EXPECT_FALSE(CheckLoopbackHost("128.0.0.1").ok());
  EXPECT_FALSE(CheckLoopbackHost("::").ok());
  EXPECT_FALSE(CheckLoopbackHost("::ffff:10.0.0.1").ok());
  EXPECT_FALSE(CheckLoopbackHost("example.com").ok());
  EXPECT_FALSE(CheckLoopbackHost("").ok());

  LoadOptions options = Load(8989, 2, 1);
  options.host = "192.0.2.1";
  const LoadResult result = RunLoad(options);
  EXPECT_TRUE(result.setup_failed);
  EXPECT_EQ(ExitCode(result), 3);
  EXPECT_NE(result.error.find("non-loopback"), std::string::npos);
}

// ---------------------------------------------------------------------------------------
// The pieces.

TEST(MarkerTest, PayloadIsPaddedToSize) {
  std::string out = "prefix:";
  const size_t length = AppendPayload(&out, "CLMKabc123", Marker{2, 7, 123456}, 40);
  EXPECT_EQ(length, 40u);
  EXPECT_EQ(out, absl::StrCat("prefix:CLMKabc123.2.7.123456.", std::string(18, 'x')));

  std::string unpadded;
  EXPECT_EQ(AppendPayload(&unpadded, "CLMKabc123", Marker{2, 7, 123456}, 5), 22u);
  EXPECT_EQ(unpadded, "CLMKabc123.2.7.123456.");
}

TEST(MarkerTest, FindsEachMarkerOnceWhereverTheStreamIsSplit) {
  const std::string token = MarkerToken("abc123");
  std::string stream = "[2026-11-23 18:30:00][b0]:\n[2026-11-23 18:30:00][b1]:";
  AppendPayload(&stream, token, Marker{1, 0, 111}, 40);
  stream += "\n[2026-11-23 18:30:00][b0]:\n[2026-11-23 18:30:00][b2]:CLMKfff999.1.2.3.xx\n";
  stream += "[2026-11-23 18:30:00][b2]:CLMKabc123.oops\n[t][b3]:";
  AppendPayload(&stream, token, Marker{3, 4, 222}, 0);
  stream += "\n[t][b0]:CLM";

  for (size_t split = 0; split <= stream.size(); ++split) {
    SCOPED_TRACE(absl::StrCat("split at ", split));
    MarkerScanner scanner(token);
    std::vector<Marker> found;
    const auto collect = [&](const Marker& marker) { found.push_back(marker); };
    scanner.Feed(std::string_view(stream).substr(0, split), collect);
    scanner.Feed(std::string_view(stream).substr(split), collect);
    ASSERT_EQ(found.size(), 2u);
    EXPECT_EQ(found[0].sender, 1);
    EXPECT_EQ(found[0].seq, 0);
    EXPECT_EQ(found[0].send_ns, 111);
    EXPECT_EQ(found[1].sender, 3);
    EXPECT_EQ(found[1].seq, 4);
    EXPECT_EQ(found[1].send_ns, 222);
    EXPECT_EQ(scanner.foreign(), 1);
    EXPECT_EQ(scanner.garbled(), 1);
  }

  MarkerScanner byte_by_byte(token);
  int found = 0;
  for (char c : stream) {
    byte_by_byte.Feed(std::string_view(&c, 1), [&](const Marker&) { ++found; });
  }
  EXPECT_EQ(found, 2);
  EXPECT_EQ(byte_by_byte.foreign(), 1);
  EXPECT_EQ(byte_by_byte.garbled(), 1);
}

// A message's text is scanned whole, as if it ended in a newline: a marker cut short by
// the end of one text is not completed by the next.
TEST(MarkerTest, FeedMessageIsFeedOfTheTextAndANewline) {
  const std::string token = MarkerToken("abc123");
  std::string whole;
  AppendPayload(&whole, token, Marker{1, 2, 333}, 40);
  const std::vector<std::string> texts = {
      whole, "CLM", "CLMKabc", whole.substr(0, 15), whole.substr(15),
      "hi " + whole, "CLMKfff999.1.2.3.xx", token + ".1.2.", "", "CL"};
  MarkerScanner by_message(token);
  MarkerScanner by_line(token);
  std::vector<int64_t> from_messages;
  std::vector<int64_t> from_lines;
  for (const std::string& text : texts) {
    SCOPED_TRACE(text);
    by_message.FeedMessage(text, [&](const Marker& m) { from_messages.push_back(m.send_ns); });
    by_line.Feed(text + "\n", [&](const Marker& m) { from_lines.push_back(m.send_ns); });
    EXPECT_EQ(from_messages, from_lines);
    EXPECT_EQ(by_message.foreign(), by_line.foreign());
    EXPECT_EQ(by_message.garbled(), by_line.garbled());
  }
  EXPECT_EQ(from_messages, (std::vector<int64_t>{333, 333}));
  EXPECT_EQ(by_message.foreign(), 2);  // "CLMKabc" cut short, another nonce
  EXPECT_EQ(by_message.garbled(), 2);  // cut after "CLMKabc123.1.2."
}

TEST(MarkerTest, NoncesDiffer) {
  // 24 random bits: two equal in a row would be a 1 in 16 million coincidence.
  EXPECT_EQ(MakeNonce().size(), 6u);
  EXPECT_NE(MakeNonce(), MakeNonce());
}

TEST(OrderCheckTest, AgreeingReceiversWithDifferentSubsets) {
  // Message ids 0..5; each receiver misses some (its own), order otherwise shared.
  const std::vector<std::vector<int32_t>> orders = {{1, 2, 4, 5}, {0, 2, 3, 5}, {0, 1, 3, 4, 5}};
  EXPECT_TRUE(HasCommonTotalOrder(orders, 6));
  EXPECT_EQ(SameGlobalOrder(orders, 6, 1000), std::optional<bool>(true));
}

TEST(OrderCheckTest, DisagreeingPairIsFound) {
  const std::vector<std::vector<int32_t>> orders = {{0, 1, 2}, {0, 2, 1}, {0, 1, 2}};
  EXPECT_FALSE(HasCommonTotalOrder(orders, 3));
  EXPECT_EQ(SameGlobalOrder(orders, 3, 1000), std::optional<bool>(false));
}

TEST(OrderCheckTest, PairwiseAgreementWithoutATotalOrder) {
  // x<y, y<z, z<x: every pair shares one message, so every pair agrees.
  const std::vector<std::vector<int32_t>> orders = {{0, 1}, {1, 2}, {2, 0}};
  EXPECT_FALSE(HasCommonTotalOrder(orders, 3));
  EXPECT_EQ(SameGlobalOrder(orders, 3, 1000), std::optional<bool>(true));
  EXPECT_EQ(SameGlobalOrder(orders, 3, 1), std::nullopt);  // over budget: unknown
}

TEST(LatencyHistogramTest, PercentilesWithinBucketPrecision) {
  LatencyHistogram histogram;
  EXPECT_EQ(histogram.Percentile(0.5), 0);
  for (int64_t us = 1; us <= 1000; ++us) histogram.Record(us * 1000);
  histogram.Record(-5);  // clamped to 0
  EXPECT_EQ(histogram.count(), 1001);
  EXPECT_EQ(histogram.max(), 1'000'000);
  EXPECT_NEAR(static_cast<double>(histogram.Percentile(0.5)), 500'000, 500'000 * 0.01);
  EXPECT_NEAR(static_cast<double>(histogram.Percentile(0.99)), 990'000, 990'000 * 0.01);
  EXPECT_EQ(histogram.Percentile(1.0), 1'000'000);
  EXPECT_EQ(histogram.Percentile(0.0), 0);
}

TEST(ToJsonTest, OneLineWithEscapedStrings) {
  LoadResult result;
  result.clients = 3;
  result.error = "bad \"name\"\n";
  result.same_global_order = true;
  const std::string json = ToJson(result);
  EXPECT_EQ(json.find('\n'), std::string::npos);
  EXPECT_EQ(json.front(), '{');
  EXPECT_EQ(json.back(), '}');
  EXPECT_NE(json.find("\"clients\":3,"), std::string::npos);
  EXPECT_NE(json.find("\"same_global_order\":true"), std::string::npos);
  EXPECT_NE(json.find("\"latency_ms\":null"), std::string::npos);
  EXPECT_NE(json.find(R"("error":"bad \"name\"\n")"), std::string::npos);
  EXPECT_EQ(json.find("stalled_client"), std::string::npos);
  EXPECT_EQ(json.find("server_peak_rss_kb"), std::string::npos);
}

TEST(ExitCodeTest, SetupBeatsTimeoutBeatsProblems) {
  LoadResult result;
  EXPECT_EQ(ExitCode(result), 0);
  result.same_global_order = false;
  EXPECT_EQ(ExitCode(result), 1);
  result.timed_out = true;
  EXPECT_EQ(ExitCode(result), 2);
  result.setup_failed = true;
  EXPECT_EQ(ExitCode(result), 3);
}

}  // namespace
}  // namespace chat::bench
