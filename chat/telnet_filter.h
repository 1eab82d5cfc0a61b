// chat/telnet_filter.h: removes telnet protocol commands from a client's byte stream and
// produces the answers a telnet client waits for.
//
// Defines:
//   telnet::k...  - the command and option bytes the filter knows (RFC 854, 857, 858, 860).
//   TelnetFilter  - strips IAC sequences (RFC 854/855), keeping state across reads, and
//                   answers option negotiation by the RFC 1143 "Q method".

#ifndef CHAT_TELNET_FILTER_H_
#define CHAT_TELNET_FILTER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace chat {
namespace telnet {

// Commands (RFC 854). Every byte 240..255 is a command after IAC; nothing below 240 is.
inline constexpr unsigned char kIac = 255;
inline constexpr unsigned char kDont = 254;
inline constexpr unsigned char kDo = 253;
inline constexpr unsigned char kWont = 252;
inline constexpr unsigned char kWill = 251;
inline constexpr unsigned char kSb = 250;
inline constexpr unsigned char kGa = 249;
inline constexpr unsigned char kEl = 248;
inline constexpr unsigned char kEc = 247;
inline constexpr unsigned char kAyt = 246;
inline constexpr unsigned char kAo = 245;
inline constexpr unsigned char kIp = 244;
inline constexpr unsigned char kBrk = 243;
inline constexpr unsigned char kDm = 242;
inline constexpr unsigned char kNop = 241;
inline constexpr unsigned char kSe = 240;

// Options.
inline constexpr unsigned char kEcho = 1;             // RFC 857
inline constexpr unsigned char kSuppressGoAhead = 3;  // RFC 858
inline constexpr unsigned char kTimingMark = 6;       // RFC 860

}  // namespace telnet

// A `telnet` client may send option negotiation (IAC WILL/WONT/DO/DONT <option>),
// subnegotiation (IAC SB ... IAC SE) and commands such as Interrupt Process (IAC IP, sent
// on Ctrl+C). None of it is text; without this filter it would appear as garbage in
// names and messages. IAC IAC stands for a literal 0xFF byte, which is kept (and later
// replaced as invalid UTF-8), and so is an IAC followed by a byte that is no command
// (below 240): a client that is not speaking telnet must not lose the byte after a 0xFF.
//
// Some of it must be answered, or the client misbehaves:
//   - Ctrl+C in Debian's telnet sends IAC IP IAC DO TIMING-MARK and then discards all
//     output until IAC WILL/WONT TIMING-MARK arrives. DO TIMING-MARK is answered with
//     IAC WILL TIMING-MARK (RFC 860: everything before it has been processed), every time;
//     the option never becomes "on", so there is no state and nothing to loop on.
//   - DO x for an option we do not perform is refused with IAC WONT x, WILL x with
//     IAC DONT x (RFC 854: a request must be answered; silence leaves the client waiting).
//   - WONT x and DONT x are never answered unless they turn off an option we had on (then
//     the answer is the acknowledgement RFC 854 requires, and the state reaches NO, so it
//     cannot repeat): this is what keeps two parties from answering each other forever.
//   - IAC AYT (Are You There) gets visible text, kAreYouThereReply (RFC 854).
// Options the server itself wants (e.g. ECHO around a password prompt) are started with
// Offer() and ended with Withdraw(); the client's answers to those are then accepted
// silently, following RFC 1143's Q method for our side. The client's options are never
// accepted: the server needs none of them. Suppress-Go-Ahead is refused on purpose: with
// WILL ECHO *and* WILL SGA, BSD-derived telnet clients switch to character-at-a-time mode,
// which a line-based chat does not want; with ECHO alone they keep local line editing.
//
// Answers are returned to the caller as bytes to be sent verbatim; this class does no I/O.
// Every answer is at most 9 bytes for at least 2 input bytes, so they cost at most
// 4.5 times the input.
//
// Not thread-safe: one filter belongs to one connection's reader.
class TelnetFilter {
 public:
  // A subnegotiation (IAC SB ... IAC SE) may carry at most this many bytes between
  // IAC SB and IAC SE, as sent (an escaped 0xFF counts as two). The server never asks for
  // one, and what a client sends unasked fits easily: NAWS is at most 9 bytes, a terminal
  // type at most 42 (RFC 1091: names of up to 40 characters). Without a bound, an IAC SB
  // that is never closed would swallow all of that user's later input. The first byte
  // beyond the bound drops the subnegotiation: that byte and everything after it are
  // ordinary input again (an IAC among them starts a new command).
  static constexpr size_t kMaxSubnegotiationBytes = 64;

  // The answer to IAC AYT: visible, on a line of its own (telnetd's exact text).
  static constexpr std::string_view kAreYouThereReply = "\r\n[Yes]\r\n";

  // TelnetFilter::Filter() returns the data bytes of `bytes` and appends to *replies
  // the bytes to send back to the client (possibly none). A command split across calls
  // is removed, and answered, as a whole. The result views `bytes` itself when there is
  // nothing to remove (the common case: no 0xFF byte, and then *replies is untouched),
  // else an internal buffer; either way it is valid until the next call.
  std::string_view Filter(std::string_view bytes, std::string* replies);


  // TelnetFilter::Offer() asks to turn on one of our options (IAC WILL option, appended to
  // *replies) unless it is on or being negotiated already; the client's IAC DO option is
  // then accepted silently and IsOn(option) becomes true, while IAC DONT option leaves it
  // off. Withdraw() is the reverse (IAC WONT option, answered by DONT). Either may be
  // called mid-negotiation; the request is queued as in RFC 1143. Both ignore
  // TIMING-MARK, which is not an option that stays on.
  void Offer(unsigned char option, std::string* replies);
  void Withdraw(unsigned char option, std::string* replies);

  // True once the client agreed to an Offer()ed option, until it is withdrawn or refused.
  bool IsOn(unsigned char option) const { return options_[option].us == Us::kYes; }

  // True while inside a subnegotiation (for tests).
  bool in_subnegotiation() const {
    return state_ == State::kSubnegotiation || state_ == State::kSubnegotiationIac;
  }

 private:
  enum class State : uint8_t {
    kData,
    kIac,               // after IAC
    kOption,            // after IAC WILL/WONT/DO/DONT: one option byte follows
    kSubnegotiation,    // after IAC SB: skipping until IAC SE
    kSubnegotiationIac  // after IAC inside a subnegotiation
  };
  // Our side of one option, RFC 1143 section 7: "us" and the "usq" queue bit.
  enum class Us : uint8_t { kNo, kYes, kWantNo, kWantYes };
  struct OptionState {
    Us us = Us::kNo;
    bool queued_opposite = false;
  };

  void Step(unsigned char byte, std::string& out, std::string* replies);
  void Negotiate(unsigned char verb, unsigned char option, std::string* replies);

  State state_ = State::kData;
  unsigned char verb_ = 0;           // in kOption: WILL, WONT, DO or DONT
  size_t subnegotiation_bytes_ = 0;  // in a subnegotiation: bytes seen so far
  std::array<OptionState, 256> options_{};
  std::string filtered_;
};

}  // namespace chat

#endif  // CHAT_TELNET_FILTER_H_
