// tools/bench/marker.cc: marker formatting and the incremental marker scanner.

#include "tools/bench/marker.h"

#include <algorithm>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace chat::bench {
namespace {

enum class ParseStatus { kOk, kIncomplete, kMalformed };

// Longest decimal field accepted; more digits cannot be ours (and would overflow).
constexpr size_t kMaxDigits = 18;

// Parses ".<sender>.<seq>.<send_ns>." at the start of `text` (the bytes right after the
// token). kIncomplete means the text ended while still well-formed: wait for more bytes.
ParseStatus ParseFields(std::string_view text, Marker* marker, size_t* consumed) {
  if (text.empty()) return ParseStatus::kIncomplete;
  if (text[0] != '.') return ParseStatus::kMalformed;
  int64_t values[3] = {0, 0, 0};
  size_t p = 1;
  for (int64_t& value : values) {
    size_t digits = 0;
    while (p < text.size() && text[p] >= '0' && text[p] <= '9') {
      if (++digits > kMaxDigits) return ParseStatus::kMalformed;
      value = value * 10 + (text[p] - '0');
      ++p;
    }
    if (p == text.size()) return ParseStatus::kIncomplete;
    if (digits == 0 || text[p] != '.') return ParseStatus::kMalformed;
    ++p;
  }
  marker->sender = values[0];
  marker->seq = values[1];
  marker->send_ns = values[2];
  *consumed = p;
  return ParseStatus::kOk;
}

}  // namespace

std::string MakeNonce() {
  std::random_device random;
  return absl::StrFormat("%06x", random() & 0xFFFFFF);
}

std::string MarkerToken(std::string_view nonce) { return absl::StrCat(kMarkerPrefix, nonce); }

size_t AppendPayload(std::string* out, std::string_view token, const Marker& marker, size_t size) {
  const size_t start = out->size();
  absl::StrAppend(out, token, ".", marker.sender, ".", marker.seq, ".", marker.send_ns, ".");
  const size_t written = out->size() - start;
  if (written < size) out->append(size - written, 'x');
  return out->size() - start;
}

void MarkerScanner::Feed(std::string_view chunk, absl::FunctionRef<void(const Marker&)> on_marker) {
  // Usually nothing is pending (chunks end with a prompt), so scan the chunk in place.
  const bool use_pending = !pending_.empty();
  if (use_pending) pending_.append(chunk);
  const std::string_view data = use_pending ? std::string_view(pending_) : chunk;

  size_t pos = 0;
  size_t keep_from = data.size();
  while (true) {
    const size_t i = data.find(kMarkerPrefix, pos);
    if (i == std::string_view::npos) {
      // Keep a trailing "C", "CL" or "CLM": the next chunk may complete the prefix.
      for (size_t k = std::min(kMarkerPrefix.size() - 1, data.size() - pos); k > 0; --k) {
        if (data.substr(data.size() - k) == kMarkerPrefix.substr(0, k)) {
          keep_from = data.size() - k;
          break;
        }
      }
      break;
    }
    const std::string_view rest = data.substr(i);
    if (rest.size() < token_.size()) {
      if (std::string_view(token_).substr(0, rest.size()) == rest) {
        keep_from = i;  // may still turn out to be ours
        break;
      }
      ++foreign_;
      pos = i + kMarkerPrefix.size();
      continue;
    }
    if (rest.substr(0, token_.size()) != token_) {
      ++foreign_;
      pos = i + kMarkerPrefix.size();
      continue;
    }
    Marker marker;
    size_t consumed = 0;
    const ParseStatus status = ParseFields(rest.substr(token_.size()), &marker, &consumed);
    if (status == ParseStatus::kIncomplete) {
      keep_from = i;
      break;
    }
    if (status == ParseStatus::kMalformed) {
      ++garbled_;
      pos = i + token_.size();
      continue;
    }
    on_marker(marker);
    pos = i + token_.size() + consumed;
  }

  if (use_pending) {
    pending_.erase(0, keep_from);
  } else {
    pending_.assign(data.substr(keep_from));
  }
}

void MarkerScanner::FeedMessage(std::string_view text,
                                absl::FunctionRef<void(const Marker&)> on_marker) {
  Feed(text, on_marker);
  // Only a marker cut off by the end of the text waits for more; the newline ends it
  // (as garbled, or a foreign prefix) exactly as at the end of a net-cat line.
  if (!pending_.empty()) Feed("\n", on_marker);
}

}  // namespace chat::bench
