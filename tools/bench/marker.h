// tools/bench/marker.h: how chat_bench tags a message so receivers can recognise it.
//
// Defines:
//   Marker          - the fields a message carries: sender, sequence number, send time.
//   MakeNonce       - a random per-run tag, so lines from earlier runs (history) are ignored.
//   MarkerToken     - "CLMK<nonce>", the literal a receiver searches for.
//   AppendPayload   - "<token>.<sender>.<seq>.<send_ns>." padded with 'x' to a size.
//   MarkerScanner   - finds markers in a byte stream that arrives in arbitrary pieces.
//
// The marker is self-delimiting (every field ends in '.'), so receivers need no line
// framing and accept any prefix the server puts before it ("[time][name]:").

#ifndef TOOLS_BENCH_MARKER_H_
#define TOOLS_BENCH_MARKER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/functional/function_ref.h"

namespace chat::bench {

// Every marker starts with this; what follows up to the first '.' is the run's nonce.
inline constexpr std::string_view kMarkerPrefix = "CLMK";

struct Marker {
  int64_t sender = 0;
  int64_t seq = 0;
  int64_t send_ns = 0;
};

// MakeNonce() returns 6 random lowercase hex digits.
std::string MakeNonce();

// MarkerToken() returns kMarkerPrefix + nonce.
std::string MarkerToken(std::string_view nonce);

// AppendPayload() appends "<token>.<sender>.<seq>.<send_ns>." and then 'x' until the
// appended text is `size` bytes long (no padding if the marker alone is longer). No
// newline. Returns the number of bytes appended.
size_t AppendPayload(std::string* out, std::string_view token, const Marker& marker, size_t size);

// MarkerScanner finds this run's markers in a stream fed in arbitrary chunks: a marker
// split across two chunks is found once, when its last byte arrives. Memory is bounded:
// between chunks it keeps only a possibly incomplete marker (a few dozen bytes).
//
// Not thread-safe; one per connection.
class MarkerScanner {
 public:
  explicit MarkerScanner(std::string_view token) : token_(token) {}

  // MarkerScanner::Feed() scans `chunk` (after whatever was kept from earlier chunks)
  // and calls `on_marker` for each complete marker of this run.
  void Feed(std::string_view chunk, absl::FunctionRef<void(const Marker&)> on_marker);

  // MarkerScanner::FeedMessage() scans one whole text (a JSON message's): as Feed() of
  // the text and a newline, so nothing is carried into the next message, but without
  // copying the text to add one.
  void FeedMessage(std::string_view text, absl::FunctionRef<void(const Marker&)> on_marker);

  // Markers with another nonce (an earlier run's lines replayed as history).
  int64_t foreign() const { return foreign_; }
  // Markers with this run's nonce whose fields did not parse (corrupted bytes).
  int64_t garbled() const { return garbled_; }

 private:
  const std::string token_;
  std::string pending_;  // unscanned tail: a prefix of a marker that may still complete
  int64_t foreign_ = 0;
  int64_t garbled_ = 0;
};

}  // namespace chat::bench

#endif  // TOOLS_BENCH_MARKER_H_
