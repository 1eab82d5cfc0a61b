#include "chat/metrics/metrics.h"

#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace chat::metrics {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(CounterTest, CountsUp) {
  Counter counter;
  EXPECT_EQ(counter.value(), 0u);
  counter.Increment();
  counter.Increment(41);
  EXPECT_EQ(counter.value(), 42u);
}

TEST(GaugeTest, SetsAndAdds) {
  Gauge gauge;
  gauge.Set(10);
  gauge.Add(-15);
  gauge.Increment();
  EXPECT_EQ(gauge.value(), -4);
  gauge.Decrement();
  EXPECT_EQ(gauge.value(), -5);
}

TEST(HistogramTest, BucketsAreLessOrEqualAndCumulative) {
  Histogram histogram({1, 2, 4});
  for (double v : {0.5, 1.0, 1.5, 4.0, 4.5, 100.0}) histogram.Observe(v);
  const Histogram::Snapshot snapshot = histogram.TakeSnapshot();
  EXPECT_THAT(snapshot.upper_bounds, ElementsAre(1, 2, 4));
  EXPECT_THAT(snapshot.cumulative_counts, ElementsAre(2, 3, 4, 6));
  EXPECT_EQ(snapshot.count, 6u);
  EXPECT_DOUBLE_EQ(snapshot.sum, 111.5);
}

TEST(HistogramTest, DropsNaN) {
  Histogram histogram({1});
  histogram.Observe(std::numeric_limits<double>::quiet_NaN());
  histogram.Observe(0.5);
  const Histogram::Snapshot snapshot = histogram.TakeSnapshot();
  EXPECT_EQ(snapshot.count, 1u);
  EXPECT_EQ(snapshot.sum, 0.5);
}

TEST(HistogramTest, WithoutBoundsHasOnlyInf) {
  Histogram histogram({});
  histogram.Observe(-3);
  EXPECT_THAT(histogram.TakeSnapshot().cumulative_counts, ElementsAre(1));
}

TEST(ExponentialBucketsTest, Multiplies) {
  EXPECT_THAT(ExponentialBuckets(0.5, 2, 4), ElementsAre(0.5, 1, 2, 4));
}

TEST(ExponentialBucketsTest, RoundsAwayFloatingPointDrift) {
  // 1e-6 * 10 is 9.999999999999999e-06 in binary floating point.
  EXPECT_THAT(ExponentialBuckets(1e-6, 10, 4), ElementsAre(1e-6, 1e-5, 1e-4, 1e-3));
  Registry registry;
  registry.AddHistogram("h", "h", ExponentialBuckets(1e-6, 10, 2));
  EXPECT_THAT(registry.RenderPrometheus(), HasSubstr("h_bucket{le=\"1e-05\"} 0\n"));
}

TEST(NamesTest, MetricNames) {
  EXPECT_TRUE(IsValidMetricName("tcpchat_up"));
  EXPECT_TRUE(IsValidMetricName("_x:y_z9"));
  EXPECT_FALSE(IsValidMetricName(""));
  EXPECT_FALSE(IsValidMetricName("9lives"));
  EXPECT_FALSE(IsValidMetricName("has-dash"));
  EXPECT_FALSE(IsValidMetricName("has space"));
  EXPECT_FALSE(IsValidMetricName("caf\xc3\xa9"));
}

TEST(NamesTest, LabelNames) {
  EXPECT_TRUE(IsValidLabelName("reason"));
  EXPECT_TRUE(IsValidLabelName("_r2"));
  EXPECT_FALSE(IsValidLabelName(""));
  EXPECT_FALSE(IsValidLabelName("__reserved"));
  EXPECT_FALSE(IsValidLabelName("a:b"));
  EXPECT_FALSE(IsValidLabelName("2x"));
}

TEST(RegistryTest, EmptyRendersNothing) {
  Registry registry;
  EXPECT_EQ(registry.RenderPrometheus(), "");
}

