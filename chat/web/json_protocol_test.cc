#include "chat/web/json_protocol.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace chat {
namespace {

struct Decoded {
  std::vector<InputLine> lines;
  std::string replies;
};

Decoded Decode(std::string_view message, bool at_name_prompt, size_t max_line_bytes = 16) {
  JsonProtocol protocol(max_line_bytes);
  Decoded decoded;
  protocol.Decode(message, at_name_prompt, decoded.lines, decoded.replies);
  return decoded;
}

// The one refusal a message produced, or "" if it produced lines.
std::string Refusal(std::string_view message, bool at_name_prompt) {
  const Decoded decoded = Decode(message, at_name_prompt);
  EXPECT_EQ(decoded.lines.size(), 1u) << message;
  return decoded.lines.empty() ? "<none>" : decoded.lines[0].refusal;
}

TEST(JsonProtocolTest, ALoginIsTheNameLine) {
  const Decoded decoded = Decode(R"({"type":"login","name":" alice "})", true);
  ASSERT_EQ(decoded.lines.size(), 1u);
  // Trimming and the name rules are the session's, as for net-cat.
  EXPECT_EQ(decoded.lines[0].text, " alice ");
  EXPECT_FALSE(decoded.lines[0].too_long);
  EXPECT_EQ(decoded.lines[0].refusal, "");
  EXPECT_EQ(decoded.replies, "");
}

TEST(JsonProtocolTest, APasswordIsOneSecretLineWhateverItHolds) {
  for (bool at_name_prompt : {true, false}) {
    // Not split at newlines, not trimmed: every byte is part of the password; and
    // marked secret, so the session never takes it for a name or a chat line.
    const Decoded decoded = Decode(R"({"type":"password","text":" a\nb "})", at_name_prompt);
    ASSERT_EQ(decoded.lines.size(), 1u);
    EXPECT_EQ(decoded.lines[0].text, " a\nb ");
    EXPECT_TRUE(decoded.lines[0].secret);
    EXPECT_EQ(decoded.lines[0].refusal, "");
  }
  EXPECT_FALSE(Decode(R"({"type":"say","text":"hi"})", false).lines[0].secret);
  EXPECT_EQ(Refusal(R"({"type":"password"})", true),
            R"(A password needs a text: {"type":"password","text":"..."}.)");
  const Decoded too_long = Decode(R"({"type":"password","text":"0123456789abcdefX"})", true, 16);
  ASSERT_EQ(too_long.lines.size(), 1u);
  EXPECT_TRUE(too_long.lines[0].too_long);
  EXPECT_TRUE(too_long.lines[0].secret);
}

TEST(JsonProtocolTest, ASayIsSplitIntoLinesAsNetcatInputWouldBe) {
  // Unknown scalar members are ignored: clients may add fields.
  const Decoded decoded = Decode(R"({"type":"say","text":"hi\r\n/me waves\n\nbye","id":1})", false);
  ASSERT_EQ(decoded.lines.size(), 4u);
  EXPECT_EQ(decoded.lines[0].text, "hi");
  EXPECT_EQ(decoded.lines[1].text, "/me waves");
  EXPECT_EQ(decoded.lines[2].text, "");
  EXPECT_EQ(decoded.lines[3].text, "bye");
}

TEST(JsonProtocolTest, ATrailingNewlineEndsTheLastLineInsteadOfAddingOne) {
  const Decoded decoded = Decode(R"({"type":"say","text":"hi\n"})", false);
  ASSERT_EQ(decoded.lines.size(), 1u);
  EXPECT_EQ(decoded.lines[0].text, "hi");
  const Decoded empty = Decode(R"({"type":"say","text":""})", false);
  ASSERT_EQ(empty.lines.size(), 1u);
  EXPECT_EQ(empty.lines[0].text, "");
}

TEST(JsonProtocolTest, LongLinesAreReportedTooLongNotCut) {
  const Decoded decoded =
      Decode(R"({"type":"say","text":"0123456789abcdefX\nshort"})", false, /*max_line_bytes=*/16);
  ASSERT_EQ(decoded.lines.size(), 2u);
  EXPECT_TRUE(decoded.lines[0].too_long);
  EXPECT_EQ(decoded.lines[1].text, "short");
  const Decoded name = Decode(R"({"type":"login","name":"0123456789abcdefX"})", true, 16);
  ASSERT_EQ(name.lines.size(), 1u);
  EXPECT_TRUE(name.lines[0].too_long);
}

TEST(JsonProtocolTest, LoginAndSayOnlyWhereTheyBelong) {
  EXPECT_EQ(Refusal(R"({"type":"say","text":"hi"})", true),
            R"(Log in first: {"type":"login","name":"alice"}.)");
  EXPECT_EQ(Refusal(R"({"type":"login","name":"bob"})", false),
            "You are already logged in; to change your name, say /name NEW.");
}

TEST(JsonProtocolTest, EverythingElseIsRefusedNeverACrash) {
  const std::string malformed =
      R"(Could not read that message: send one flat JSON object, like {"type":"say","text":"hi"}.)";
  for (const char* message : {"", "hi", "{", "{}}", "[]", "\"say\"", "42", "null",
                              R"({"type":"say","text":"a"} {"type":"say","text":"b"})",
                              R"({"type":["say"]})", R"({"type":{"a":1}})",
                              R"({"type":"say","text":5})", R"({"type":"login","name":null})",
                              "{\"type\":\"say\",\"text\":\"\xff\"}", "[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]"}) {
    EXPECT_EQ(Refusal(message, false), malformed) << message;
  }
  EXPECT_EQ(Refusal(R"({"name":"x"})", true),
            R"(Unknown message type: send {"type":"login",...} or {"type":"say",...}.)");
  EXPECT_EQ(Refusal(R"({"type":"shout","text":"x"})", false),
            R"(Unknown message type: send {"type":"login",...} or {"type":"say",...}.)");
  EXPECT_EQ(Refusal(R"({"type":"login"})", true),
            R"(A login needs a name: {"type":"login","name":"alice"}.)");
  EXPECT_EQ(Refusal(R"({"type":"say"})", false), R"(A say needs a text: {"type":"say","text":"hi"}.)");
}

TEST(JsonProtocolTest, ANestingBombIsRefusedAtTheFirstNestedValue) {
  const std::string bomb = "{\"type\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
  EXPECT_NE(Refusal(bomb, false), "");
  const std::string objects = std::string(50000, '{');
  EXPECT_NE(Refusal(objects, false), "");
}

}  // namespace
}  // namespace chat
