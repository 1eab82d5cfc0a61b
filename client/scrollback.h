// client/scrollback.h: the message pane's lines, wrapped by display width, and paging.
//
// Lines are kept whole (styled spans) and wrapped when drawn, so a resize re-wraps
// everything. At most `max_lines` lines and `max_bytes` of text are kept; the oldest go
// first. Both bounds matter: the server decides how long lines are (up to the stream
// parser's 64 KiB each), so a line count alone would let a hostile server make the
// client hold hundreds of megabytes.

#ifndef CLIENT_SCROLLBACK_H_
#define CLIENT_SCROLLBACK_H_

#include <cstddef>
#include <deque>
#include <string>
#include <vector>

namespace chat::client {

// A run of text in one style. Styles are the UI's to define (colour pair, bold...).
struct Span {
  std::string text;  // UTF-8 without control characters
  int style = 0;
  bool operator==(const Span&) const = default;
};
using StyledLine = std::vector<Span>;

// PlainText() is the line's text without its styles.
std::string PlainText(const StyledLine& line);
std::vector<std::string> PlainTexts(const std::vector<StyledLine>& lines);

// WrapLine() splits `line` into rows of at most `width` display columns. A character
// that does not fit (a wide one at the last column) starts the next row; combining
// marks stay with their base character. An empty line is one empty row. Rows after
// the first start with `indent` spaces (style 0), so a line padded to wrap can never
// put something that looks like the start of another line at the start of a row.
std::vector<StyledLine> WrapLine(const StyledLine& line, int width, int indent = 0);

class Scrollback {
 public:
  static constexpr size_t kDefaultMaxLines = 5000;
  static constexpr size_t kDefaultMaxBytes = 4 << 20;
  static constexpr int kIndent = 2;  // of continuation rows
  explicit Scrollback(size_t max_lines = kDefaultMaxLines, int indent = kIndent,
                      size_t max_bytes = kDefaultMaxBytes)
      : max_lines_(max_lines), max_bytes_(max_bytes), indent_(indent) {}

  // Scrollback::Add() appends a line. When scrolled back, the view stays on the same
  // rows (as long as they are kept), so reading old lines is not interrupted.
  void Add(StyledLine line);

  // The rows to draw in a pane of `width` x `height`, top to bottom: the newest rows,
  // or older ones when paged back. Fewer than `height` when there is not enough text.
  std::vector<StyledLine> View(int width, int height);

  void PageUp(int height);
  void PageDown(int height);
  void ScrollToBottom() { offset_ = 0; }
  // Rows between the bottom of the view and the newest row (0: following new lines).
  int offset() const { return offset_; }
  size_t size() const { return lines_.size(); }
  // Bytes of text held (the newest line is always kept, whatever its size).
  size_t bytes() const { return bytes_; }

 private:
  int TotalRows(int width) const;

  size_t max_lines_;
  size_t max_bytes_;
  int indent_;
  size_t bytes_ = 0;
  std::deque<StyledLine> lines_;
  int offset_ = 0;
  int width_ = 0;  // of the last View(), to keep a scrolled view in place on Add()
};

}  // namespace chat::client

#endif  // CLIENT_SCROLLBACK_H_
