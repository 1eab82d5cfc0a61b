#include "chat/telnet_filter.h"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace chat {
namespace {

// The data a filter passes on, for tests that do not look at the replies.
std::string_view Data(TelnetFilter& filter, std::string_view bytes) {
  std::string replies;
  return filter.Filter(bytes, &replies);
}

using namespace std::string_literals;

TEST(TelnetFilterTest, PlainTextPassesThrough) {
  TelnetFilter filter;
  EXPECT_EQ(Data(filter, "hello\r\n"), "hello\r\n");
}

TEST(TelnetFilterTest, RemovesOptionNegotiation) {
  TelnetFilter filter;
  // IAC DO ECHO, IAC WILL SUPPRESS-GO-AHEAD, IAC WONT LINEMODE, IAC DONT NAWS
  EXPECT_EQ(Data(filter, "\xFF\xFD\x01" "al\xFF\xFB\x03" "ice\xFF\xFC\x22\xFF\xFE\x1F\r\n"),
            "alice\r\n");
}

TEST(TelnetFilterTest, RemovesSubnegotiation) {
  TelnetFilter filter;
  // IAC SB NAWS 0 80 0 24 IAC SE, with an escaped 0xFF inside
  EXPECT_EQ(Data(filter, "a\xFF\xFA\x1F\x00\x50\xFF\xFF\x00\x18\xFF\xF0" "b"s), "ab");
}

TEST(TelnetFilterTest, RemovesInterruptProcessFromCtrlC) {
  TelnetFilter filter;
  EXPECT_EQ(Data(filter, "x\xFF\xF4\xFF\xFD\x06y"), "xy");  // IAC IP, IAC DO TIMING-MARK
}

TEST(TelnetFilterTest, EscapedIacIsALiteralByte) {
  TelnetFilter filter;
  EXPECT_EQ(Data(filter, "a\xFF\xFF" "b"), "a\xFF" "b");
}

TEST(TelnetFilterTest, CommandsSplitAcrossReads) {
  TelnetFilter filter;
  EXPECT_EQ(Data(filter, "ab\xFF"), "ab");
  EXPECT_EQ(Data(filter, "\xFB"), "");
  EXPECT_EQ(Data(filter, "\x01" "cd\xFF\xFA"), "cd");
  EXPECT_TRUE(filter.in_subnegotiation());
  EXPECT_EQ(Data(filter, "junk\xFF"), "");
  EXPECT_EQ(Data(filter, "\xF0" "ef"), "ef");
  EXPECT_FALSE(filter.in_subnegotiation());
}

// Filters `input` in one call and returns {data, replies}.
std::pair<std::string, std::string> FilterAll(std::string_view input) {
  TelnetFilter filter;
  std::string replies;
  std::string data(filter.Filter(input, &replies));
  return {data, replies};
}

// Filters `input` cut at `cuts` (ascending offsets) and returns {data, replies}.
std::pair<std::string, std::string> FilterPieces(std::string_view input,
                                                 const std::vector<size_t>& cuts) {
  TelnetFilter filter;
  std::string data;
  std::string replies;
  size_t start = 0;
  for (size_t i = 0; i <= cuts.size(); ++i) {
    const size_t end = i < cuts.size() ? cuts[i] : input.size();
    data += filter.Filter(input.substr(start, end - start), &replies);
    start = end;
  }
  return {data, replies};
}

const std::string kWillTimingMark = "\xFF\xFB\x06";

TEST(TelnetFilterTest, PlainTextIsNotCopiedAndNeedsNoReply) {
  TelnetFilter filter;
  const std::string_view input = "hello\r\n";
  std::string replies = "earlier";
  const std::string_view out = filter.Filter(input, &replies);
  EXPECT_EQ(out.data(), input.data());
  EXPECT_EQ(out, "hello\r\n");
  EXPECT_EQ(replies, "earlier");
}

TEST(TelnetFilterTest, CtrlCInDebianTelnetIsAnsweredWithWillTimingMark) {
  // Debian's telnet sends IAC IP IAC DO TIMING-MARK and shows no output until answered.
  EXPECT_EQ(FilterAll("x\xFF\xF4\xFF\xFD\x06y"), std::pair("xy"s, kWillTimingMark));
}

TEST(TelnetFilterTest, EveryDoTimingMarkIsAnswered) {
  TelnetFilter filter;
  std::string replies;
  EXPECT_EQ(filter.Filter("\xFF\xF4\xFF\xFD\x06", &replies), "");
  EXPECT_EQ(replies, kWillTimingMark);
  EXPECT_EQ(filter.Filter("a\xFF\xF4\xFF\xFD\x06", &replies), "a");
  EXPECT_EQ(replies, kWillTimingMark + kWillTimingMark);
  EXPECT_FALSE(filter.IsOn(telnet::kTimingMark));
}

TEST(TelnetFilterTest, UnsupportedOptionsAreRefused) {
  // DO ECHO -> WONT ECHO; DO SGA -> WONT SGA; WILL NAWS -> DONT NAWS;
  // WILL TTYPE -> DONT TTYPE; WILL TIMING-MARK -> DONT TIMING-MARK.
  EXPECT_EQ(FilterAll("\xFF\xFD\x01" "a\xFF\xFD\x03\xFF\xFB\x1F" "b\xFF\xFB\x18\xFF\xFB\x06"),
            std::pair("ab"s, "\xFF\xFC\x01\xFF\xFC\x03\xFF\xFE\x1F\xFF\xFE\x18\xFF\xFE\x06"s));
}

TEST(TelnetFilterTest, WontAndDontAreNeverAnsweredForOptionsThatAreOff) {
  // Answering these is how two parties loop; an option that is off stays off silently.
  TelnetFilter filter;
  std::string replies;
  for (int option = 0; option < 256; ++option) {
    const std::string wont = "\xFF\xFC"s + static_cast<char>(option);
    const std::string dont = "\xFF\xFE"s + static_cast<char>(option);
    EXPECT_EQ(filter.Filter(wont + dont + dont + wont, &replies), "");
  }
  EXPECT_EQ(replies, "");
}

TEST(TelnetFilterTest, RepeatedRequestsGetOneAnswerEach) {
  // A client that re-sends its request gets the same refusal, no more: replies never
  // outgrow the input.
  EXPECT_EQ(FilterAll("\xFF\xFD\x22\xFF\xFD\x22\xFF\xFB\x22"),
            std::pair(""s, "\xFF\xFC\x22\xFF\xFC\x22\xFF\xFE\x22"s));
}

TEST(TelnetFilterTest, AreYouThereGetsVisibleEvidence) {
  EXPECT_EQ(FilterAll("a\xFF\xF6" "b"), std::pair("ab"s, "\r\n[Yes]\r\n"s));
  EXPECT_EQ(TelnetFilter::kAreYouThereReply, "\r\n[Yes]\r\n");
}

TEST(TelnetFilterTest, OtherTwoByteCommandsAreRemovedWithoutReply) {
  // SE (stray), NOP, DM, BRK, IP, AO, EC, EL, GA.
  for (const unsigned char command : {240, 241, 242, 243, 244, 245, 247, 248, 249}) {
    SCOPED_TRACE(static_cast<int>(command));
    EXPECT_EQ(FilterAll("a\xFF"s + static_cast<char>(command) + "b\n"),
              std::pair("ab\n"s, ""s));
  }
}

TEST(TelnetFilterTest, IacBeforeANonCommandByteIsDataAndKeepsTheNextByte) {
  // A lone 0xFF from a client not speaking telnet must not eat the newline after it.
  EXPECT_EQ(FilterAll("hi\xFF\n"), std::pair("hi\xFF\n"s, ""s));
  for (int next = 0; next < 240; ++next) {
    SCOPED_TRACE(next);
    const std::string both = "\xFF"s + static_cast<char>(next);
    EXPECT_EQ(FilterAll("a" + both + "b"), std::pair("a" + both + "b", ""s));
  }
}

TEST(TelnetFilterTest, IacBeforeANonCommandByteSplitAcrossReads) {
  TelnetFilter filter;
  std::string replies;
  EXPECT_EQ(filter.Filter("hi\xFF", &replies), "hi");
  EXPECT_EQ(filter.Filter("\n", &replies), "\xFF\n");
  EXPECT_EQ(filter.Filter("\xFF\xFF\xFF", &replies), "\xFF");
  EXPECT_EQ(filter.Filter("x", &replies), "\xFF" "x");
  EXPECT_EQ(replies, "");
}

TEST(TelnetFilterTest, SubnegotiationAtTheBoundIsRemoved) {
  ASSERT_EQ(TelnetFilter::kMaxSubnegotiationBytes, 64u);
  const std::string payload(64, 'p');
  EXPECT_EQ(FilterAll("a\xFF\xFA" + payload + "\xFF\xF0" "b"), std::pair("ab"s, ""s));
  // An escaped 0xFF counts as the two bytes it takes.
  const std::string escaped = std::string(62, 'p') + "\xFF\xFF";
  EXPECT_EQ(FilterAll("a\xFF\xFA" + escaped + "\xFF\xF0" "b"), std::pair("ab"s, ""s));
}

TEST(TelnetFilterTest, UnclosedSubnegotiationEndsAtTheBound) {
  // IAC SB TTYPE and then no IAC SE: after 64 bytes the user's input is data again.
  TelnetFilter filter;
  std::string replies;
  EXPECT_EQ(filter.Filter("\xFF\xFA\x18" + std::string(63, 'p'), &replies), "");
  EXPECT_TRUE(filter.in_subnegotiation());
  EXPECT_EQ(filter.Filter("hello\r\n", &replies), "hello\r\n");
  EXPECT_FALSE(filter.in_subnegotiation());
  // The late IAC SE of an overlong subnegotiation is a stray command and removed too.
  EXPECT_EQ(filter.Filter("x\xFF\xF0y", &replies), "xy");
  EXPECT_EQ(replies, "");
}

TEST(TelnetFilterTest, BytesPastTheBoundAreOrdinaryInputIncludingCommands) {
  const std::string full = "\xFF\xFA" + std::string(64, 'p');
  // An escaped 0xFF that no longer fits is a literal 0xFF.
  EXPECT_EQ(FilterAll(full + "\xFF\xFF" "a"), std::pair("\xFF" "a"s, ""s));
  EXPECT_EQ(FilterAll("\xFF\xFA" + std::string(63, 'p') + "\xFF\xFF" "a"),
            std::pair("\xFF" "a"s, ""s));
  // A command right after the bound is a command.
  EXPECT_EQ(FilterAll(full + "\xFF\xFD\x06" "a"), std::pair("a"s, kWillTimingMark));
}

TEST(TelnetFilterTest, CommandInsideSubnegotiationEndsIt) {
  // A client that forgot IAC SE: the subnegotiation is dropped and the command counts.
  EXPECT_EQ(FilterAll("\xFF\xFA\x1F\x00\x50\xFF\xF4hello"s), std::pair("hello"s, ""s));
  EXPECT_EQ(FilterAll("\xFF\xFA\x1F\x00\xFF\xFD\x06hi"s), std::pair("hi"s, kWillTimingMark));
  EXPECT_EQ(FilterAll("\xFF\xFA\x1F\xFF\n"), std::pair("\xFF\n"s, ""s));
}

TEST(TelnetFilterTest, OfferedEchoIsAcceptedSilentlyAndWithdrawn) {
  TelnetFilter filter;
  std::string replies;
  filter.Offer(telnet::kEcho, &replies);
  EXPECT_EQ(replies, "\xFF\xFB\x01");  // IAC WILL ECHO
  EXPECT_FALSE(filter.IsOn(telnet::kEcho));
  replies.clear();
  EXPECT_EQ(filter.Filter("\xFF\xFD\x01" "secret\r\n", &replies), "secret\r\n");
  EXPECT_EQ(replies, "");  // DO ECHO is the answer to our WILL, not a request
  EXPECT_TRUE(filter.IsOn(telnet::kEcho));
  filter.Offer(telnet::kEcho, &replies);  // already on: nothing to send
  EXPECT_EQ(filter.Filter("\xFF\xFD\x01", &replies), "");  // a repeated DO: no loop
  EXPECT_EQ(replies, "");
  filter.Withdraw(telnet::kEcho, &replies);
  EXPECT_EQ(replies, "\xFF\xFC\x01");  // IAC WONT ECHO
  replies.clear();
  EXPECT_EQ(filter.Filter("\xFF\xFE\x01", &replies), "");
  EXPECT_EQ(replies, "");  // DONT ECHO acknowledges our WONT
  EXPECT_FALSE(filter.IsOn(telnet::kEcho));
  // Off again, so an unasked DO ECHO is refused as before.
  EXPECT_EQ(filter.Filter("\xFF\xFD\x01", &replies), "");
  EXPECT_EQ(replies, "\xFF\xFC\x01");
}

TEST(TelnetFilterTest, OfferedEchoRefusedByTheClientStaysOff) {
  TelnetFilter filter;
  std::string replies;
  filter.Offer(telnet::kEcho, &replies);
  replies.clear();
  EXPECT_EQ(filter.Filter("\xFF\xFE\x01", &replies), "");
  EXPECT_EQ(replies, "");
  EXPECT_FALSE(filter.IsOn(telnet::kEcho));
  filter.Withdraw(telnet::kEcho, &replies);  // already off: nothing to send
  EXPECT_EQ(replies, "");
}

TEST(TelnetFilterTest, ClientTurningOffAnOptionThatIsOnIsAcknowledgedOnce) {
  TelnetFilter filter;
  std::string replies;
  filter.Offer(telnet::kEcho, &replies);
  filter.Filter("\xFF\xFD\x01", &replies);
  replies.clear();
  EXPECT_EQ(filter.Filter("\xFF\xFE\x01\xFF\xFE\x01", &replies), "");
  EXPECT_EQ(replies, "\xFF\xFC\x01");  // WONT ECHO once; the second DONT is for an off option
  EXPECT_FALSE(filter.IsOn(telnet::kEcho));
}

TEST(TelnetFilterTest, WithdrawBeforeTheClientAnsweredIsQueued) {
  // RFC 1143: WILL sent, WONT wanted before DO arrives. The DO is answered with WONT,
  // whose DONT then ends it; no second WILL, no loop.
  TelnetFilter filter;
  std::string replies;
  filter.Offer(telnet::kEcho, &replies);
  filter.Withdraw(telnet::kEcho, &replies);
  EXPECT_EQ(replies, "\xFF\xFB\x01");
  replies.clear();
  filter.Filter("\xFF\xFD\x01", &replies);
  EXPECT_EQ(replies, "\xFF\xFC\x01");
  EXPECT_FALSE(filter.IsOn(telnet::kEcho));
  replies.clear();
  filter.Filter("\xFF\xFE\x01", &replies);
  EXPECT_EQ(replies, "");
  EXPECT_FALSE(filter.IsOn(telnet::kEcho));
}

TEST(TelnetFilterTest, OfferAgainBeforeTheClientAcknowledgedWithdrawIsQueued) {
  TelnetFilter filter;
  std::string replies;
  filter.Offer(telnet::kEcho, &replies);
  filter.Filter("\xFF\xFD\x01", &replies);
  filter.Withdraw(telnet::kEcho, &replies);
  filter.Offer(telnet::kEcho, &replies);
  EXPECT_EQ(replies, "\xFF\xFB\x01\xFF\xFC\x01");  // the second WILL waits for the DONT
  replies.clear();
  filter.Filter("\xFF\xFE\x01", &replies);
  EXPECT_EQ(replies, "\xFF\xFB\x01");
  replies.clear();
  filter.Filter("\xFF\xFD\x01", &replies);
  EXPECT_EQ(replies, "");
  EXPECT_TRUE(filter.IsOn(telnet::kEcho));
}

TEST(TelnetFilterTest, TimingMarkCannotBeOffered) {
  TelnetFilter filter;
  std::string replies;
  filter.Offer(telnet::kTimingMark, &replies);
  filter.Withdraw(telnet::kTimingMark, &replies);
  EXPECT_EQ(replies, "");
  filter.Filter("\xFF\xFD\x06\xFF\xFE\x06", &replies);
  EXPECT_EQ(replies, kWillTimingMark);
}

// Every kind of sequence, whose exact result is known, cut at every byte boundary and
// at every pair of them, must give that same result: no state is lost between reads.
TEST(TelnetFilterTest, EverySplitGivesTheSameDataAndReplies) {
  const std::string input =
      "a\xFF\xF4\xFF\xFD\x06"s          // Ctrl+C: IAC IP IAC DO TM
      "b\xFF\xFF"                       // literal 0xFF
      "c\xFF\n"                         // lone IAC before a newline
      "\xFF\xFA\x1F\x00\x50\xFF\xFF\x00\x18\xFF\xF0"  // IAC SB NAWS ... IAC SE
      "d\xFF\xF6"                       // AYT
      "\xFF\xFB\x18"                    // WILL TTYPE
      "\xFF\xFC\x18\xFF\xFE\x01"        // WONT TTYPE, DONT ECHO: no reply
      "\xFF\xFA\x18\x01\xFF\xF1"        // SB closed by a command (NOP)
      "e\xFF\xFD\x03"                   // DO SGA
      "\xFF\xFA"s + std::string(64, 'p') + "f\r\n";  // unclosed SB; f is past the bound
  const std::pair<std::string, std::string> expected = {
      "ab\xFF" "c\xFF\nde" "f\r\n"s,
      kWillTimingMark + "\r\n[Yes]\r\n" + "\xFF\xFE\x18" + "\xFF\xFC\x03"};
  ASSERT_EQ(FilterAll(input), expected);
  for (size_t i = 0; i <= input.size(); ++i) {
    for (size_t j = i; j <= input.size(); ++j) {
      ASSERT_EQ(FilterPieces(input, {i, j}), expected) << "cut at " << i << " and " << j;
    }
  }
  std::vector<size_t> every_byte;
  for (size_t i = 1; i < input.size(); ++i) every_byte.push_back(i);
  EXPECT_EQ(FilterPieces(input, every_byte), expected);
}

}  // namespace
}  // namespace chat
