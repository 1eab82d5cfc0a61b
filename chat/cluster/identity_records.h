// chat/cluster/identity_records.h: accounts, bans and topics as Redis hash fields, and back.
//
// Defines:
//   EncodeAccount() / DecodeAccount()  - an Account's fields (its key is the Redis key's).
//   EncodeBan() / DecodeBan()          - a Ban's fields (its id is the Redis key's).
//   EncodeTopic() / DecodeTopic()      - a Topic's fields.
//   Bounds on what a decoded record may hold.
//
// Records are untrusted: any process that can reach Redis can write them, so a decoder
// refuses a record with a missing or malformed field, a number out of range, or a value
// beyond its bound, and sanitises what is shown to people (names, reasons, topics) as if
// typed here. Keys (NameKey, AddressKey) are compared, never shown raw, and must
// round-trip byte for byte, so they are bounded but not rewritten.
//
// Fields (all strings): accounts n=name, h=password hash, o=operator ("0"/"1"),
// c=created (Unix microseconds); bans nk=name key, ak=address key, u=until (Unix
// microseconds; empty = permanent), r=reason, b=by, c=created; topics x=text, b=set by,
// t=set at. Unknown fields are ignored, so a later version may add some.

#ifndef CHAT_CLUSTER_IDENTITY_RECORDS_H_
#define CHAT_CLUSTER_IDENTITY_RECORDS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "chat/identity/store.h"

namespace chat::cluster {

inline constexpr size_t kMaxRecordKeyBytes = 1024;       // name, room and address keys
inline constexpr size_t kMaxRecordNameBytes = 1024;      // display names
inline constexpr size_t kMaxPasswordHashBytes = 512;     // Argon2id encodings are ~100
inline constexpr size_t kMaxRecordTextBytes = 16 * 1024;  // reasons, topics
inline constexpr size_t kMaxRecordFields = 32;

using RecordField = std::pair<std::string_view, std::string_view>;

// Each Encode appends field, value, field, value, ... to `argv`.
void EncodeAccount(const identity::Account& account, std::vector<std::string>* argv);
void EncodeBan(const identity::Ban& ban, std::vector<std::string>* argv);
void EncodeTopic(const identity::Topic& topic, std::vector<std::string>* argv);

// Each Decode refuses (DataLoss) what it cannot trust; `key` / `id` come from the Redis
// key the record was read from.
absl::StatusOr<identity::Account> DecodeAccount(std::string_view key,
                                                absl::Span<const RecordField> fields);
absl::StatusOr<identity::Ban> DecodeBan(int64_t id, absl::Span<const RecordField> fields);
absl::StatusOr<identity::Topic> DecodeTopic(absl::Span<const RecordField> fields);

// A time as Unix microseconds in decimal, and back (nullopt if not a plain integer
// within absl::Time's finite range).
std::string EncodeMicros(absl::Time time);
std::optional<absl::Time> DecodeMicros(std::string_view text);

}  // namespace chat::cluster

#endif  // CHAT_CLUSTER_IDENTITY_RECORDS_H_
