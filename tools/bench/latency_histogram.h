// tools/bench/latency_histogram.h: latency percentiles in constant memory.
//
// Defines:
//   LatencyHistogram - log-linear buckets (128 per power of two), so a run with a
//                      billion deliveries needs the same ~58 KiB as one with ten.

#ifndef TOOLS_BENCH_LATENCY_HISTOGRAM_H_
#define TOOLS_BENCH_LATENCY_HISTOGRAM_H_

#include <cstdint>
#include <vector>

namespace chat::bench {

// LatencyHistogram records non-negative durations in nanoseconds. Values below 128 ns
// are exact; above, a percentile is the middle of its bucket, within 0.4% of a recorded
// value. max() is exact. Not thread-safe.
class LatencyHistogram {
 public:
  LatencyHistogram();

  // Negative values (clock oddities) are recorded as 0.
  void Record(int64_t ns);

  int64_t count() const { return count_; }
  int64_t max() const { return max_; }

  // LatencyHistogram::Percentile() returns the value at quantile `q` in [0, 1], 0 if
  // nothing was recorded.
  int64_t Percentile(double q) const;

 private:
  static constexpr int kSubBucketBits = 7;
  static constexpr int64_t kSubBuckets = int64_t{1} << kSubBucketBits;

  static int BucketOf(int64_t ns);
  // The smallest value and the width of bucket `index`.
  static int64_t BucketLow(int index);
  static int64_t BucketWidth(int index);

  std::vector<int64_t> counts_;
  int64_t count_ = 0;
  int64_t max_ = 0;
};

}  // namespace chat::bench

#endif  // TOOLS_BENCH_LATENCY_HISTOGRAM_H_
