// chat/metrics/render_metrics_for_test.cc: prints a metrics exposition for
// promtool_check_test.
//
// With no argument: a ServerMetrics with every member set, as a scrape would see it.
// With --edge_cases: a registry of the awkward cases (escapes, UTF-8, special values,
// labelled histograms), which promtool must parse as well.

#include <cstdint>
#include <cstring>
#include <iostream>
#include <limits>

#include "chat/metrics/metrics.h"
#include "chat/metrics/server_metrics.h"

namespace chat::metrics {
namespace {

std::string RenderServerMetrics() {
  ServerMetrics metrics("1.0.0-test \"quoted\" \\ back");
  metrics.connected_clients.Set(3);
  metrics.logged_in_clients.Set(2);
  metrics.admission_blocked.Set(1);
  metrics.connections_accepted.Increment(10);
  metrics.messages_received.Increment(20);
  metrics.messages_broadcast.Increment(25);
  metrics.deliveries.Increment(50);
  metrics.received_bytes.Increment(1000);
  metrics.sent_bytes.Increment(5000);
  metrics.slow_client_disconnects.Increment();
  metrics.history_write_errors.Increment();
  for (double seconds : {0.00005, 0.0003, 0.002, 0.002, 0.5, 30.0}) {
    metrics.history_fsync_seconds.Observe(seconds);
  }
  for (size_t i = 0; i < kDisconnectReasonCount; ++i) {
    metrics.disconnects(static_cast<DisconnectReason>(i)).Increment(i);
  }
  for (size_t i = 0; i < kRejectReasonCount; ++i) {
    metrics.rejected_lines(static_cast<RejectReason>(i)).Increment(i);
  }
  metrics.tls_handshake_failures.Increment(4);
  metrics.tls_certificate_reload_failures.Increment();
  for (const char* transport : {"tcp", "tls"}) {
    ServerMetrics::TransportMetrics series = metrics.AddTransport(transport);
    series.accepted.Increment(7);
    series.connected.Set(2);
  }
  ServerMetrics::RedisMetrics redis = metrics.AddRedis([] { return true; }, [] { return 42.0; });
  redis.lines_unavailable.Increment(3);
  redis.notices_queue_full.Increment();
  return metrics.RenderPrometheus();
}

std::string RenderEdgeCases() {
  Registry registry;
  registry
      .AddGauge("edge_escapes", "Help with a back\\slash,\na newline and \"quotes\".",
                {{"value", "a \"quoted\" \\ back\nslash"}, {"utf8", "J\xc3\xbcrgen"}})
      .Set(-7);
  registry.AddGauge("edge_escapes", "Help with a back\\slash,\na newline and \"quotes\".",
                    {{"value", ""}, {"utf8", "\xe2\x9c\x93"}});
  registry.AddCallbackGauge("edge_special", "Special values.",
                            [] { return std::numeric_limits<double>::quiet_NaN(); },
                            {{"kind", "nan"}});
  registry.AddCallbackGauge("edge_special", "Special values.",
                            [] { return std::numeric_limits<double>::infinity(); },
                            {{"kind", "inf"}});
  registry.AddCallbackGauge("edge_special", "Special values.",
                            [] { return -std::numeric_limits<double>::infinity(); },
                            {{"kind", "ninf"}});
  registry.AddCallbackGauge("edge_special", "Special values.", [] { return 1.5e-300; },
                            {{"kind", "tiny"}});
  registry.AddCallbackGauge("edge_special", "Special values.", [] { return 1e300; },
                            {{"kind", "huge"}});
  registry.AddCounter("edge_big_total", "The largest counter.")
      .Increment(std::numeric_limits<uint64_t>::max());
  Histogram& histogram = registry.AddHistogram("edge_latency_seconds", "A labelled histogram.",
                                               ExponentialBuckets(1e-6, 10, 8), {{"op", "write"}});
  registry.AddHistogram("edge_latency_seconds", "A labelled histogram.",
                        ExponentialBuckets(1e-6, 10, 8), {{"op", "read"}});
  histogram.Observe(0.003);
  histogram.Observe(1e9);
  return registry.RenderPrometheus();
}

}  // namespace
}  // namespace chat::metrics

int main(int argc, char** argv) {
  const bool edge_cases = argc > 1 && std::strcmp(argv[1], "--edge_cases") == 0;
  std::cout << (edge_cases ? chat::metrics::RenderEdgeCases()
                           : chat::metrics::RenderServerMetrics());
  return std::cout.good() ? 0 : 1;
}
