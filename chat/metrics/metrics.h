// chat/metrics/metrics.h: in-process metrics and their Prometheus text exposition.
//
// Defines:
//   Counter            - a monotonic count; lock-free increments.
//   Gauge              - an integer that goes up and down; lock-free.
//   Histogram          - observations counted into fixed buckets; lock-free.
//   Labels             - the fixed label set of one series, chosen at registration.
//   MetricType         - counter, gauge or histogram, as in "# TYPE".
//   Registry           - owns named metrics and renders them for a Prometheus scrape.
//   ExponentialBuckets - histogram bucket bounds start, start*factor, ...
//   IsValidMetricName, IsValidLabelName - the exposition format's name rules.
//
// The hot path (Increment, Add, Set, Observe) touches only the metric's own atomics,
// never the Registry's lock: a metric is registered once, at startup, and the caller
// keeps the returned reference. Labels are fixed per series at registration, so there
// is no label-map lookup per increment.
//
// Example:
//   Registry registry;
//   Counter& too_long = registry.AddCounter(
//       "tcpchat_rejected_lines_total", "Lines refused.", {{"reason", "too_long"}});
//   too_long.Increment();
//   std::string text = registry.RenderPrometheus();

#ifndef CHAT_METRICS_METRICS_H_
#define CHAT_METRICS_METRICS_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

namespace chat::metrics {

// Counter counts events; it never goes down. Thread-safe, lock-free.
class Counter {
 public:
  Counter() = default;
  Counter(const Counter&) = delete;
  Counter& operator=(const Counter&) = delete;

  // Relaxed: a counter orders nothing, it only has to add up, and a scrape that sees
  // an increment a moment late is still correct.
  void Increment(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// Gauge is a current level (clients connected, a 0/1 flag). Thread-safe, lock-free.
class Gauge {
 public:
  Gauge() = default;
  Gauge(const Gauge&) = delete;
  Gauge& operator=(const Gauge&) = delete;

  void Set(int64_t value) { value_.store(value, std::memory_order_relaxed); }
  void Add(int64_t delta) { value_.fetch_add(delta, std::memory_order_relaxed); }
  void Increment() { Add(1); }
  void Decrement() { Add(-1); }
  int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

// Histogram counts observations (e.g. seconds an fsync took) into buckets with fixed,
// strictly increasing upper bounds, plus the implicit +Inf bucket, and keeps their
// sum. Thread-safe, lock-free: one atomic per bucket and one for the sum.
class Histogram {
 public:
  // A consistent-enough view for rendering. `cumulative_counts[i]` counts the
  // observations <= `upper_bounds[i]`; the last entry (one past the bounds) is +Inf.
  struct Snapshot {
    std::vector<double> upper_bounds;
    std::vector<uint64_t> cumulative_counts;
    double sum = 0;
    // Always equal to cumulative_counts.back(), as the format requires, because it is
    // derived from the buckets rather than kept separately.
    uint64_t count = 0;
  };

  // `upper_bounds` must be finite and strictly increasing (CHECK-fails otherwise); it
  // may be empty (then only the +Inf bucket exists).
  explicit Histogram(std::vector<double> upper_bounds);
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  // Histogram::Observe() counts `value` in the first bucket whose bound is >= value.
  // NaN is dropped: it belongs in no bucket and would turn the sum into NaN forever.
  void Observe(double value);

  // Histogram::TakeSnapshot() reads every bucket. Observations racing with it may be
  // counted in the buckets but not yet in the sum (or the reverse); totals never go
  // backwards between snapshots.
  Snapshot TakeSnapshot() const;

  const std::vector<double>& upper_bounds() const { return upper_bounds_; }

 private:
  const std::vector<double> upper_bounds_;
  // Per-bucket (not cumulative) counts; index upper_bounds_.size() is +Inf.
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::atomic<double> sum_{0};
};

// ExponentialBuckets() returns `count` bounds: start, start*factor, start*factor^2...
// each rounded to 15 significant digits. Requires start > 0, factor > 1, count >= 1.
std::vector<double> ExponentialBuckets(double start, double factor, int count);

// The exposition format's name rules: metric names [a-zA-Z_:][a-zA-Z0-9_:]*, label
// names [a-zA-Z_][a-zA-Z0-9_]* and not starting with "__" (reserved by Prometheus).
bool IsValidMetricName(std::string_view name);
bool IsValidLabelName(std::string_view name);

// Labels is one series' label set, rendered in the order given. Values may hold any
// UTF-8 text; rendering escapes backslash, double quote and newline.
using Labels = std::vector<std::pair<std::string, std::string>>;

enum class MetricType { kCounter, kGauge, kHistogram };

// Registry owns metrics grouped into families: one name, help text and type, with one
// or more series that differ by labels. Registering the same name again with other
// labels adds a series to the family. Thread-safe: registration and rendering take an
// internal lock; the returned metrics are updated without it, and they live as long as
// the Registry.
//
// Registration mistakes are programming errors and CHECK-fail at startup: an invalid
// metric or label name, empty help, a name already registered with another type or
// help text, a series whose label names differ from its family's, a duplicate label
// set, a label named "le" on a histogram, or a name colliding with a histogram's
// _bucket/_sum/_count series.
class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  Counter& AddCounter(std::string_view name, std::string_view help, Labels labels = {})
      ABSL_LOCKS_EXCLUDED(mu_);
  Gauge& AddGauge(std::string_view name, std::string_view help, Labels labels = {})
      ABSL_LOCKS_EXCLUDED(mu_);
  Histogram& AddHistogram(std::string_view name, std::string_view help,
                          std::vector<double> upper_bounds, Labels labels = {})
      ABSL_LOCKS_EXCLUDED(mu_);

  // Registry::AddCallbackGauge() adds a gauge whose value `value` computes at each
  // scrape (thread count, uptime). `value` runs on the scraping thread with the
  // Registry's lock held, so it must be quick and must not call into this Registry.
  // It may return NaN or infinities; they render as "NaN", "+Inf", "-Inf".
  void AddCallbackGauge(std::string_view name, std::string_view help, std::function<double()> value,
                        Labels labels = {}) ABSL_LOCKS_EXCLUDED(mu_);

  // Registry::RenderPrometheus() renders every family, in registration order, in the
  // Prometheus text exposition format 0.0.4: "# HELP" and "# TYPE" once per family,
  // then its series in registration order (histograms as _bucket{le=...}, _sum,
  // _count).
  std::string RenderPrometheus() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Series;
  struct Family;

  // Finds or creates the family `name` and appends a series with `labels`, after the
  // checks listed in the class comment. Returns the new series, owned by the family.
  Series& AddSeries(std::string_view name, std::string_view help, MetricType type, Labels labels)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CheckNoHistogramCollision(std::string_view name, MetricType type) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  // Families in registration order (rendering order); unique_ptr keeps every metric's
  // address stable as the vectors grow.
  std::vector<std::unique_ptr<Family>> families_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Family*> by_name_ ABSL_GUARDED_BY(mu_);
};

}  // namespace chat::metrics

#endif  // CHAT_METRICS_METRICS_H_
