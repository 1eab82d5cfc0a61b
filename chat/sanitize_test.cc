#include "chat/sanitize.h"

#include <string>

#include "gtest/gtest.h"

namespace chat {
namespace {

using namespace std::string_literals;

TEST(SanitizeTextTest, KeepsPrintableTextAndTabs) {
  EXPECT_EQ(SanitizeText("hello, world\tand tabs"), "hello, world\tand tabs");
}

TEST(SanitizeTextTest, KeepsValidUtf8) {
  EXPECT_EQ(SanitizeText("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x90\xA7"),
            "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x90\xA7");
}

TEST(SanitizeTextTest, RemovesTerminalEscapeIntroducers) {
  // Clear-screen and cursor-move sequences lose their ESC and become harmless text.
  EXPECT_EQ(SanitizeText("\x1b[2Jhi\x1b[10;10H"), "[2Jhi[10;10H");
}

TEST(SanitizeTextTest, RemovesBellBackspaceCarriageReturnAndDel) {
  EXPECT_EQ(SanitizeText("a\x07" "b\x08" "c\rd\x7f" "e"), "abcde");
}

TEST(SanitizeTextTest, RemovesNulBytes) { EXPECT_EQ(SanitizeText("a\0b\0"s), "ab"); }

TEST(SanitizeTextTest, RemovesC1Controls) {
  // U+009B is a one-byte CSI on terminals that honour C1 controls.
  EXPECT_EQ(SanitizeText("x\xC2\x9B" "2Jy\xC2\x85"), "x2Jy");
  EXPECT_EQ(SanitizeText("\xC2\xA0"), "\xC2\xA0");  // U+00A0 is printable
}

TEST(SanitizeTextTest, RemovesLineAndParagraphSeparators) {
  EXPECT_EQ(SanitizeText("a\xE2\x80\xA8[12:00][admin]:b\xE2\x80\xA9" "c"),
            "a[12:00][admin]:bc");
}

TEST(SanitizeTextTest, RemovesBidiEmbeddingsOverridesAndIsolates) {
  // U+202E RIGHT-TO-LEFT OVERRIDE would draw "uoy>-" backwards, and everything after it.
  EXPECT_EQ(SanitizeText("x\xE2\x80\xAEuoy >- nimda"), "xuoy >- nimda");
  for (const char* control : {"\xE2\x80\xAA", "\xE2\x80\xAB", "\xE2\x80\xAC", "\xE2\x80\xAD",
                              "\xE2\x80\xAE", "\xE2\x81\xA6", "\xE2\x81\xA7", "\xE2\x81\xA8",
                              "\xE2\x81\xA9"}) {
    EXPECT_EQ(SanitizeText(std::string("<") + control + ">"), "<>") << control;
  }
}

TEST(SanitizeTextTest, RemovesDeprecatedFormatTogglesAndAnnotations) {
  EXPECT_EQ(SanitizeText("a\xE2\x81\xAA" "b\xE2\x81\xAF" "c"), "abc");  // U+206A, U+206F
  EXPECT_EQ(SanitizeText("a\xEF\xBF\xB9" "b\xEF\xBF\xBA" "c\xEF\xBF\xBB"), "abc");
}

TEST(SanitizeTextTest, KeepsJoinersMarksAndVariationSelectors) {
  const std::string kept[] = {
      "\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x92\xBB",  // woman technologist (ZWJ)
      "\xE2\x9D\xA4\xEF\xB8\x8F",                       // red heart + VS16
      "\xD9\x85\xE2\x80\x8C\xD9\x8A",                   // ZWNJ in Arabic-script text
      "\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D\xE2\x80\x8E!",  // Hebrew + LRM
      "\xE2\x80\x8F\xD8\x9C\xE2\x80\xA7\xE2\x81\xA5",    // RLM, ALM, U+2027, U+2065
      "\xEF\xBF\xB8\xEF\xBF\xBC\xEF\xBF\xBD",              // U+FFF8, U+FFFC, U+FFFD
  };
  for (const std::string& text : kept) EXPECT_EQ(SanitizeText(text), text) << text;
}

TEST(SanitizeTextTest, ReplacesInvalidUtf8WithReplacementCharacter) {
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(SanitizeText("a\xFF" "b"), "a" + fffd + "b");
  EXPECT_EQ(SanitizeText("\xC3"), fffd);                  // truncated sequence
  EXPECT_EQ(SanitizeText("\xC0\xAF"), fffd + fffd);       // overlong '/'
  EXPECT_EQ(SanitizeText("\xED\xA0\x80"), fffd + fffd + fffd);  // surrogate
  EXPECT_EQ(SanitizeText("\xF4\x90\x80\x80"), fffd + fffd + fffd + fffd);  // > U+10FFFF
}

TEST(Utf8Test, AcceptsWellFormedRefusesWhatSanitizingWouldReplace) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("hi \x01 caf\xC3\xA9 \xF0\x9F\x90\xA7"));  // controls are valid UTF-8
  EXPECT_FALSE(IsValidUtf8("\xC3"));
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));
  EXPECT_FALSE(IsValidUtf8("ok\xFF"));
}

TEST(BlankTest, DetectsBlankLines) {
  EXPECT_TRUE(IsBlank(""));
  EXPECT_TRUE(IsBlank(" \t  "));
  EXPECT_FALSE(IsBlank(" x "));
  EXPECT_EQ(TrimBlanks("  al ice\t"), "al ice");
  EXPECT_EQ(TrimBlanks("   "), "");
}

}  // namespace
}  // namespace chat
