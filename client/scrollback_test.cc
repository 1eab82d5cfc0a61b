#include "client/scrollback.h"

#include <string>

#include "client/server_stream.h"

#include "gtest/gtest.h"

namespace chat::client {
namespace {

StyledLine Plain(const std::string& text) { return {Span{text, 0}}; }


TEST(WrapLineTest, WrapsByDisplayColumnsKeepingStyles) {
  const StyledLine line = {Span{"[bob]", 1}, Span{":hello", 0}};
  const std::vector<StyledLine> rows = WrapLine(line, 4);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], (StyledLine{Span{"[bob", 1}}));
  EXPECT_EQ(rows[1], (StyledLine{Span{"]", 1}, Span{":he", 0}}));
  EXPECT_EQ(rows[2], (StyledLine{Span{"llo", 0}}));
}

TEST(WrapLineTest, AWideCharacterThatDoesNotFitStartsTheNextRow) {
  EXPECT_EQ(PlainTexts(WrapLine(Plain("ab日本"), 3)), (std::vector<std::string>{"ab", "日", "本"}));
  EXPECT_EQ(PlainTexts(WrapLine(Plain("😀😀😀"), 4)), (std::vector<std::string>{"😀😀", "😀"}));
  // A combining mark stays with its letter even at the edge.
  EXPECT_EQ(PlainTexts(WrapLine(Plain("abe\xcc\x81x"), 3)),
            (std::vector<std::string>{"abe\xcc\x81", "x"}));
  EXPECT_EQ(WrapLine(Plain(""), 10).size(), 1u);
}

TEST(WrapLineTest, ContinuationRowsAreIndentedSoNoRowCanFakeALineStart) {
  const std::string fake = "hi" + std::string(6, ' ') + "[1][admin]:x";
  const std::vector<std::string> rows = PlainTexts(WrapLine(Plain(fake), 8, 2));
  ASSERT_GE(rows.size(), 2u);
  for (size_t i = 1; i < rows.size(); ++i) EXPECT_EQ(rows[i].substr(0, 2), "  ") << rows[i];
}

TEST(ScrollbackTest, ShowsTheNewestRows) {
  Scrollback pane(Scrollback::kDefaultMaxLines, 0);
  for (int i = 1; i <= 5; ++i) pane.Add(Plain("line " + std::to_string(i)));
  EXPECT_EQ(PlainTexts(pane.View(80, 3)), (std::vector<std::string>{"line 3", "line 4", "line 5"}));
  EXPECT_EQ(PlainTexts(pane.View(80, 10)).size(), 5u);
  EXPECT_EQ(PlainTexts(pane.View(4, 3)), (std::vector<std::string>{" 4", "line", " 5"}));
}

TEST(ScrollbackTest, PagesThroughHistoryAndStaysPutWhileScrolledBack) {
  Scrollback pane;
  for (int i = 1; i <= 10; ++i) pane.Add(Plain(std::to_string(i)));
  pane.View(80, 4);
  pane.PageUp(4);  // three rows: one stays on screen for context
  EXPECT_EQ(PlainTexts(pane.View(80, 4)), (std::vector<std::string>{"4", "5", "6", "7"}));
  pane.Add(Plain("11"));
  EXPECT_EQ(PlainTexts(pane.View(80, 4)), (std::vector<std::string>{"4", "5", "6", "7"}));
  pane.PageUp(4);
  pane.PageUp(4);
  pane.PageUp(4);  // past the top: clamped
  EXPECT_EQ(PlainTexts(pane.View(80, 4)), (std::vector<std::string>{"1", "2", "3", "4"}));
  pane.PageDown(4);
  EXPECT_EQ(PlainTexts(pane.View(80, 4)), (std::vector<std::string>{"4", "5", "6", "7"}));
  pane.PageDown(4);
  pane.PageDown(4);
  pane.PageDown(4);
  EXPECT_EQ(pane.offset(), 0);
  EXPECT_EQ(PlainTexts(pane.View(80, 4)), (std::vector<std::string>{"8", "9", "10", "11"}));
}

TEST(ScrollbackTest, KeepsAtMostMaxLines) {
  Scrollback pane(3);
  for (int i = 1; i <= 10; ++i) pane.Add(Plain(std::to_string(i)));
  EXPECT_EQ(pane.size(), 3u);
  pane.PageUp(100);
  EXPECT_EQ(PlainTexts(pane.View(80, 10)), (std::vector<std::string>{"8", "9", "10"}));
}

TEST(ScrollbackTest, KeepsAtMostMaxBytesHoweverLongTheServersLinesAre) {
  Scrollback pane(Scrollback::kDefaultMaxLines, 0, /*max_bytes=*/100);
  for (int i = 0; i < 10; ++i) pane.Add(Plain(std::string(30, static_cast<char>('a' + i))));
  EXPECT_EQ(pane.size(), 3u);  // 90 bytes; a fourth 30-byte line would be 120
  EXPECT_EQ(pane.bytes(), 90u);
  pane.PageUp(100);
  EXPECT_EQ(PlainTexts(pane.View(80, 10)),
            (std::vector<std::string>{std::string(30, 'h'), std::string(30, 'i'),
                                      std::string(30, 'j')}));
  // A line over the whole budget replaces everything but is itself kept, so the newest
  // thing the server said is always on screen.
  pane.Add({Span{std::string(80, 'x'), 0}, Span{std::string(80, 'y'), 1}});
  EXPECT_EQ(pane.size(), 1u);
  EXPECT_EQ(pane.bytes(), 160u);
  pane.Add(Plain("z"));
  EXPECT_EQ(pane.size(), 1u);
  EXPECT_EQ(pane.bytes(), 1u);
}

TEST(ScrollbackTest, TheDefaultByteBoundHoldsAgainstMaximalLines) {
  Scrollback pane;
  const std::string line(ServerStream::kMaxPendingBytes, 'x');  // the longest line parsed
  for (size_t i = 0; i < Scrollback::kDefaultMaxLines; ++i) pane.Add(Plain(line));
  EXPECT_LE(pane.bytes(), Scrollback::kDefaultMaxBytes);
  EXPECT_EQ(pane.size(), Scrollback::kDefaultMaxBytes / line.size());
}

}  // namespace
}  // namespace chat::client
