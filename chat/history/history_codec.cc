#include "chat/history/history_codec.h"

#include <charconv>
#include <cstdint>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace chat::history {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

bool IsControl(unsigned char b) { return b < 0x20 || b == 0x7f; }

// The value of hex digit `c` in either case, or -1.
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

absl::StatusOr<absl::Time> ParseTime(std::string_view field) {
  int64_t micros = 0;
  const char* const end = field.data() + field.size();
  // std::from_chars takes an optional '-' and digits only: no '+', no spaces, no "0x",
  // and it reports overflow, which is exactly the strictness the format asks for.
  const auto [stop, error] = std::from_chars(field.data(), end, micros);
  if (field.empty() || error != std::errc() || stop != end) {
    return absl::InvalidArgumentError("time is not a decimal int64");
  }
  return absl::FromUnixMicros(micros);
}

}  // namespace

void AppendEscapedField(std::string_view field, std::string& out) {
  size_t run = 0;  // start of the bytes not yet appended, which need no escape
  for (size_t i = 0; i < field.size(); ++i) {
    const unsigned char b = static_cast<unsigned char>(field[i]);
    if (b != '\\' && !IsControl(b)) continue;  // printable ASCII, and every byte >= 0x80
    out.append(field.data() + run, i - run);
    run = i + 1;
    switch (b) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default: {
        const char escape[] = {'\\', 'x', kHexDigits[b >> 4], kHexDigits[b & 0xf]};
        out.append(escape, sizeof(escape));
      }
    }
  }
  out.append(field.data() + run, field.size() - run);
}

std::string EscapeField(std::string_view field) {
  std::string out;
  out.reserve(field.size());
  AppendEscapedField(field, out);
  return out;
}

absl::StatusOr<std::string> UnescapeField(std::string_view field) {
  std::string out;
  out.reserve(field.size());
  size_t run = 0;  // start of the bytes not yet appended, which are taken as they are
  for (size_t i = 0; i < field.size(); ++i) {
    const char c = field[i];
    if (IsControl(static_cast<unsigned char>(c))) {
      // The writer escapes every control byte, so a raw one means damage (a zero-filled
      // block after a power loss, a torn-line terminator, a hand edit).
      return absl::InvalidArgumentError(absl::StrCat("raw control byte at offset ", i));
    }
    if (c != '\\') continue;
    out.append(field.data() + run, i - run);
    if (i + 1 == field.size()) {
      return absl::InvalidArgumentError(absl::StrCat("lone '\\' at offset ", i));
    }
    switch (field[i + 1]) {
      case '\\':
        out += '\\';
        break;
      case 't':
        out += '\t';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 'x': {
        const int high = i + 2 < field.size() ? HexValue(field[i + 2]) : -1;
        const int low = i + 3 < field.size() ? HexValue(field[i + 3]) : -1;
        if (high < 0 || low < 0) {
          return absl::InvalidArgumentError(absl::StrCat("bad \\x escape at offset ", i));
        }
        out += static_cast<char>(high << 4 | low);
        i += 2;
        break;
      }
      default:
        return absl::InvalidArgumentError(absl::StrCat("unknown escape at offset ", i));
    }
    ++i;
    run = i + 1;
  }
  out.append(field.data() + run, field.size() - run);
  return out;
}

std::string EncodeRecord(const HistoryRecord& record) {
  std::string line;
  // Most bytes are written as is; 24 is room for the time and the separators.
  line.reserve(24 + record.room.size() + record.name.size() + record.text.size());
  absl::StrAppend(&line, absl::ToUnixMicros(record.time), "\t");
  AppendEscapedField(record.room, line);
  line += '\t';
  AppendEscapedField(record.name, line);
  line += '\t';
  AppendEscapedField(record.text, line);
  line += '\n';
  return line;
}

absl::StatusOr<HistoryRecord> DecodeRecord(std::string_view line) {
  const std::vector<std::string_view> fields = absl::StrSplit(line, '\t');
  if (fields.size() != 4) {
    return absl::InvalidArgumentError(
        absl::StrCat("has ", fields.size(), " tab-separated fields, want 4"));
  }
  HistoryRecord record;
  absl::StatusOr<absl::Time> time = ParseTime(fields[0]);
  if (!time.ok()) return time.status();
  record.time = *time;

  static constexpr std::pair<const char*, std::string HistoryRecord::*> kTextFields[] = {
      {"room", &HistoryRecord::room},
      {"name", &HistoryRecord::name},
      {"text", &HistoryRecord::text},
  };
  for (size_t i = 0; i < 3; ++i) {
    absl::StatusOr<std::string> value = UnescapeField(fields[i + 1]);
    if (!value.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(kTextFields[i].first, " field: ", value.status().message()));
    }
    record.*kTextFields[i].second = *std::move(value);
  }
  return record;
}

HeaderKind ClassifyHeader(std::string_view head) {
  if (head.starts_with(kHistoryHeader)) return HeaderKind::kValid;
  if (head.size() < kHistoryHeader.size() && kHistoryHeader.starts_with(head)) {
    return HeaderKind::kIncomplete;
  }
  if (head.starts_with(kHistoryHeaderPrefix)) return HeaderKind::kOtherVersion;
  return HeaderKind::kForeign;
}

}  // namespace chat::history
