// chat/telnet_filter.h: removes telnet protocol commands from a client's byte stream.
//
// Defines:
//   TelnetFilter - strips IAC sequences (RFC 854/855), keeping state across reads.

#ifndef CHAT_TELNET_FILTER_H_
#define CHAT_TELNET_FILTER_H_

#include <string>
#include <string_view>

namespace chat {

// A `telnet` client may send option negotiation (IAC WILL/WONT/DO/DONT <option>),
// subnegotiation (IAC SB ... IAC SE) and commands such as Interrupt Process (IAC IP, sent
// on Ctrl+C). None of it is text; without this filter it would appear as garbage in
// names and messages. IAC IAC stands for a literal 0xFF byte, which is kept (and later
// replaced as invalid UTF-8). The server never negotiates, so nothing needs answering.
//
// Not thread-safe: one filter belongs to one connection's reader.
class TelnetFilter {
 public:
  // TelnetFilter::Filter() returns the data bytes of `bytes`; a command split across
  // calls is removed as a whole. The result views `bytes` itself when there is nothing
  // to remove (the common case: no 0xFF byte), else an internal buffer; either way it is
  // valid until the next call.
  std::string_view Filter(std::string_view bytes);

  // True while inside a subnegotiation (for tests).
  bool in_subnegotiation() const { return state_ == State::kSubnegotiation || state_ == State::kSubnegotiationIac; }

 private:
  enum class State {
    kData,
    kIac,               // after IAC
    kOption,            // after IAC WILL/WONT/DO/DONT: one option byte follows
    kSubnegotiation,    // after IAC SB: skipping until IAC SE
    kSubnegotiationIac  // after IAC inside a subnegotiation
  };
  State state_ = State::kData;
  std::string filtered_;
};

}  // namespace chat

#endif  // CHAT_TELNET_FILTER_H_
