#include "chat/cluster/presence_codec.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "chat/abuse/address_key.h"
#include "chat/name.h"
#include "chat/sanitize.h"

namespace chat::cluster {
namespace {

constexpr int64_t kMaxMillis = int64_t{1} << 45;  // the year 3084: a sane bound

int64_t MillisOf(absl::Time t) { return std::clamp<int64_t>(absl::ToUnixMillis(t), 0, kMaxMillis); }

bool ParseMillis(std::string_view text, absl::Time* out) {
  int64_t millis = 0;
  if (text.empty() || text.size() > 20 ||
      text.find_first_not_of("0123456789") != std::string_view::npos ||
      !absl::SimpleAtoi(text, &millis) || millis > kMaxMillis) {
    return false;
  }
  *out = absl::FromUnixMillis(millis);
  return true;
}

}  // namespace

std::string EncodePresence(const UserInfo& info) {
  return absl::StrCat("1\n", info.name, "\n", info.room, "\n", MillisOf(info.connected_at), "\n",
                      MillisOf(info.last_line_at), "\n", info.registered ? "1" : "0", "\n",
                      info.address, "\n", SanitizeText(info.away));
}

absl::StatusOr<UserInfo> DecodePresence(std::string_view value) {
  if (value.size() > kMaxPresenceBytes) return absl::InvalidArgumentError("record too long");
  const std::vector<std::string_view> parts = absl::StrSplit(value, absl::MaxSplits('\n', 7));
  if (parts.size() != 8 || parts[0] != "1") {
    return absl::InvalidArgumentError("unknown format or wrong field count");
  }
  UserInfo info;
  info.name = SanitizeText(parts[1]);
  if (info.name != parts[1] || ValidateName(info.name).has_value()) {
    return absl::InvalidArgumentError("bad name");
  }
  info.room = SanitizeText(parts[2]);
  if (info.room != parts[2] || ValidateRoomName(info.room).has_value()) {
    return absl::InvalidArgumentError("bad room");
  }
  if (!ParseMillis(parts[3], &info.connected_at) || !ParseMillis(parts[4], &info.last_line_at)) {
    return absl::InvalidArgumentError("bad time");
  }
  if (parts[5] != "0" && parts[5] != "1") return absl::InvalidArgumentError("bad registered flag");
  info.registered = parts[5] == "1";
  // An address as its server saw it: "1.2.3.4:5678", "[v6]:port", or behind a load
  // balancer "client via balancer".
  const std::vector<std::string_view> hops = absl::StrSplit(parts[6], absl::MaxSplits(" via ", 1));
  if (parts[6].size() > kMaxPresenceAddressBytes ||
      std::any_of(hops.begin(), hops.end(), [](std::string_view hop) {
        return hop.find_first_not_of("0123456789abcdefABCDEF:.[]") != std::string_view::npos;
      })) {
    return absl::InvalidArgumentError("bad address");
  }
  info.address = std::string(parts[6]);
  // For /ban of a user elsewhere: the client's address, never the balancer's.
  info.address_key = TextAddressKey(parts[6]).value_or("");
  info.away = SanitizeText(parts[7]);
  if (info.away.size() > kMaxPresenceAwayBytes) return absl::InvalidArgumentError("away too long");
  return info;
}

}  // namespace chat::cluster
