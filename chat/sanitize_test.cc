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

TEST(SanitizeTextTest, ReplacesInvalidUtf8WithReplacementCharacter) {
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(SanitizeText("a\xFF" "b"), "a" + fffd + "b");
  EXPECT_EQ(SanitizeText("\xC3"), fffd);                  // truncated sequence
  EXPECT_EQ(SanitizeText("\xC0\xAF"), fffd + fffd);       // overlong '/'
  EXPECT_EQ(SanitizeText("\xED\xA0\x80"), fffd + fffd + fffd);  // surrogate
  EXPECT_EQ(SanitizeText("\xF4\x90\x80\x80"), fffd + fffd + fffd + fffd);  // > U+10FFFF
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
