#include "chat/line_framer.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace chat {
namespace {

using namespace std::string_literals;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using Line = LineFramer::Line;

Line L(std::string text) { return Line{.text = std::move(text), .too_long = false}; }
const Line kTooLong{.text = {}, .too_long = true};

TEST(LineFramerTest, SplitsSeveralLinesInOneRead) {
  LineFramer framer(100);
  EXPECT_THAT(framer.Feed("one\ntwo\nthree\n"), ElementsAre(L("one"), L("two"), L("three")));
  EXPECT_EQ(framer.buffered_bytes(), 0u);
}

TEST(LineFramerTest, ReassemblesALineSplitAcrossReads) {
  LineFramer framer(100);
  EXPECT_THAT(framer.Feed("hel"), IsEmpty());
  EXPECT_THAT(framer.Feed("lo wor"), IsEmpty());
  EXPECT_THAT(framer.Feed("ld\nnext"), ElementsAre(L("hello world")));
  EXPECT_EQ(framer.buffered_bytes(), 4u);
  EXPECT_THAT(framer.Feed("\n"), ElementsAre(L("next")));
}

TEST(LineFramerTest, StripsOneCarriageReturnBeforeNewline) {
  LineFramer framer(100);
  EXPECT_THAT(framer.Feed("telnet\r\nnc -C\r\n"), ElementsAre(L("telnet"), L("nc -C")));
  EXPECT_THAT(framer.Feed("two\r\r\n"), ElementsAre(L("two\r")));  // only one
}

TEST(LineFramerTest, CarriageReturnSplitFromItsNewline) {
  LineFramer framer(100);
  EXPECT_THAT(framer.Feed("abc\r"), IsEmpty());
  EXPECT_THAT(framer.Feed("\n"), ElementsAre(L("abc")));
}

TEST(LineFramerTest, ByteAtATime) {
  LineFramer framer(100);
  std::vector<Line> lines;
  for (char c : "hi\r\nyou\n"s) {
    for (Line& line : framer.Feed(std::string(1, c))) lines.push_back(line);
  }
  EXPECT_THAT(lines, ElementsAre(L("hi"), L("you")));
}

TEST(LineFramerTest, EmptyLines) {
  LineFramer framer(100);
  EXPECT_THAT(framer.Feed("\n\r\n\n"), ElementsAre(L(""), L(""), L("")));
}

TEST(LineFramerTest, PassesNulAndEscapeBytesThrough) {
  LineFramer framer(100);
  EXPECT_THAT(framer.Feed("a\0b\x1b[2J\n"s), ElementsAre(L("a\0b\x1b[2J"s)));
}

TEST(LineFramerTest, LineExactlyAtLimitIsAccepted) {
  LineFramer framer(5);
  EXPECT_THAT(framer.Feed("12345\n12345\r\n"), ElementsAre(L("12345"), L("12345")));
}

TEST(LineFramerTest, OverLongLineIsReportedOnceAndSkippedToItsNewline) {
  LineFramer framer(5);
  EXPECT_THAT(framer.Feed("123456\nok\n"), ElementsAre(kTooLong, L("ok")));
  EXPECT_THAT(framer.Feed("1234567890"), IsEmpty());
  EXPECT_THAT(framer.Feed("more and more"), IsEmpty());
  EXPECT_THAT(framer.Feed("end\nfine\n"), ElementsAre(kTooLong, L("fine")));
}

TEST(LineFramerTest, StreamWithoutNewlineStaysBounded) {
  LineFramer framer(64);
  const std::string chunk(1000, 'x');
  for (int i = 0; i < 1000; ++i) {
    EXPECT_THAT(framer.Feed(chunk), IsEmpty());
    EXPECT_LE(framer.buffered_bytes(), 65u);
  }
  EXPECT_THAT(framer.Feed("\n"), ElementsAre(kTooLong));
}

TEST(LineFramerTest, SixBytesPlusCarriageReturnIsTooLongForFive) {
  LineFramer framer(5);
  EXPECT_THAT(framer.Feed("123456\r\n"), ElementsAre(kTooLong));
}

}  // namespace
}  // namespace chat
