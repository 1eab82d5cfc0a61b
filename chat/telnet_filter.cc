#include "chat/telnet_filter.h"

namespace chat {
namespace {

void AppendCommand(std::string* replies, unsigned char verb, unsigned char option) {
  replies->push_back(static_cast<char>(telnet::kIac));
  replies->push_back(static_cast<char>(verb));
  replies->push_back(static_cast<char>(option));
}

}  // namespace

std::string_view TelnetFilter::Filter(std::string_view bytes, std::string* replies) {
  if (state_ == State::kData &&
      bytes.find(static_cast<char>(telnet::kIac)) == std::string_view::npos) {
    return bytes;
  }
  filtered_.clear();
  filtered_.reserve(bytes.size() + 1);  // + 1: a pending IAC may come out as data
  for (const char c : bytes) Step(static_cast<unsigned char>(c), filtered_, replies);
  return filtered_;
}

void TelnetFilter::Step(unsigned char byte, std::string& out, std::string* replies) {
  using namespace telnet;
  switch (state_) {
    case State::kData:
      if (byte == kIac) {
        state_ = State::kIac;
      } else {
        out.push_back(static_cast<char>(byte));
      }
      return;
    case State::kIac:
      state_ = State::kData;
      if (byte < kSe) {
        // Not a command, so not telnet: keep both bytes rather than eat the second one
        // (often the newline). The 0xFF later becomes U+FFFD as invalid UTF-8.
        out.push_back(static_cast<char>(kIac));
        out.push_back(static_cast<char>(byte));
      } else if (byte == kIac) {
        out.push_back(static_cast<char>(kIac));  // escaped literal 0xFF
      } else if (byte >= kWill) {
        verb_ = byte;
        state_ = State::kOption;
      } else if (byte == kSb) {
        subnegotiation_bytes_ = 0;
        state_ = State::kSubnegotiation;
      } else if (byte == kAyt) {
        replies->append(kAreYouThereReply);
      }
      // Any other two-byte command (SE, NOP, DM, BRK, IP, AO, EC, EL, GA) is dropped: the
      // server has no process to interrupt, no output to abort and does no line editing.
      return;
    case State::kOption:
      state_ = State::kData;
      Negotiate(verb_, byte, replies);
      return;
    case State::kSubnegotiation:
      if (byte == kIac) {
        state_ = State::kSubnegotiationIac;  // counted once we know it is not IAC SE
      } else if (subnegotiation_bytes_ == kMaxSubnegotiationBytes) {
        state_ = State::kData;
        out.push_back(static_cast<char>(byte));
      } else {
        ++subnegotiation_bytes_;
      }
      return;
    case State::kSubnegotiationIac:
      if (byte == kSe) {
        state_ = State::kData;
      } else if (byte == kIac && subnegotiation_bytes_ + 2 <= kMaxSubnegotiationBytes) {
        subnegotiation_bytes_ += 2;  // an escaped 0xFF inside the subnegotiation
        state_ = State::kSubnegotiation;
      } else {
        // Past the bound, or a malformed IAC <command> (a client that forgot IAC SE):
        // drop the subnegotiation and read this IAC as the start of a new sequence, as
        // netkit telnetd does, so the command after it still counts.
        state_ = State::kIac;
        Step(byte, out, replies);
      }
      return;
  }
}

void TelnetFilter::Negotiate(unsigned char verb, unsigned char option, std::string* replies) {
  using namespace telnet;
  if (verb == kWill) {
    // We want none of the client's options; RFC 1143 with "him" always NO.
    AppendCommand(replies, kDont, option);
    return;
  }
  if (verb == kWont) return;  // already off: answering would invite a loop
  if (option == kTimingMark) {
    // RFC 860: reached in order, so everything before it has been processed.
    if (verb == kDo) AppendCommand(replies, kWill, kTimingMark);
    return;
  }
  // Our side, RFC 1143 section 7.
  OptionState& state = options_[option];
  if (verb == kDo) {
    switch (state.us) {
      case Us::kNo:
        AppendCommand(replies, kWont, option);  // not offered, so refused
        break;
      case Us::kYes:
        break;
      case Us::kWantNo:  // the client answered our WONT with DO: a protocol error
        state.us = state.queued_opposite ? Us::kYes : Us::kNo;
        state.queued_opposite = false;
        break;
      case Us::kWantYes:
        if (state.queued_opposite) {
          state.us = Us::kWantNo;
          state.queued_opposite = false;
          AppendCommand(replies, kWont, option);
        } else {
          state.us = Us::kYes;
        }
        break;
    }
    return;
  }
  // DONT
  switch (state.us) {
    case Us::kNo:
      break;
    case Us::kYes:
      state.us = Us::kNo;
      AppendCommand(replies, kWont, option);  // the acknowledgement RFC 854 requires
      break;
    case Us::kWantNo:
      if (state.queued_opposite) {
        state.us = Us::kWantYes;
        state.queued_opposite = false;
        AppendCommand(replies, kWill, option);
      } else {
        state.us = Us::kNo;
      }
      break;
    case Us::kWantYes:
      state.us = Us::kNo;
      state.queued_opposite = false;
      break;
  }
}

void TelnetFilter::Offer(unsigned char option, std::string* replies) {
  if (option == telnet::kTimingMark) return;
  OptionState& state = options_[option];
  switch (state.us) {
    case Us::kNo:
      state.us = Us::kWantYes;
      AppendCommand(replies, telnet::kWill, option);
      break;
    case Us::kYes:
      break;
    case Us::kWantNo:
      state.queued_opposite = true;
      break;
    case Us::kWantYes:
      state.queued_opposite = false;
      break;
  }
}

void TelnetFilter::Withdraw(unsigned char option, std::string* replies) {
  if (option == telnet::kTimingMark) return;
  OptionState& state = options_[option];
  switch (state.us) {
    case Us::kNo:
      break;
    case Us::kYes:
      state.us = Us::kWantNo;
      AppendCommand(replies, telnet::kWont, option);
      break;
    case Us::kWantNo:
      state.queued_opposite = false;
      break;
    case Us::kWantYes:
      state.queued_opposite = true;
      break;
  }
}

}  // namespace chat
