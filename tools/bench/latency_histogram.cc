// tools/bench/latency_histogram.cc: bucket arithmetic for LatencyHistogram.
//
// Bucket layout (k = kSubBucketBits): values below 2^k map to themselves. A value v with
// highest set bit e >= k lands in group (e - k + 1), sub-bucket (v >> (e - k)) - 2^k, so
// each power of two is split into 2^k equal buckets of width 2^(e - k).

#include "tools/bench/latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace chat::bench {
namespace {

// Groups: one exact group plus one per possible highest bit of a positive int64.
constexpr int kGroups = 63 - 7 + 1;

}  // namespace

LatencyHistogram::LatencyHistogram() : counts_(static_cast<size_t>(kGroups * kSubBuckets), 0) {}

int LatencyHistogram::BucketOf(int64_t ns) {
  const uint64_t v = static_cast<uint64_t>(ns);
  if (v < static_cast<uint64_t>(kSubBuckets)) return static_cast<int>(v);
  const int e = 63 - std::countl_zero(v);
  const int shift = e - kSubBucketBits;
  const int64_t top = static_cast<int64_t>(v >> shift);  // in [2^k, 2^(k+1))
  return static_cast<int>((shift + 1) * kSubBuckets + (top - kSubBuckets));
}

int64_t LatencyHistogram::BucketLow(int index) {
  const int group = index / static_cast<int>(kSubBuckets);
  const int64_t sub = index % kSubBuckets;
  if (group == 0) return sub;
  return (kSubBuckets + sub) << (group - 1);
}

int64_t LatencyHistogram::BucketWidth(int index) {
  const int group = index / static_cast<int>(kSubBuckets);
  return group == 0 ? 1 : int64_t{1} << (group - 1);
}

void LatencyHistogram::Record(int64_t ns) {
  ns = std::max<int64_t>(ns, 0);
  ++counts_[static_cast<size_t>(BucketOf(ns))];
  ++count_;
  max_ = std::max(max_, ns);
}

int64_t LatencyHistogram::Percentile(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  // The rank-th smallest value (1-based), "nearest rank" definition.
  const int64_t rank =
      std::max<int64_t>(1, static_cast<int64_t>(std::ceil(q * static_cast<double>(count_))));
  int64_t seen = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const int index = static_cast<int>(i);
      const int64_t middle = BucketLow(index) + (BucketWidth(index) - 1) / 2;
      return std::min(middle, max_);
    }
  }
  return max_;
}

}  // namespace chat::bench
