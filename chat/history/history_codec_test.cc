#include "chat/history/history_codec.h"

#include <ostream>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace chat::history {

// For readable failures; the escaped form shows every byte.
void PrintTo(const HistoryRecord& record, std::ostream* os) {
  *os << "{" << absl::ToUnixMicros(record.time) << " room=\"" << EscapeField(record.room)
      << "\" name=\"" << EscapeField(record.name) << "\" text=\"" << EscapeField(record.text)
      << "\"}";
}

namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::string_view_literals;

std::string AllBytes() {
  std::string bytes;
  for (int b = 0; b < 256; ++b) bytes += static_cast<char>(b);
  return bytes;
}

// The format is a contract with files already on disk: pin exact bytes.
TEST(EscapeFieldTest, EscapesExactlyAsDocumented) {
  EXPECT_EQ(EscapeField("a\\b\tc\nd\re\0f\x1f\x7f"sv), "a\\\\b\\tc\\nd\\re\\x00f\\x1f\\x7f");
  EXPECT_EQ(EscapeField("\x1b[31m"), "\\x1b[31m");
  // Bytes >= 0x80 are written as is, valid UTF-8 or not.
  EXPECT_EQ(EscapeField("\xc3\xa9t\xc3\xa9 \xff\xfe\x80"), "\xc3\xa9t\xc3\xa9 \xff\xfe\x80");
  EXPECT_EQ(EscapeField(""), "");
}

TEST(EscapeFieldTest, EveryByteRoundTripsAndNoControlByteSurvives) {
  const std::string all = AllBytes();
  const std::string escaped = EscapeField(all);
  for (const char c : escaped) {
    const unsigned char b = static_cast<unsigned char>(c);
    EXPECT_FALSE(b < 0x20 || b == 0x7f) << "raw control byte " << int{b} << " in output";
  }
  absl::StatusOr<std::string> back = UnescapeField(escaped);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, all);
}

TEST(EscapeFieldTest, LiteralBackslashNIsNotANewline) {
  EXPECT_EQ(EscapeField("a\\nb"), "a\\\\nb");  // four bytes: a \ n b
  EXPECT_EQ(EscapeField("a\nb"), "a\\nb");     // three bytes: a newline b
  EXPECT_EQ(*UnescapeField("a\\\\nb"), "a\\nb");
  EXPECT_EQ(*UnescapeField("a\\nb"), "a\nb");
}

TEST(UnescapeFieldTest, AcceptsEitherHexCaseAndAnyByte) {
  EXPECT_EQ(*UnescapeField("\\x1B\\x1b"), "\x1b\x1b");
  EXPECT_EQ(*UnescapeField("\\x41\\xFF"), "A\xff");
}

TEST(UnescapeFieldTest, RejectsDamage) {
  for (const std::string_view bad : {
           std::string_view("bad\\q"),     // unknown escape
           std::string_view("end\\"),      // lone backslash
           std::string_view("short\\x4"),  // truncated \x
           std::string_view("\\x"),        // truncated \x
           std::string_view("hex\\xZZ"),   // not hex
           std::string_view("tab\there"),  // a raw tab cannot be in a field
           std::string_view("cr\r"),       // raw control byte
           std::string_view("del\x7f"),    // raw DEL
           "nul\0"sv,                      // raw NUL (zero-filled blocks)
           std::string_view("\x01"),       // kTornLineTerminator's marker
       }) {
    EXPECT_FALSE(UnescapeField(bad).ok()) << EscapeField(bad);
  }
}

TEST(EncodeRecordTest, ExactLine) {
  const HistoryRecord record{"lobby", absl::FromUnixMicros(1700000000123456), "Lee", "hi\tthere\\"};
  EXPECT_EQ(EncodeRecord(record), "1700000000123456\tlobby\tLee\thi\\tthere\\\\\n");
}

TEST(EncodeRecordTest, HeaderIsExactlyTwentyBytes) {
  EXPECT_EQ(kHistoryHeader, "#tcpchat-history v1\n");
  EXPECT_EQ(kHistoryHeader.size(), 20u);
}

