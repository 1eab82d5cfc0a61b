#include "client/line_editor.h"

#include <algorithm>

#include "client/utf8.h"

namespace chat::client {
namespace {

bool IsSpace(char32_t c) { return c == ' ' || c == '\t' || c == 0x3000; }

}  // namespace

void LineEditor::Insert(char32_t c) {
  text_.insert(text_.begin() + static_cast<std::ptrdiff_t>(cursor_), c);
  ++cursor_;
}

void LineEditor::Insert(std::string_view utf8) {
  for (char32_t c : DecodeUtf8(utf8)) Insert(c);
}

void LineEditor::Left() {
  if (cursor_ > 0) --cursor_;
}

void LineEditor::Right() {
  if (cursor_ < text_.size()) ++cursor_;
}

void LineEditor::Home() { cursor_ = 0; }
void LineEditor::End() { cursor_ = text_.size(); }

void LineEditor::Backspace() {
  if (cursor_ == 0) return;
  text_.erase(cursor_ - 1, 1);
  --cursor_;
}

void LineEditor::Delete() {
  if (cursor_ < text_.size()) text_.erase(cursor_, 1);
}

void LineEditor::DeleteWordBackward() {
  size_t start = cursor_;
  while (start > 0 && IsSpace(text_[start - 1])) --start;
  while (start > 0 && !IsSpace(text_[start - 1])) --start;
  text_.erase(start, cursor_ - start);
  cursor_ = start;
}

void LineEditor::DeleteToStart() {
  text_.erase(0, cursor_);
  cursor_ = 0;
}

void LineEditor::Load(const std::u32string& text) {
  text_ = text;
  cursor_ = text_.size();
}

void LineEditor::HistoryUp() {
  if (history_index_ == 0) return;
  if (history_index_ == history_.size()) draft_ = text_;
  --history_index_;
  Load(history_[history_index_]);
}

void LineEditor::HistoryDown() {
  if (history_index_ >= history_.size()) return;
  ++history_index_;
  Load(history_index_ == history_.size() ? draft_ : history_[history_index_]);
}

std::string LineEditor::Submit(bool remember) {
  const bool blank = std::all_of(text_.begin(), text_.end(), IsSpace);
  if (remember && !blank && (history_.empty() || history_.back() != text_)) {
    history_.push_back(text_);
    if (history_.size() > max_history_) history_.pop_front();
  }
  std::string line = EncodeUtf8(text_);
  text_.clear();
  draft_.clear();
  cursor_ = 0;
  history_index_ = history_.size();
  scroll_ = 0;
  return line;
}

std::string LineEditor::Text() const { return EncodeUtf8(text_); }

int LineEditor::CursorColumn() const {
  return DisplayWidth(std::u32string_view(text_).substr(0, cursor_));
}

LineEditor::View LineEditor::Render(int width, bool masked) const {
  View view;
  if (width <= 0) return view;
  auto char_width = [masked](char32_t c) { return masked ? 1 : CharWidth(c); };
  int cursor_column = 0;
  for (size_t i = 0; i < cursor_; ++i) cursor_column += char_width(text_[i]);
  // Keep the cursor on screen, with the cell it stands on (at the end: one blank).
  const int cursor_cell = cursor_ < text_.size() ? std::max(1, char_width(text_[cursor_])) : 1;
  if (cursor_column < scroll_) scroll_ = cursor_column;
  if (cursor_column + cursor_cell > scroll_ + width) scroll_ = cursor_column + cursor_cell - width;
  if (scroll_ < 0) scroll_ = 0;
  view.cursor_column = cursor_column - scroll_;
  int column = 0;
  for (size_t i = 0; i < text_.size(); ++i) {
    const int w = char_width(text_[i]);
    // A wide character cut by either edge is not drawn (a blank stands in for its half).
    if (column >= scroll_ && column + w <= scroll_ + width) {
      if (masked) {
        view.text.push_back('*');
      } else {
        EncodeUtf8(text_[i], &view.text);
      }
    } else if (column < scroll_ && column + w > scroll_) {
      view.text.push_back(' ');
    }
    column += w;
    if (column >= scroll_ + width) break;
  }
  return view;
}

}  // namespace chat::client
