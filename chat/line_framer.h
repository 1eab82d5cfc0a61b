// chat/line_framer.h: turns a byte stream into lines. No I/O.
//
// Defines:
//   LineFramer - reassembles '\n'-terminated lines across reads, strips one '\r' before
//                the '\n', and bounds the bytes it holds.

#ifndef CHAT_LINE_FRAMER_H_
#define CHAT_LINE_FRAMER_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace chat {

// LineFramer splits input at '\n'. Bytes are passed through untouched otherwise (control
// bytes are the sanitiser's business). A line longer than `max_line_bytes` (counted
// without its "\r\n" or "\n") is discarded up to and including its newline and reported
// once as `too_long`, so memory stays bounded even for a stream that never sends '\n'.
//
// Example:
//   LineFramer framer(4096);
//   for (const LineFramer::Line& line : framer.Feed(bytes)) ...
//
// Not thread-safe: one framer belongs to one connection's reader.
class LineFramer {
 public:
  struct Line {
    std::string text;       // without the terminator; empty when too_long
    bool too_long = false;  // the line exceeded max_line_bytes and was dropped

    bool operator==(const Line&) const = default;
  };

  explicit LineFramer(size_t max_line_bytes);

  // LineFramer::Feed() consumes `bytes` and returns the lines it completed, in order.
  std::vector<Line> Feed(std::string_view bytes);

  // Bytes of an unfinished line held for the next Feed() (at most max_line_bytes + 1).
  size_t buffered_bytes() const { return partial_.size(); }

 private:
  void Finish(std::vector<Line>& out);

  const size_t max_line_bytes_;
  std::string partial_;
  // Set while skipping the rest of an over-long line: bytes are dropped until '\n'.
  bool discarding_ = false;
};

}  // namespace chat

#endif  // CHAT_LINE_FRAMER_H_
