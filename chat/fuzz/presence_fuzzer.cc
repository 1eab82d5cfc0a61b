// Fuzz target for presence records (--redis): what another instance (or anyone who can
// reach Redis) wrote into its presence hash, decoded by chat/cluster/presence_codec.
//
// Checks properties, not just crashes:
//   - an accepted record's name passes ValidateName and its room ValidateRoomName, so
//     /users and /whois show nothing this server would not let a client be called;
//   - its away text is sanitised and within the bound, its address within its bound;
//   - it carries no session id (id 0: another server's ids mean nothing here);
//   - encoding it and decoding that gives the same record back.
//
// Built as a libFuzzer binary under --config=fuzz (clang); in every other configuration
// fuzz_corpus_main.cc replays testdata/fuzz/presence so the corpus is a regression test.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "chat/cluster/presence_codec.h"
#include "chat/name.h"
#include "chat/sanitize.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace chat::cluster;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const absl::StatusOr<chat::UserInfo> decoded = DecodePresence(input);
  if (!decoded.ok()) {
    Check(!decoded.status().message().empty());
    return 0;
  }
  const chat::UserInfo& info = *decoded;
  Check(!chat::ValidateName(info.name).has_value());
  Check(!chat::ValidateRoomName(info.room).has_value());
  Check(chat::SanitizeText(info.away) == info.away);
  Check(info.away.size() <= kMaxPresenceAwayBytes);
  Check(info.address.size() <= kMaxPresenceAddressBytes);
  Check(info.id == 0);
  const absl::StatusOr<chat::UserInfo> again = DecodePresence(EncodePresence(info));
  Check(again.ok());
  Check(again->name == info.name && again->room == info.room && again->away == info.away &&
        again->address == info.address && again->registered == info.registered &&
        again->connected_at == info.connected_at && again->last_line_at == info.last_line_at);
  return 0;
}
