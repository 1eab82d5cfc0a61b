#include "chat/line_framer.h"

namespace chat {

LineFramer::LineFramer(size_t max_line_bytes) : max_line_bytes_(max_line_bytes) {}

std::vector<LineFramer::Line> LineFramer::Feed(std::string_view bytes) {
  std::vector<Line> out;
  while (!bytes.empty()) {
    const size_t newline = bytes.find('\n');
    const std::string_view chunk = bytes.substr(0, newline);
    if (!discarding_) {
      partial_.append(chunk);
      // One byte of slack: the line may still turn out to end in "\r\n".
      if (partial_.size() > max_line_bytes_ + 1) {
        partial_.clear();
        partial_.shrink_to_fit();
        discarding_ = true;
      }
    }
    if (newline == std::string_view::npos) break;
    Finish(out);
    bytes.remove_prefix(newline + 1);
  }
  return out;
}

void LineFramer::Finish(std::vector<Line>& out) {
  if (discarding_) {
    discarding_ = false;
    out.push_back(Line{.text = {}, .too_long = true});
    return;
  }
  if (!partial_.empty() && partial_.back() == '\r') partial_.pop_back();
  if (partial_.size() > max_line_bytes_) {
    out.push_back(Line{.text = {}, .too_long = true});
  } else {
    out.push_back(Line{.text = std::move(partial_), .too_long = false});
  }
  partial_.clear();
}

}  // namespace chat
