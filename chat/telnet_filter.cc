#include "chat/telnet_filter.h"

namespace chat {
namespace {

constexpr unsigned char kIac = 255;
constexpr unsigned char kDont = 254;
constexpr unsigned char kWill = 251;  // WILL, WONT, DO, DONT are 251..254
constexpr unsigned char kSb = 250;
constexpr unsigned char kSe = 240;

}  // namespace

std::string_view TelnetFilter::Filter(std::string_view bytes) {
  if (state_ == State::kData && bytes.find(static_cast<char>(kIac)) == std::string_view::npos) {
    return bytes;
  }
  std::string& out = filtered_;
  out.clear();
  out.reserve(bytes.size());
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    switch (state_) {
      case State::kData:
        if (byte == kIac) {
          state_ = State::kIac;
        } else {
          out.push_back(c);
        }
        break;
      case State::kIac:
        if (byte == kIac) {
          out.push_back(c);  // escaped literal 0xFF
          state_ = State::kData;
        } else if (byte >= kWill && byte <= kDont) {
          state_ = State::kOption;
        } else if (byte == kSb) {
          state_ = State::kSubnegotiation;
        } else {
          state_ = State::kData;  // a two-byte command: NOP, IP, AO, AYT, EC, EL, GA, ...
        }
        break;
      case State::kOption:
        state_ = State::kData;
        break;
      case State::kSubnegotiation:
        if (byte == kIac) state_ = State::kSubnegotiationIac;
        break;
      case State::kSubnegotiationIac:
        // IAC SE ends it; IAC IAC is an escaped data byte inside it; anything else is
        // malformed, and staying in the subnegotiation is the conservative reading.
        state_ = byte == kSe ? State::kData : State::kSubnegotiation;
        break;
    }
  }
  return out;
}

}  // namespace chat
