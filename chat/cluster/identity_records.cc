#include "chat/cluster/identity_records.h"

#include <optional>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "chat/sanitize.h"

namespace chat::cluster {
namespace {

// Fields reads the known fields of a record once each; anything else is ignored.
class Fields {
 public:
  Fields(absl::Span<const RecordField> fields, std::initializer_list<std::string_view> known)
      : known_(known), values_(known.size()) {
    if (fields.size() > kMaxRecordFields) {
      error_ = "too many fields";
      return;
    }
    for (const auto& [field, value] : fields) {
      for (size_t i = 0; i < known_.size(); ++i) {
        if (field != known_[i]) continue;
        if (values_[i].has_value()) error_ = absl::StrCat("field ", field, " twice");
        values_[i] = value;
      }
    }
  }

  // The value of `field`, which must be present and at most `max` bytes.
  std::string_view Get(std::string_view field, size_t max) {
    for (size_t i = 0; i < known_.size(); ++i) {
      if (known_[i] != field) continue;
      if (!values_[i].has_value()) {
        Fail(absl::StrCat("no field ", field));
        return {};
      }
      if (values_[i]->size() > max) {
        Fail(absl::StrCat("field ", field, " is too long"));
        return {};
      }
      return *values_[i];
    }
    Fail(absl::StrCat("unknown field ", field));
    return {};
  }
  // Sanitising turns each invalid byte into three (U+FFFD): the bound holds afterwards too.
  std::string Shown(std::string_view field, size_t max) {
    std::string shown = SanitizeText(Get(field, max));
    if (shown.size() > max) Fail(absl::StrCat("field ", field, " is too long"));
    return shown;
  }
  absl::Time Time(std::string_view field) {
    const std::optional<absl::Time> time = DecodeMicros(Get(field, 20));
    if (!time.has_value()) Fail(absl::StrCat("field ", field, " is not a time"));
    return time.value_or(absl::UnixEpoch());
  }
  void Fail(std::string why) {
    if (error_.empty()) error_ = std::move(why);
  }

  absl::Status status(std::string_view what) const {
    if (error_.empty()) return absl::OkStatus();
    return absl::DataLossError(absl::StrCat("a malformed ", what, " record in redis: ", error_));
  }

 private:
  std::vector<std::string_view> known_;
  std::vector<std::optional<std::string_view>> values_;
  std::string error_;
};

}  // namespace

std::string EncodeMicros(absl::Time time) { return absl::StrCat(absl::ToUnixMicros(time)); }

std::optional<absl::Time> DecodeMicros(std::string_view text) {
  int64_t micros = 0;
  // SimpleAtoi takes surrounding blanks and a '+'; a record never has them.
  if (text.empty() || text.size() > 20 || !(text[0] == '-' || (text[0] >= '0' && text[0] <= '9')) ||
      (text.back() < '0' || text.back() > '9') || !absl::SimpleAtoi(text, &micros)) {
    return std::nullopt;
  }
  // ToUnixMicros saturates at the infinities; those never come back as finite times.
  if (micros == INT64_MIN || micros == INT64_MAX) return std::nullopt;
  return absl::FromUnixMicros(micros);
}

void EncodeAccount(const identity::Account& account, std::vector<std::string>* argv) {
  argv->insert(argv->end(), {"n", account.name, "h", account.password_hash, "o",
                             account.is_operator ? "1" : "0", "c", EncodeMicros(account.created)});
}

void EncodeBan(const identity::Ban& ban, std::vector<std::string>* argv) {
  argv->insert(argv->end(),
               {"nk", ban.name_key, "ak", ban.address_key, "u",
                ban.permanent() ? std::string() : EncodeMicros(ban.until), "r", ban.reason, "b",
                ban.by, "c", EncodeMicros(ban.created)});
}

void EncodeTopic(const identity::Topic& topic, std::vector<std::string>* argv) {
  argv->insert(argv->end(),
               {"x", topic.text, "b", topic.set_by, "t", EncodeMicros(topic.set_at)});
}

absl::StatusOr<identity::Account> DecodeAccount(std::string_view key,
                                                absl::Span<const RecordField> fields) {
  Fields f(fields, {"n", "h", "o", "c"});
  identity::Account account;
  if (key.empty() || key.size() > kMaxRecordKeyBytes) f.Fail("bad key");
  account.key = std::string(key);
  account.name = f.Shown("n", kMaxRecordNameBytes);
  account.password_hash = std::string(f.Get("h", kMaxPasswordHashBytes));
  const std::string_view op = f.Get("o", 1);
  if (op != "0" && op != "1") f.Fail("field o is not 0 or 1");
  account.is_operator = op == "1";
  account.created = f.Time("c");
  if (absl::Status s = f.status("account"); !s.ok()) return s;
  return account;
}

absl::StatusOr<identity::Ban> DecodeBan(int64_t id, absl::Span<const RecordField> fields) {
  Fields f(fields, {"nk", "ak", "u", "r", "b", "c"});
  identity::Ban ban;
  if (id <= 0) f.Fail("bad id");
  ban.id = id;
  ban.name_key = std::string(f.Get("nk", kMaxRecordKeyBytes));
  ban.address_key = std::string(f.Get("ak", kMaxRecordKeyBytes));
  if (f.status("ban").ok() && ban.name_key.empty() && ban.address_key.empty()) {
    f.Fail("neither a name nor an address");
  }
  if (f.Get("u", 20).empty()) {
    ban.until = absl::InfiniteFuture();
  } else {
    ban.until = f.Time("u");
  }
  ban.reason = f.Shown("r", kMaxRecordTextBytes);
  ban.by = f.Shown("b", kMaxRecordNameBytes);
  ban.created = f.Time("c");
  if (absl::Status s = f.status("ban"); !s.ok()) return s;
  return ban;
}

absl::StatusOr<identity::Topic> DecodeTopic(absl::Span<const RecordField> fields) {
  Fields f(fields, {"x", "b", "t"});
  identity::Topic topic;
  topic.text = f.Shown("x", kMaxRecordTextBytes);
  topic.set_by = f.Shown("b", kMaxRecordNameBytes);
  topic.set_at = f.Time("t");
  if (absl::Status s = f.status("topic"); !s.ok()) return s;
  return topic;
}

}  // namespace chat::cluster
