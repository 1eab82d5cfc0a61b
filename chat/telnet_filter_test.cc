#include "chat/telnet_filter.h"

#include <string>

#include "gtest/gtest.h"

namespace chat {
namespace {

using namespace std::string_literals;

TEST(TelnetFilterTest, PlainTextPassesThrough) {
  TelnetFilter filter;
  EXPECT_EQ(filter.Filter("hello\r\n"), "hello\r\n");
}

TEST(TelnetFilterTest, RemovesOptionNegotiation) {
  TelnetFilter filter;
  // IAC DO ECHO, IAC WILL SUPPRESS-GO-AHEAD, IAC WONT LINEMODE, IAC DONT NAWS
  EXPECT_EQ(filter.Filter("\xFF\xFD\x01" "al\xFF\xFB\x03" "ice\xFF\xFC\x22\xFF\xFE\x1F\r\n"),
            "alice\r\n");
}

TEST(TelnetFilterTest, RemovesSubnegotiation) {
  TelnetFilter filter;
  // IAC SB NAWS 0 80 0 24 IAC SE, with an escaped 0xFF inside
  EXPECT_EQ(filter.Filter("a\xFF\xFA\x1F\x00\x50\xFF\xFF\x00\x18\xFF\xF0" "b"s), "ab");
}

TEST(TelnetFilterTest, RemovesInterruptProcessFromCtrlC) {
  TelnetFilter filter;
  EXPECT_EQ(filter.Filter("x\xFF\xF4\xFF\xFD\x06y"), "xy");  // IAC IP, IAC DO TIMING-MARK
}

TEST(TelnetFilterTest, EscapedIacIsALiteralByte) {
  TelnetFilter filter;
  EXPECT_EQ(filter.Filter("a\xFF\xFF" "b"), "a\xFF" "b");
}

TEST(TelnetFilterTest, CommandsSplitAcrossReads) {
  TelnetFilter filter;
  EXPECT_EQ(filter.Filter("ab\xFF"), "ab");
  EXPECT_EQ(filter.Filter("\xFB"), "");
  EXPECT_EQ(filter.Filter("\x01" "cd\xFF\xFA"), "cd");
  EXPECT_TRUE(filter.in_subnegotiation());
  EXPECT_EQ(filter.Filter("junk\xFF"), "");
  EXPECT_EQ(filter.Filter("\xF0" "ef"), "ef");
  EXPECT_FALSE(filter.in_subnegotiation());
}

}  // namespace
}  // namespace chat
