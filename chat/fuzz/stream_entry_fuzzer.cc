// Fuzz target for Redis stream entries (--redis): fields any process that can reach
// Redis may have written, decoded by chat/cluster/stream_codec.
//
// The input is split at NUL bytes into field, value, field, value, ...; its first byte
// (if any) also picks whether the entry claims to come from this instance.
//
// Checks properties, not just crashes:
//   - an accepted entry is a room event (never private), with a non-empty name and text
//     within the bounds, both already sanitised (SanitizeText leaves them unchanged);
//   - its origin is 0 unless the entry names this instance;
//   - encoding it and decoding that gives the same event back;
//   - a stream ID that parses prints back to text that parses to the same ID.
//
// Built as a libFuzzer binary under --config=fuzz (clang); in every other configuration
// fuzz_corpus_main.cc replays testdata/fuzz/stream_entry so the corpus is a regression test.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_split.h"
#include "chat/cluster/stream_codec.h"
#include "chat/sanitize.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

constexpr std::string_view kOwnInstance = "fuzz:1";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using chat::Event;
  using namespace chat::cluster;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::vector<std::string_view> parts = absl::StrSplit(input, '\0');
  std::vector<StreamField> fields;
  for (size_t i = 0; i + 1 < parts.size(); i += 2) fields.emplace_back(parts[i], parts[i + 1]);

  if (std::optional<StreamId> id = StreamId::Parse(parts[0]); id.has_value()) {
    const std::optional<StreamId> again = StreamId::Parse(id->ToString());
    Check(again.has_value() && *again == *id);
  }

  const absl::StatusOr<std::shared_ptr<Event>> decoded = DecodeEvent(fields, kOwnInstance);
  if (!decoded.ok()) {
    Check(!decoded.status().message().empty());
    return 0;
  }
  const Event& event = **decoded;
  Check(event.kind != Event::Kind::kPrivate);
  Check(!event.name.empty() && event.name.size() <= kMaxNameBytes);
  Check(event.text.size() <= kMaxTextBytes);
  Check(chat::SanitizeText(event.name) == event.name);
  Check(chat::SanitizeText(event.text) == event.text);
  bool own = false;
  for (const auto& [field, value] : fields) own = own || (field == "i" && value == kOwnInstance);
  if (!own) Check(event.origin == 0);

  std::vector<std::string> argv;
  EncodeEvent(event, kOwnInstance, &argv);
  std::vector<StreamField> again_fields;
  for (size_t i = 0; i + 1 < argv.size(); i += 2) again_fields.emplace_back(argv[i], argv[i + 1]);
  const absl::StatusOr<std::shared_ptr<Event>> again = DecodeEvent(again_fields, kOwnInstance);
  Check(again.ok());
  const Event& back = **again;
  Check(back.kind == event.kind && back.time == event.time && back.name == event.name &&
        back.text == event.text && back.origin == event.origin);
  return 0;
}
