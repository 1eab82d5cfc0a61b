#include "client/scrollback.h"

#include <algorithm>
#include <utility>

#include "client/utf8.h"

namespace chat::client {

std::string PlainText(const StyledLine& line) {
  std::string text;
  for (const Span& span : line) text += span.text;
  return text;
}

namespace {
size_t PlainBytes(const StyledLine& line) {
  size_t bytes = 0;
  for (const Span& span : line) bytes += span.text.size();
  return bytes;
}
}  // namespace

std::vector<std::string> PlainTexts(const std::vector<StyledLine>& lines) {
  std::vector<std::string> texts;
  texts.reserve(lines.size());
  for (const StyledLine& line : lines) texts.push_back(PlainText(line));
  return texts;
}

std::vector<StyledLine> WrapLine(const StyledLine& line, int width, int indent) {
  width = std::max(width, 1);
  if (indent >= width) indent = 0;
  std::vector<StyledLine> rows(1);
  int column = 0;
  for (const Span& span : line) {
    for (char32_t c : DecodeUtf8(span.text)) {
      const int w = CharWidth(c);
      if (w > 0 && column + w > width && column > 0) {
        rows.emplace_back();
        column = 0;
        if (indent > 0) {
          rows.back().push_back(Span{std::string(indent, ' '), 0});
          column = indent;
        }
      }
      StyledLine& row = rows.back();
      if (row.empty() || row.back().style != span.style) row.push_back(Span{"", span.style});
      EncodeUtf8(c, &row.back().text);
      column += w;
    }
  }
  return rows;
}

void Scrollback::Add(StyledLine line) {
  if (offset_ > 0 && width_ > 0) offset_ += static_cast<int>(WrapLine(line, width_, indent_).size());
  bytes_ += PlainBytes(line);
  lines_.push_back(std::move(line));
  while (lines_.size() > 1 && (lines_.size() > max_lines_ || bytes_ > max_bytes_)) {
    bytes_ -= PlainBytes(lines_.front());
    lines_.pop_front();
  }
}

int Scrollback::TotalRows(int width) const {
  int rows = 0;
  for (const StyledLine& line : lines_) rows += static_cast<int>(WrapLine(line, width, indent_).size());
  return rows;
}

std::vector<StyledLine> Scrollback::View(int width, int height) {
  if (width != width_ && width_ != 0) offset_ = 0;  // old row counts mean nothing now
  width_ = width;
  std::vector<StyledLine> view;
  if (height <= 0) return view;
  offset_ = std::clamp(offset_, 0, std::max(0, TotalRows(width) - height));
  // Walk back from the newest line only as far as the view needs.
  const int wanted = offset_ + height;
  std::vector<StyledLine> rows;  // newest first
  for (auto it = lines_.rbegin(); it != lines_.rend() && static_cast<int>(rows.size()) < wanted;
       ++it) {
    std::vector<StyledLine> wrapped = WrapLine(*it, width, indent_);
    for (auto row = wrapped.rbegin(); row != wrapped.rend(); ++row) rows.push_back(std::move(*row));
  }
  const int available = static_cast<int>(rows.size());
  const int last = std::min(available, wanted);
  for (int i = last - 1; i >= offset_; --i) view.push_back(std::move(rows[i]));
  return view;
}

void Scrollback::PageUp(int height) { offset_ += std::max(1, height - 1); }

void Scrollback::PageDown(int height) { offset_ = std::max(0, offset_ - std::max(1, height - 1)); }

}  // namespace chat::client
