#include "client/utf8.h"

#include "gtest/gtest.h"

namespace chat::client {
namespace {

TEST(Utf8Test, DecodesAndEncodesRoundTrip) {
  const std::string text = "aé日😀";
  EXPECT_EQ(DecodeUtf8(text), (std::u32string{U'a', U'é', U'日', U'😀'}));
  EXPECT_EQ(EncodeUtf8(DecodeUtf8(text)), text);
}

TEST(Utf8Test, InvalidBytesBecomeReplacementCharacters) {
  EXPECT_EQ(DecodeUtf8("a\xff" "b"), (std::u32string{U'a', kReplacement, U'b'}));
  EXPECT_EQ(DecodeUtf8("\xc0\xaf"), (std::u32string{kReplacement, kReplacement}));  // overlong
  EXPECT_EQ(DecodeUtf8("\xed\xa0\x80").size(), 3u);                                 // surrogate
  EXPECT_EQ(DecodeUtf8("\xe6\x97"), (std::u32string{kReplacement, kReplacement}));  // cut short
}

TEST(Utf8Test, WidthsAreDisplayColumns) {
  EXPECT_EQ(DisplayWidth("abc"), 3);
  EXPECT_EQ(DisplayWidth("日本"), 4);
  EXPECT_EQ(DisplayWidth("😀"), 2);
  EXPECT_EQ(DisplayWidth("e\xcc\x81"), 1);  // e + combining acute
}

TEST(Utf8Test, TruncatesByColumns) {
  EXPECT_EQ(TruncateToWidth("ab日本", 3), "ab");
  EXPECT_EQ(TruncateToWidth("ab日本", 4), "ab日");
  EXPECT_EQ(TruncateToWidth("abc", 10), "abc");
}

TEST(Utf8Test, SanitizeRemovesEverythingThatMovesTheCursor) {
  EXPECT_EQ(SanitizeForDisplay("a\tb\x1b[2Jc\rd\x07\x7f"), "a b[2Jcd");
  EXPECT_EQ(SanitizeForDisplay("x\xc2\x9by"), "xy");  // C1 CSI
  EXPECT_EQ(SanitizeForDisplay("\xe2\x80\xae" "evil"), "evil");  // RLO
  EXPECT_EQ(SanitizeForDisplay("\xff"), "\xef\xbf\xbd");
}

}  // namespace
}  // namespace chat::client
