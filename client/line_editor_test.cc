#include "client/line_editor.h"

#include "gtest/gtest.h"

namespace chat::client {
namespace {

TEST(LineEditorTest, InsertsAtTheCursorAndMovesByCharacters) {
  LineEditor editor;
  editor.Insert("hllo");
  editor.Home();
  editor.Right();
  editor.Insert(U'e');
  EXPECT_EQ(editor.Text(), "hello");
  EXPECT_EQ(editor.cursor(), 2u);
  editor.End();
  editor.Insert(" 日本");
  editor.Left();
  editor.Backspace();  // removes 日 whole
  EXPECT_EQ(editor.Text(), "hello 本");
  editor.Left();
  editor.Delete();  // the space
  EXPECT_EQ(editor.Text(), "hello本");
}

TEST(LineEditorTest, EdgesAreHarmless) {
  LineEditor editor;
  editor.Backspace();
  editor.Delete();
  editor.Left();
  editor.Right();
  editor.DeleteWordBackward();
  editor.HistoryUp();
  editor.HistoryDown();
  EXPECT_EQ(editor.Text(), "");
  EXPECT_EQ(editor.cursor(), 0u);
}

TEST(LineEditorTest, CtrlWDeletesTheWordBeforeTheCursorAndCtrlUTheStart) {
  LineEditor editor;
  editor.Insert("one two  three");
  editor.DeleteWordBackward();
  EXPECT_EQ(editor.Text(), "one two  ");
  editor.DeleteWordBackward();
  EXPECT_EQ(editor.Text(), "one ");
  editor.Insert("x y");
  editor.Left();
  editor.DeleteToStart();
  EXPECT_EQ(editor.Text(), "y");
  EXPECT_EQ(editor.cursor(), 0u);
}

TEST(LineEditorTest, HistoryKeepsTheDraft) {
  LineEditor editor;
  editor.Insert("first");
  EXPECT_EQ(editor.Submit(), "first");
  editor.Insert("second");
  EXPECT_EQ(editor.Submit(), "second");
  editor.Insert("second");
  editor.Submit();  // a repeat is not stored twice
  editor.Insert("   ");
  editor.Submit();  // nor a blank line
  editor.Insert("draft");
  editor.HistoryUp();
  EXPECT_EQ(editor.Text(), "second");
  editor.HistoryUp();
  EXPECT_EQ(editor.Text(), "first");
  editor.HistoryUp();
  EXPECT_EQ(editor.Text(), "first");
  editor.HistoryDown();
  EXPECT_EQ(editor.Text(), "second");
  editor.HistoryDown();
  EXPECT_EQ(editor.Text(), "draft");
  EXPECT_EQ(editor.cursor(), 5u);
}

TEST(LineEditorTest, HistoryIsBoundedAndPasswordsAreNotKept) {
  LineEditor editor(2);
  for (const char* line : {"a", "b", "c"}) {
    editor.Insert(line);
    editor.Submit();
  }
  editor.Insert("secret");
  editor.Submit(/*remember=*/false);
  editor.HistoryUp();
  EXPECT_EQ(editor.Text(), "c");
  editor.HistoryUp();
  EXPECT_EQ(editor.Text(), "b");
  editor.HistoryUp();
  EXPECT_EQ(editor.Text(), "b");
}

TEST(LineEditorTest, CursorColumnCountsDisplayColumns) {
  LineEditor editor;
  editor.Insert("a日😀e\xcc\x81");
  EXPECT_EQ(editor.CursorColumn(), 1 + 2 + 2 + 1);
  editor.Left();  // before the combining mark
  editor.Left();
  EXPECT_EQ(editor.CursorColumn(), 5);
}

TEST(LineEditorTest, RenderScrollsToKeepTheCursorVisible) {
  LineEditor editor;
  editor.Insert("abcdefghij");
  LineEditor::View view = editor.Render(5, false);
  EXPECT_EQ(view.text, "ghij");  // and one free cell for the cursor
  EXPECT_EQ(view.cursor_column, 4);
  editor.Home();
  view = editor.Render(5, false);
  EXPECT_EQ(view.text, "abcde");
  EXPECT_EQ(view.cursor_column, 0);
}

// What a line typed to its end looks like in `width` columns.
struct RenderCase {
  const char* typed;
  int width;
  bool masked;
  const char* shown;
  int cursor_column;
};

TEST(LineEditorTest, RenderNeverSplitsAWideCharacterAndMasksOneStarPerCharacter) {
  for (const RenderCase& c : {
           // 6 columns + the cursor's cell in 4: "語" and a blank for the cut-off half of "本".
           RenderCase{"日本語", 4, false, " 語", 3},
           RenderCase{"pä日", 20, true, "***", 3},
           RenderCase{"😀x", 20, false, "😀x", 3},
       }) {
    LineEditor editor;
    editor.Insert(c.typed);
    const LineEditor::View view = editor.Render(c.width, c.masked);
    EXPECT_EQ(view.text, c.shown) << c.typed;
    EXPECT_EQ(view.cursor_column, c.cursor_column) << c.typed;
  }
}

}  // namespace
}  // namespace chat::client