TEST(DecodeRecordTest, RoundTripsTrickyRecords) {
  const std::string all = AllBytes();
  const HistoryRecord records[] = {
      {"lobby", absl::FromUnixMicros(1700000000123456), "Lee", "Hello, everyone!"},
      {all, absl::FromUnixMicros(1), all, all},
      {"", absl::FromUnixMicros(0), "", ""},
      {"#general", absl::FromUnixMicros(-1234567), "\\", "\\n is not \n"},
      {"r\tt", absl::FromUnixMicros(42), "\t\t", std::string(100000, '\\')},
      {"\xff\xfe", absl::FromUnixMicros(9), "\xc3\xa9", std::string("\0\0\0"sv)},
  };
  for (const HistoryRecord& record : records) {
    const std::string line = EncodeRecord(record);
    ASSERT_TRUE(line.ends_with('\n'));
    std::string_view body(line);
    body.remove_suffix(1);
    EXPECT_EQ(body.find('\n'), std::string_view::npos) << "one record, one line";
    absl::StatusOr<HistoryRecord> back = DecodeRecord(body);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, record);
  }
}

TEST(DecodeRecordTest, TimeKeepsMicrosecondsRoundingTowardThePast) {
  const auto decode = [](absl::Time t) {
    std::string line = EncodeRecord({"r", t, "n", "t"});
    line.pop_back();
    return DecodeRecord(line)->time;
  };
  EXPECT_EQ(decode(absl::FromUnixNanos(1999)), absl::FromUnixMicros(1));
  EXPECT_EQ(decode(absl::FromUnixNanos(-1)), absl::FromUnixMicros(-1));
  EXPECT_EQ(decode(absl::FromUnixMicros(-5)), absl::FromUnixMicros(-5));
}

TEST(DecodeRecordTest, RejectsCorruptLines) {
  for (const std::string_view bad : {
           std::string_view(""),                               // empty line
           std::string_view("1\troom\tname"),                  // 3 fields
           std::string_view("1\troom\tname\ttext\tmore"),      // 5 fields
           std::string_view("abc\troom\tname\ttext"),          // time not numeric
           std::string_view("\troom\tname\ttext"),             // empty time
           std::string_view("+1\troom\tname\ttext"),           // '+' not allowed
           std::string_view(" 1\troom\tname\ttext"),           // space not allowed
           std::string_view("12a\troom\tname\ttext"),          // trailing junk
           std::string_view("0x10\troom\tname\ttext"),         // not decimal
           std::string_view("99999999999999999999\tr\tn\tt"),  // int64 overflow
           std::string_view("1\troom\tname\tbad\\q"),          // bad escape
           std::string_view("1\tro\\om\tname\ttext"),          // bad escape in room
           std::string_view("1\troom\tname\ttext\r"),          // CRLF-edited file
           "\0\0\0\0"sv,                                       // zero-filled block
           std::string_view("1\troom\tna\x01"),                // torn line + terminator
           std::string_view("1\troom\tname\tte\x01"),          // torn line + terminator
       }) {
    EXPECT_FALSE(DecodeRecord(bad).ok()) << EscapeField(bad);
  }
}

TEST(DecodeRecordTest, ErrorsNeverQuoteTheContent) {
  absl::StatusOr<HistoryRecord> bad = DecodeRecord("1\tsecret-room\tsecret-name\tsecret\\q");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("text field"));
  EXPECT_THAT(bad.status().message(), Not(HasSubstr("secret")));
  bad = DecodeRecord("secret\tr\tn\tt");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), Not(HasSubstr("secret")));
}

TEST(ClassifyHeaderTest, Kinds) {
  EXPECT_EQ(ClassifyHeader(kHistoryHeader), HeaderKind::kValid);
  EXPECT_EQ(ClassifyHeader(""), HeaderKind::kIncomplete);
  EXPECT_EQ(ClassifyHeader("#tcpchat-hist"), HeaderKind::kIncomplete);
  EXPECT_EQ(ClassifyHeader("#tcpchat-history v1"), HeaderKind::kIncomplete);
  EXPECT_EQ(ClassifyHeader("#tcpchat-history v2\n"), HeaderKind::kOtherVersion);
  EXPECT_EQ(ClassifyHeader("#tcpchat-history v10"), HeaderKind::kOtherVersion);
  EXPECT_EQ(ClassifyHeader("1700000000\tlobby\tLe"), HeaderKind::kForeign);
  // A CRLF-edited header reads as some other version: either way it is refused.
  EXPECT_EQ(ClassifyHeader("#tcpchat-history v1\r"), HeaderKind::kOtherVersion);
  EXPECT_EQ(ClassifyHeader("root:x:0:0:root:/roo"), HeaderKind::kForeign);
}

}  // namespace
}  // namespace chat::history
