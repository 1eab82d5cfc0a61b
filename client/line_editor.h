// client/line_editor.h: the input line: editing, history, and where the cursor is drawn.
//
// Text is kept as code points, so every edit moves by whole characters, and columns are
// display columns (a CJK character or an emoji takes two). No terminal I/O here.

#ifndef CLIENT_LINE_EDITOR_H_
#define CLIENT_LINE_EDITOR_H_

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>

namespace chat::client {

class LineEditor {
 public:
  static constexpr size_t kDefaultHistory = 1000;
  explicit LineEditor(size_t max_history = kDefaultHistory) : max_history_(max_history) {}

  void Insert(char32_t c);
  void Insert(std::string_view utf8);  // each character, as typed
  void Left();
  void Right();
  void Home();
  void End();
  void Backspace();
  void Delete();
  void DeleteWordBackward();  // Ctrl+W: spaces before the cursor, then the word
  void DeleteToStart();       // Ctrl+U
  void HistoryUp();           // older entry; the line being typed is kept as a draft
  void HistoryDown();         // newer entry, and finally the draft back

  // LineEditor::Submit() returns the line and clears it; a non-blank line that is not a
  // repeat of the last one goes into history, unless `remember` is false (a password).
  std::string Submit(bool remember = true);

  std::string Text() const;
  bool empty() const { return text_.empty(); }
  size_t cursor() const { return cursor_; }  // in characters
  // Display columns from the start of the line to the cursor.
  int CursorColumn() const;

  // What to draw in `width` columns: the line scrolled so that the cursor is visible
  // (with one column to stand on at the end), and the cursor's column in it. `masked`
  // draws each character as one '*', as a password field does.
  struct View {
    std::string text;
    int cursor_column = 0;
  };
  View Render(int width, bool masked) const;

 private:
  void Load(const std::u32string& text);

  std::u32string text_;
  size_t cursor_ = 0;
  size_t max_history_;
  std::deque<std::u32string> history_;
  size_t history_index_ = 0;  // == history_.size() when editing the draft
  std::u32string draft_;
  mutable int scroll_ = 0;  // first column shown by Render(), kept between calls
};

}  // namespace chat::client

#endif  // CLIENT_LINE_EDITOR_H_
