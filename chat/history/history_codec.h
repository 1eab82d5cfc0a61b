// chat/history/history_codec.h: the on-disk format of the chat history file, as pure
// functions (no I/O).
//
// Defines:
//   HistoryRecord                  - one chat line: room, time, sender name, text.
//   kHistoryHeader                 - the first line of every history file (the version).
//   kTornLineTerminator            - what a writer appends to end a partial line.
//   kMaxLineBytes                  - the longest record line written or read.
//   EscapeField / UnescapeField    - the escaping of one field.
//   EncodeRecord / DecodeRecord    - one record <-> one line.
//   HeaderKind / ClassifyHeader    - is this the start of a version-1 history file?
//
// History file format, version 1
// ------------------------------
// A history file is a sequence of lines, each ending in "\n" (0x0A). The first line is
// exactly these 20 bytes:
//
//   #tcpchat-history v1\n
//
// Every further line is one chat record, in the order they were appended:
//
//   <unix_micros>\t<room>\t<name>\t<text>\n
//
// where \t is one tab byte (0x09) and \n one newline byte (0x0A).
//
// <unix_micros>  when the line was said: microseconds since 1970-01-01 00:00:00 UTC, as
//                a decimal int64 (an optional '-' then digits; no '+', no spaces).
//                Sub-microsecond precision is dropped, rounding toward the past.
// <room>, <name>, <text>
//                the field's bytes with these escapes (each is a backslash byte, 0x5C,
//                then 1 or 3 ASCII bytes), so that no field contains a tab, a newline or any
//                other control byte:
//                  \\     for 0x5C, the backslash itself
//                  \t     for 0x09, tab
//                  \n     for 0x0A, newline
//                  \r     for 0x0D, carriage return
//                  \xHH   for any other byte 0x00-0x1F, and 0x7F (HH: two lowercase hex
//                         digits, e.g. \x00 for NUL, \x1b for ESC, \x7f for DEL)
//                Every other byte, 0x80-0xFF included, is written as is: names and texts
//                need not be valid UTF-8 and round-trip byte for byte. Fields may be empty.
//
// Readers accept \xHH with either case of hex digit and for any byte value. A line is
// corrupt if it has other than 4 tab-separated fields, a malformed time, an unknown
// escape (a '\' followed by anything but \ t n r xHH), or a raw control byte (0x00-0x1F
// other than the separating tabs, or 0x7F); a corrupt line, or one longer than
// kMaxLineBytes, is skipped and counted and reading goes on. A last line without its
// "\n" is a write torn by a crash: it is skipped and reported.
//
// A writer that finds the file ending in a partial line (a crash mid-write, or one of its
// own failed writes) first appends kTornLineTerminator, 0x01 0x0A: the raw 0x01 makes
// the partial line corrupt for certain, so a truncated record is never read back as a
// complete, shorter one, and the next record starts on a line of its own.
//
// A file whose first line is "#tcpchat-history v<anything else>" has another format
// version; a reader or writer of version 1 refuses it rather than guess. A file whose
// first line is not a header at all is not a history file and is refused too.

#ifndef CHAT_HISTORY_HISTORY_CODEC_H_
#define CHAT_HISTORY_HISTORY_CODEC_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace chat::history {

// HistoryRecord is one chat line as stored. `time` is kept to the microsecond.
struct HistoryRecord {
  std::string room;
  absl::Time time;
  std::string name;
  std::string text;

  friend bool operator==(const HistoryRecord&, const HistoryRecord&) = default;
};

// The first line of a version-1 history file, newline included.
inline constexpr std::string_view kHistoryHeader = "#tcpchat-history v1\n";

// What a header of any version starts with; the version follows.
inline constexpr std::string_view kHistoryHeaderPrefix = "#tcpchat-history v";

// Appended by a writer to end a partial last line before its next record (see above).
inline constexpr std::string_view kTornLineTerminator = "\x01\n";

// The longest record line, its "\n" included, that a writer writes or a reader accepts.
// Chat lines are a few KiB at most (the server's --max_line_bytes, 4096 by default, up to
// 4x on escaping); the bound keeps a reader's memory finite on a damaged file.
inline constexpr size_t kMaxLineBytes = 1 << 20;

// EscapeField() returns `field` escaped as described above.
std::string EscapeField(std::string_view field);

// AppendEscapedField() appends the escaped `field` to `out`.
void AppendEscapedField(std::string_view field, std::string& out);

// UnescapeField() inverts EscapeField(). InvalidArgument on a raw control byte, a tab
// included, or an invalid escape. The message says where, never which bytes: history
// holds what people wrote, and errors end up in logs.
absl::StatusOr<std::string> UnescapeField(std::string_view field);

// EncodeRecord() returns `record` as one line, its trailing "\n" included.
std::string EncodeRecord(const HistoryRecord& record);

// DecodeRecord() parses one record line, given without its trailing "\n".
// InvalidArgument if it is corrupt; the message names the field and the problem only.
absl::StatusOr<HistoryRecord> DecodeRecord(std::string_view line);

// HeaderKind says what the first bytes of a file are.
enum class HeaderKind {
  kValid,         // starts with kHistoryHeader
  kIncomplete,    // a proper prefix of kHistoryHeader, or empty: the creating write was torn
  kOtherVersion,  // a history header of another version
  kForeign,       // not a history file
};

// ClassifyHeader() looks at `head`, the first min(file size, kHistoryHeader.size())
// bytes of a file.
HeaderKind ClassifyHeader(std::string_view head);

}  // namespace chat::history

#endif  // CHAT_HISTORY_HISTORY_CODEC_H_
