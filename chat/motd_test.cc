#include "chat/motd.h"

#include <fstream>
#include <string>

#include "chat/testing/test_files.h"
#include "gtest/gtest.h"

namespace chat {
namespace {

using testing::TempPath;

std::string WriteFile(std::string_view name, std::string_view text) {
  const std::string path = TempPath(name);
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

TEST(MotdTest, EachLineIsSanitisedLikeChatText) {
  // A terminal escape, a bare CR mid-line, a bidi override, invalid UTF-8, CRLF endings.
  EXPECT_EQ(SanitizeMotd("Welcome\x1b[2J!\r\nno\rspoofing\xE2\x80\xAE here\r\nbad \xff\n"),
            "Welcome[2J!\nnospoofing here\nbad \xEF\xBF\xBD");
}

TEST(MotdTest, TrailingBlankLinesAreDropped) {
  EXPECT_EQ(SanitizeMotd("Be nice.\n\n  \n"), "Be nice.");
  EXPECT_EQ(SanitizeMotd("\nBe nice."), "\nBe nice.");  // leading ones are the author's
  EXPECT_EQ(SanitizeMotd("\n \t\n"), "");
  EXPECT_EQ(SanitizeMotd(""), "");
}

TEST(MotdTest, ReadsAFileUpToTheLimit) {
  const std::string path = WriteFile("motd_ok.txt", "Be nice.\nNo spam.\n");
  absl::StatusOr<std::string> text = ReadMotdFile(path);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, "Be nice.\nNo spam.");
  const std::string exact = WriteFile("motd_exact.txt", std::string(kMaxMotdBytes, 'x'));
  text = ReadMotdFile(exact);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(text->size(), kMaxMotdBytes);
}

TEST(MotdTest, RefusesABiggerFileOrAMissingOne) {
  const std::string big = WriteFile("motd_big.txt", std::string(kMaxMotdBytes + 1, 'x'));
  absl::StatusOr<std::string> text = ReadMotdFile(big);
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.status().message(),
            big + " is larger than 4096 bytes; shorten it");
  text = ReadMotdFile(TempPath("no_such_motd.txt"));
  ASSERT_FALSE(text.ok());
  EXPECT_NE(text.status().message().find("cannot read"), std::string::npos);
}

TEST(MotdTest, SetAndGet) {
  Motd motd;
  EXPECT_EQ(motd.Get(), nullptr);
  motd.Set("Be nice.");
  const std::shared_ptr<const std::string> first = motd.Get();
  ASSERT_NE(first, nullptr);
  motd.Set("Be kind.");
  EXPECT_EQ(*first, "Be nice.");  // a snapshot already taken does not change
  EXPECT_EQ(*motd.Get(), "Be kind.");
  motd.Set("");
  EXPECT_EQ(motd.Get(), nullptr);
}

}  // namespace
}  // namespace chat
