#include "chat/metrics/server_metrics.h"

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace chat::metrics {
namespace {

using ::testing::HasSubstr;

// The value of the one sample line that starts with `series` followed by a space.
double SampleValue(const std::string& text, const std::string& series) {
  for (std::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::StartsWith(line, series + " ")) {
      double value = 0;
      if (absl::SimpleAtod(line.substr(series.size() + 1), &value)) return value;
    }
  }
  ADD_FAILURE() << "no sample " << series << " in:\n" << text;
  return -1;
}

TEST(ServerMetricsTest, ExportsEveryFamilyWithHelpAndType) {
  ServerMetrics metrics("1.2.3");
  const std::string text = metrics.RenderPrometheus();
  const std::vector<std::pair<std::string, std::string>> families = {
      {"tcpchat_connected_clients", "gauge"},
      {"tcpchat_logged_in_clients", "gauge"},
      {"tcpchat_admission_blocked", "gauge"},
      {"tcpchat_connections_accepted_total", "counter"},
      {"tcpchat_messages_received_total", "counter"},
      {"tcpchat_messages_broadcast_total", "counter"},
      {"tcpchat_deliveries_total", "counter"},
      {"tcpchat_received_bytes_total", "counter"},
      {"tcpchat_sent_bytes_total", "counter"},
      {"tcpchat_slow_client_disconnects_total", "counter"},
      {"tcpchat_history_write_errors_total", "counter"},
      {"tcpchat_history_fsync_duration_seconds", "histogram"},
      {"tcpchat_disconnects_total", "counter"},
      {"tcpchat_rejected_lines_total", "counter"},
      {"tcpchat_process_threads", "gauge"},
      {"tcpchat_uptime_seconds", "gauge"},
      {"tcpchat_build_info", "gauge"},
  };
  for (const auto& [name, type] : families) {
    EXPECT_THAT(text, HasSubstr(absl::StrCat("\n# TYPE ", name, " ", type, "\n"))) << name;
    EXPECT_THAT(text, HasSubstr(absl::StrCat("# HELP ", name, " "))) << name;
  }
  EXPECT_THAT(text, HasSubstr("\ntcpchat_build_info{version=\"1.2.3\"} 1\n"));
}

TEST(ServerMetricsTest, MembersShowUpInTheirSeries) {
  ServerMetrics metrics("v");
  metrics.connected_clients.Set(3);
  metrics.logged_in_clients.Set(2);
  metrics.admission_blocked.Set(1);
  metrics.connections_accepted.Increment(7);
  metrics.received_bytes.Increment(1234);
  metrics.history_fsync_seconds.Observe(0.0003);
  const std::string text = metrics.RenderPrometheus();
  EXPECT_EQ(SampleValue(text, "tcpchat_connected_clients"), 3);
  EXPECT_EQ(SampleValue(text, "tcpchat_logged_in_clients"), 2);
  EXPECT_EQ(SampleValue(text, "tcpchat_admission_blocked"), 1);
  EXPECT_EQ(SampleValue(text, "tcpchat_connections_accepted_total"), 7);
  EXPECT_EQ(SampleValue(text, "tcpchat_received_bytes_total"), 1234);
  EXPECT_EQ(SampleValue(text, "tcpchat_history_fsync_duration_seconds_count"), 1);
  EXPECT_EQ(SampleValue(text, "tcpchat_history_fsync_duration_seconds_bucket{le=\"0.00025\"}"), 0);
  EXPECT_EQ(SampleValue(text, "tcpchat_history_fsync_duration_seconds_bucket{le=\"0.0005\"}"), 1);
}

TEST(ServerMetricsTest, EveryReasonHasItsOwnSeries) {
  ServerMetrics metrics("v");
  for (size_t i = 0; i < kDisconnectReasonCount; ++i) {
    metrics.disconnects(static_cast<DisconnectReason>(i)).Increment(i + 1);
  }
  for (size_t i = 0; i < kRejectReasonCount; ++i) {
    metrics.rejected_lines(static_cast<RejectReason>(i)).Increment(10 * (i + 1));
  }
  const std::string text = metrics.RenderPrometheus();
  const char* disconnects[] = {"peer_closed", "read_error",    "slow_reader",
                               "send_timeout", "stopped",      "login_timeout",
                               "idle",         "flooding",     "quit",        "login_refused",
                               "protocol_error", "kicked",  "banned"};
  for (size_t i = 0; i < kDisconnectReasonCount; ++i) {
    EXPECT_EQ(DisconnectReasonLabel(static_cast<DisconnectReason>(i)), disconnects[i]);
    EXPECT_EQ(SampleValue(
                  text, absl::StrCat("tcpchat_disconnects_total{reason=\"", disconnects[i], "\"}")),
              i + 1);
  }
  const char* rejects[] = {"too_long", "rate_limited", "empty", "bad_name",
                           "address_rate_limited"};
  for (size_t i = 0; i < kRejectReasonCount; ++i) {
    EXPECT_EQ(RejectReasonLabel(static_cast<RejectReason>(i)), rejects[i]);
    EXPECT_EQ(SampleValue(
                  text, absl::StrCat("tcpchat_rejected_lines_total{reason=\"", rejects[i], "\"}")),
              10 * (i + 1));
  }
}

TEST(ServerMetricsTest, ModerationActionsHaveASeriesPerAction) {
  ServerMetrics metrics("v");
  for (size_t i = 0; i < kModerationActionCount; ++i) {
    metrics.moderation_actions(static_cast<ModerationAction>(i)).Increment(i + 1);
  }
  metrics.failed_logins.Increment(4);
  const std::string text = metrics.RenderPrometheus();
  const char* actions[] = {"kick", "ban", "unban", "mute", "unmute", "op", "deop", "topic"};
  for (size_t i = 0; i < kModerationActionCount; ++i) {
    EXPECT_EQ(SampleValue(text, absl::StrCat("tcpchat_moderation_actions_total{action=\"",
                                             actions[i], "\"}")),
              i + 1);
  }
  EXPECT_EQ(SampleValue(text, "tcpchat_failed_logins_total"), 4);
}

TEST(ServerMetricsTest, RefusedConnectionsHaveASeriesPerReason) {
  ServerMetrics metrics("v");
  for (size_t i = 0; i < kRefusedConnectionReasonCount; ++i) {
    metrics.refused_connections(static_cast<RefusedConnectionReason>(i)).Increment(i + 1);
  }
  const std::string text = metrics.RenderPrometheus();
  const char* reasons[] = {"pending", "connections", "addresses", "handshakes"};
  for (size_t i = 0; i < kRefusedConnectionReasonCount; ++i) {
    EXPECT_EQ(SampleValue(text, absl::StrCat("tcpchat_refused_connections_total{reason=\"",
                                             reasons[i], "\"}")),
              i + 1);
  }
}

TEST(ServerMetricsTest, EachTransportGetsItsOwnSeries) {
  ServerMetrics metrics("v");
  ServerMetrics::TransportMetrics tcp = metrics.AddTransport("tcp");
  ServerMetrics::TransportMetrics tls = metrics.AddTransport("tls");
  tcp.accepted.Increment(3);
  tls.accepted.Increment();
  tls.connected.Increment();
  metrics.tls_handshake_failures.Increment(2);
  const std::string text = metrics.RenderPrometheus();
  const auto sample = [&](std::string_view name, std::string_view transport) {
    return SampleValue(text, absl::StrCat(name, "{transport=\"", transport, "\"}"));
  };
  EXPECT_EQ(sample("tcpchat_transport_connections_accepted_total", "tcp"), 3);
  EXPECT_EQ(sample("tcpchat_transport_connections_accepted_total", "tls"), 1);
  EXPECT_EQ(sample("tcpchat_transport_connected_clients", "tcp"), 0);
  EXPECT_EQ(sample("tcpchat_transport_connected_clients", "tls"), 1);
  EXPECT_EQ(SampleValue(text, "tcpchat_tls_handshake_failures_total"), 2);
  EXPECT_EQ(SampleValue(text, "tcpchat_tls_certificate_reload_failures_total"), 0);
}

TEST(ServerMetricsTest, RedisSeriesShowWhetherItIsUpAndWhatItDidNotTake) {
  ServerMetrics metrics("v");
  EXPECT_FALSE(absl::StrContains(metrics.RenderPrometheus(), "tcpchat_redis_"));  // no --redis
  std::atomic<bool> up = true;
  ServerMetrics::RedisMetrics redis =
      metrics.AddRedis([&up] { return up.load(); }, [] { return 1234.0; });
  redis.lines_unavailable.Increment(2);
  redis.lines_queue_full.Increment();
  redis.notices_unavailable.Increment(5);
  std::string text = metrics.RenderPrometheus();
  EXPECT_EQ(SampleValue(text, "tcpchat_redis_up"), 1);
  EXPECT_EQ(SampleValue(text, "tcpchat_redis_pending_bytes"), 1234);
  EXPECT_EQ(SampleValue(text, "tcpchat_redis_refused_lines_total{reason=\"unavailable\"}"), 2);
  EXPECT_EQ(SampleValue(text, "tcpchat_redis_refused_lines_total{reason=\"queue_full\"}"), 1);
  EXPECT_EQ(SampleValue(text, "tcpchat_redis_dropped_notices_total{reason=\"unavailable\"}"), 5);
  EXPECT_EQ(SampleValue(text, "tcpchat_redis_dropped_notices_total{reason=\"queue_full\"}"), 0);
  EXPECT_THAT(text, HasSubstr("# TYPE tcpchat_redis_up gauge\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE tcpchat_redis_refused_lines_total counter\n"));
  up = false;
  EXPECT_EQ(SampleValue(metrics.RenderPrometheus(), "tcpchat_redis_up"), 0);
}

TEST(ServerMetricsTest, UptimeIsNonNegativeAndThreadsArePositive) {
  ServerMetrics metrics("v");
  const std::string text = metrics.RenderPrometheus();
  EXPECT_GE(SampleValue(text, "tcpchat_uptime_seconds"), 0);
  EXPECT_GE(SampleValue(text, "tcpchat_process_threads"), 1);
}

TEST(CountProcessThreadsTest, SeesANewThread) {
  const int before = CountProcessThreads();
  ASSERT_GE(before, 1);
  absl::Notification started, release;
  std::thread thread([&] {
    started.Notify();
    release.WaitForNotification();
  });
  started.WaitForNotification();
  EXPECT_GT(CountProcessThreads(), before);
  release.Notify();
  thread.join();
}

TEST(FsyncLatencyBucketsTest, CoverMicrosecondsToSeconds) {
  const std::vector<double> buckets = FsyncLatencyBuckets();
  ASSERT_FALSE(buckets.empty());
  EXPECT_DOUBLE_EQ(buckets.front(), 0.0001);
  EXPECT_DOUBLE_EQ(buckets.back(), 10);
  EXPECT_TRUE(std::is_sorted(buckets.begin(), buckets.end()));
}

}  // namespace
}  // namespace chat::metrics