TEST(RegistryTest, RendersGoldenText) {
  Registry registry;
  registry.AddCounter("app_requests_total", "Requests served.").Increment(3);
  registry.AddCounter("app_rejected_total", "Rejected lines.", {{"reason", "too_long"}})
      .Increment();
  Gauge& clients = registry.AddGauge("app_clients", "Connected clients.");
  registry.AddCallbackGauge("app_uptime_seconds", "Uptime.", [] { return 12.5; });
  // A second series of an earlier family: rendered with its family, not here.
  registry.AddCounter("app_rejected_total", "Rejected lines.", {{"reason", "empty"}}).Increment(2);
  Histogram& latency = registry.AddHistogram("app_latency_seconds", "Latency.", {0.25, 1, 4});
  Histogram& by_op = registry.AddHistogram("app_op_seconds", "Per operation.", {0.5},
                                           {{"op", "read"}, {"disk", "a"}});
  clients.Set(5);
  clients.Decrement();
  for (double v : {0.125, 0.25, 0.5, 8.0}) latency.Observe(v);
  by_op.Observe(0.75);

  EXPECT_EQ(registry.RenderPrometheus(),
            "# HELP app_requests_total Requests served.\n"
            "# TYPE app_requests_total counter\n"
            "app_requests_total 3\n"
            "# HELP app_rejected_total Rejected lines.\n"
            "# TYPE app_rejected_total counter\n"
            "app_rejected_total{reason=\"too_long\"} 1\n"
            "app_rejected_total{reason=\"empty\"} 2\n"
            "# HELP app_clients Connected clients.\n"
            "# TYPE app_clients gauge\n"
            "app_clients 4\n"
            "# HELP app_uptime_seconds Uptime.\n"
            "# TYPE app_uptime_seconds gauge\n"
            "app_uptime_seconds 12.5\n"
            "# HELP app_latency_seconds Latency.\n"
            "# TYPE app_latency_seconds histogram\n"
            "app_latency_seconds_bucket{le=\"0.25\"} 2\n"
            "app_latency_seconds_bucket{le=\"1\"} 3\n"
            "app_latency_seconds_bucket{le=\"4\"} 3\n"
            "app_latency_seconds_bucket{le=\"+Inf\"} 4\n"
            "app_latency_seconds_sum 8.875\n"
            "app_latency_seconds_count 4\n"
            "# HELP app_op_seconds Per operation.\n"
            "# TYPE app_op_seconds histogram\n"
            "app_op_seconds_bucket{op=\"read\",disk=\"a\",le=\"0.5\"} 0\n"
            "app_op_seconds_bucket{op=\"read\",disk=\"a\",le=\"+Inf\"} 1\n"
            "app_op_seconds_sum{op=\"read\",disk=\"a\"} 0.75\n"
            "app_op_seconds_count{op=\"read\",disk=\"a\"} 1\n");
}

TEST(RegistryTest, EscapesHelpAndLabelValues) {
  Registry registry;
  registry.AddGauge("g", "Two\nlines, a back\\slash and \"quotes\".",
                    {{"v", "say \"hi\"\\n\nend"}});
  // Help escapes backslash and newline only; label values also escape the quote.
  EXPECT_EQ(registry.RenderPrometheus(),
            "# HELP g Two\\nlines, a back\\\\slash and \"quotes\".\n"
            "# TYPE g gauge\n"
            "g{v=\"say \\\"hi\\\"\\\\n\\nend\"} 0\n");
}

TEST(RegistryTest, KeepsUtf8LabelValuesAsIs) {
  Registry registry;
  registry.AddGauge("g", "h", {{"name", "J\xc3\xbcrgen \xe2\x9c\x93"}}).Set(1);
  EXPECT_THAT(registry.RenderPrometheus(), HasSubstr("g{name=\"J\xc3\xbcrgen \xe2\x9c\x93\"} 1\n"));
}

TEST(RegistryTest, RendersSpecialAndExtremeValues) {
  Registry registry;
  registry.AddCallbackGauge("v", "h", [] { return std::numeric_limits<double>::quiet_NaN(); },
                            {{"k", "nan"}});
  registry.AddCallbackGauge("v", "h", [] { return std::numeric_limits<double>::infinity(); },
                            {{"k", "inf"}});
  registry.AddCallbackGauge("v", "h", [] { return -std::numeric_limits<double>::infinity(); },
                            {{"k", "ninf"}});
  registry.AddCallbackGauge("v", "h", [] { return 1e-7; }, {{"k", "tiny"}});
  registry.AddCallbackGauge("v", "h", [] { return 0.1; }, {{"k", "tenth"}});
  registry.AddCallbackGauge("v", "h", [] { return -3.0; }, {{"k", "neg"}});
  registry.AddCounter("c_total", "h").Increment(std::numeric_limits<uint64_t>::max());
  registry.AddGauge("g", "h").Set(std::numeric_limits<int64_t>::min());
  EXPECT_EQ(registry.RenderPrometheus(),
            "# HELP v h\n"
            "# TYPE v gauge\n"
            "v{k=\"nan\"} NaN\n"
            "v{k=\"inf\"} +Inf\n"
            "v{k=\"ninf\"} -Inf\n"
            "v{k=\"tiny\"} 1e-07\n"
            "v{k=\"tenth\"} 0.1\n"
            "v{k=\"neg\"} -3\n"
            "# HELP c_total h\n"
            "# TYPE c_total counter\n"
            "c_total 18446744073709551615\n"
            "# HELP g h\n"
            "# TYPE g gauge\n"
            "g -9223372036854775808\n");
}

TEST(RegistryTest, CallbackRunsAtEachScrape) {
  Registry registry;
  int calls = 0;
  registry.AddCallbackGauge("calls", "h", [&calls] { return ++calls; });
  EXPECT_EQ(registry.RenderPrometheus(), "# HELP calls h\n# TYPE calls gauge\ncalls 1\n");
  EXPECT_EQ(registry.RenderPrometheus(), "# HELP calls h\n# TYPE calls gauge\ncalls 2\n");
}

