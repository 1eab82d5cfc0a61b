// Fuzz target for what other processes leave in Redis for an instance (--redis):
// identity records (chat/cluster/identity_records, read by RedisStore) and inbox entries
// (chat/cluster/inbox_codec, read by Inbox). Any process that can reach Redis can write
// them.
//
// The input's first byte picks the decoder (account, ban, topic, inbox entry); the rest
// is split at NUL bytes into field, value, field, value, ...
//
// Checks properties, not just crashes:
//   - an accepted record is within the bounds, and what people read of it is already
//     sanitised (SanitizeText leaves it unchanged);
//   - a ban names a name key or an address key; a private message has a sender;
//   - encoding it and decoding that gives the same record back.
//
// Built as a libFuzzer binary under --config=fuzz (clang); in every other configuration
// fuzz_corpus_main.cc replays testdata/fuzz/cluster_record so the corpus is a regression
// test.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_split.h"
#include "chat/cluster/identity_records.h"
#include "chat/cluster/inbox_codec.h"
#include "chat/name.h"
#include "chat/sanitize.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

bool Sanitised(std::string_view text) { return chat::SanitizeText(text) == text; }

template <typename Field>
std::vector<Field> Pairs(const std::vector<std::string>& argv) {
  std::vector<Field> fields;
  for (size_t i = 0; i + 1 < argv.size(); i += 2) fields.emplace_back(argv[i], argv[i + 1]);
  return fields;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace chat::cluster;
  if (size == 0) return 0;
  const uint8_t which = data[0] % 4;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::vector<std::string_view> parts = absl::StrSplit(input, '\0');
  std::vector<RecordField> fields;
  for (size_t i = 0; i + 1 < parts.size(); i += 2) fields.emplace_back(parts[i], parts[i + 1]);
  std::vector<std::string> argv;

  switch (which) {
    case 0: {
      absl::StatusOr<chat::identity::Account> account = DecodeAccount("key", fields);
      if (!account.ok()) return 0;
      Check(account->name.size() <= kMaxRecordNameBytes && Sanitised(account->name));
      Check(account->password_hash.size() <= kMaxPasswordHashBytes);
      EncodeAccount(*account, &argv);
      absl::StatusOr<chat::identity::Account> again = DecodeAccount("key", Pairs<RecordField>(argv));
      Check(again.ok() && *again == *account);
      return 0;
    }
    case 1: {
      absl::StatusOr<chat::identity::Ban> ban = DecodeBan(42, fields);
      if (!ban.ok()) return 0;
      Check(!ban->name_key.empty() || !ban->address_key.empty());
      Check(ban->reason.size() <= kMaxRecordTextBytes && Sanitised(ban->reason));
      Check(ban->by.size() <= kMaxRecordNameBytes && Sanitised(ban->by));
      EncodeBan(*ban, &argv);
      absl::StatusOr<chat::identity::Ban> again = DecodeBan(42, Pairs<RecordField>(argv));
      Check(again.ok() && *again == *ban);
      return 0;
    }
    case 2: {
      absl::StatusOr<chat::identity::Topic> topic = DecodeTopic(fields);
      if (!topic.ok()) return 0;
      Check(topic->text.size() <= kMaxRecordTextBytes && Sanitised(topic->text));
      Check(topic->set_by.size() <= kMaxRecordNameBytes && Sanitised(topic->set_by));
      EncodeTopic(*topic, &argv);
      absl::StatusOr<chat::identity::Topic> again = DecodeTopic(Pairs<RecordField>(argv));
      Check(again.ok() && *again == *topic);
      return 0;
    }
    default: {
      std::vector<StreamField> stream_fields(fields.begin(), fields.end());
      absl::StatusOr<InboxEntry> entry = DecodeInboxEntry(stream_fields);
      if (!entry.ok()) {
        Check(!entry.status().message().empty());
        return 0;
      }
      Check(!entry->to.empty() && entry->to.size() <= kMaxNameBytes && Sanitised(entry->to));
      Check(entry->from.size() <= kMaxNameBytes && Sanitised(entry->from));
      Check(entry->kind != InboxEntry::Kind::kPrivate || !entry->from.empty());
      // Every name drawn is one somebody could have chosen here.
      Check(!chat::ValidateName(entry->to).has_value());
      Check(entry->from.empty() || !chat::ValidateName(entry->from).has_value());
      Check(entry->text.size() <= kMaxTextBytes && Sanitised(entry->text));
      Check(entry->instance.size() <= kMaxInstanceBytes && Sanitised(entry->instance));
      EncodeInboxEntry(*entry, &argv);
      absl::StatusOr<InboxEntry> again = DecodeInboxEntry(Pairs<StreamField>(argv));
      Check(again.ok() && *again == *entry);
      return 0;
    }
  }
}