TEST(RegistryTest, ReturnsStableReferences) {
  Registry registry;
  Counter& first = registry.AddCounter("c_total", "h", {{"i", "0"}});
  for (int i = 1; i < 200; ++i) {
    registry.AddCounter("c_total", "h", {{"i", std::to_string(i)}});
    registry.AddGauge("g" + std::to_string(i), "h");
  }
  first.Increment();
  EXPECT_THAT(registry.RenderPrometheus(), HasSubstr("c_total{i=\"0\"} 1\n"));
}

// The registration mistakes are programming errors and crash at startup.
class RegistryDeathTest : public ::testing::Test {
 protected:
  // "threadsafe" re-executes the test binary for each death test instead of forking a
  // process that may have threads; sanitizers prefer that.
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST_F(RegistryDeathTest, RejectsInvalidNames) {
  Registry registry;
  EXPECT_DEATH(registry.AddCounter("bad-name", "h"), "invalid metric name");
  EXPECT_DEATH(registry.AddCounter("c", "h", {{"__x", "v"}}), "invalid label name");
  EXPECT_DEATH(registry.AddCounter("c", ""), "needs help text");
}

TEST_F(RegistryDeathTest, RejectsConflictingRegistrations) {
  Registry registry;
  registry.AddCounter("c_total", "h", {{"reason", "a"}});
  EXPECT_DEATH(registry.AddCounter("c_total", "h", {{"reason", "a"}}), "registered twice");
  EXPECT_DEATH(registry.AddGauge("c_total", "h", {{"reason", "b"}}), "registered as counter");
  EXPECT_DEATH(registry.AddCounter("c_total", "other", {{"reason", "b"}}), "two help texts");
  EXPECT_DEATH(registry.AddCounter("c_total", "h", {{"kind", "b"}}), "same label names");
  EXPECT_DEATH(registry.AddCounter("d_total", "h", {{"k", "1"}, {"k", "2"}}), "twice");
}

TEST_F(RegistryDeathTest, RejectsHistogramMistakes) {
  Registry registry;
  EXPECT_DEATH(registry.AddHistogram("h", "h", {1}, {{"le", "x"}}), "may not use the label");
  EXPECT_DEATH(registry.AddHistogram("h", "h", {2, 1}), "strictly increasing");
  EXPECT_DEATH(registry.AddHistogram("h", "h", {std::numeric_limits<double>::infinity()}),
               "not finite");
  registry.AddHistogram("lat_seconds", "h", {1});
  EXPECT_DEATH(registry.AddCounter("lat_seconds_count", "h"), "collides with histogram");
  registry.AddGauge("x_sum", "h");
  EXPECT_DEATH(registry.AddHistogram("x", "h", {1}), "would collide");
}

// Many threads update shared metrics while another scrapes and registers: the totals
// must be exact (nothing lost), and TSan must see no race.
TEST(RegistryConcurrencyTest, ConcurrentUpdatesAddUpExactly) {
  constexpr int kThreads = 8;
  constexpr int kIterations = 20000;
  Registry registry;
  Counter& counter = registry.AddCounter("ops_total", "h");
  Gauge& gauge = registry.AddGauge("level", "h");
  Histogram& histogram = registry.AddHistogram("obs", "h", {0.5, 1.5});
  registry.AddCallbackGauge("cb", "h", [&counter] { return counter.value(); });

  std::atomic<bool> done{false};
  std::thread scraper([&] {
    int round = 0;
    while (!done.load()) {
      const std::string text = registry.RenderPrometheus();
      ASSERT_THAT(text, HasSubstr("# TYPE ops_total counter\n"));
      // Registration concurrently with updates and scrapes.
      if (round < 50) registry.AddGauge("late", "h", {{"n", std::to_string(round++)}});
    }
  });
  std::vector<std::thread> workers;
  for (int t = 0; t < kThreads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < kIterations; ++i) {
        counter.Increment();
        gauge.Add(t % 2 == 0 ? 3 : -1);
        histogram.Observe(i % 2);  // 0 and 1: the first and second buckets
      }
    });
  }
  for (std::thread& worker : workers) worker.join();
  done = true;
  scraper.join();

  EXPECT_EQ(counter.value(), uint64_t{kThreads} * kIterations);
  EXPECT_EQ(gauge.value(), int64_t{kThreads / 2} * kIterations * (3 - 1));
  const Histogram::Snapshot snapshot = histogram.TakeSnapshot();
  EXPECT_THAT(
      snapshot.cumulative_counts,
      ElementsAre(kThreads * kIterations / 2, kThreads * kIterations, kThreads * kIterations));
  EXPECT_EQ(snapshot.sum, kThreads * kIterations / 2);  // exact: sums of 1.0
  EXPECT_THAT(registry.RenderPrometheus(),
              HasSubstr("ops_total " + std::to_string(kThreads * kIterations) + "\n"));
}

}  // namespace
}  // namespace chat::metrics
