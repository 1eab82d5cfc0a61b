#include "chat/message.h"

#include "absl/strings/str_cat.h"

namespace chat {

// The penguin has backslashes and quotes; a raw string keeps it readable and exact.
const std::string_view kBanner = R"BANNER(Welcome to TCP-Chat!
         _nnnn_
        dGGGGMMb
       @p~qp~~qMb
       M|@||@) M|
       @,----.JM|
      JS^\__/  qKL
     dZP        qKRb
    dZP          qKKb
   fZP            SMMb
   HZM            MMMM
   FqM            MMMM
 __| ".        |\dS"qML
 |    `.       | `' \Zq
_)      \.___.,|     .'
\____   )MMMMMP|   .'
     `-'       `--'
)BANNER";

std::string FormatTimestamp(absl::Time t, absl::TimeZone zone) {
  return absl::FormatTime(kTimestampFormat, t, zone);
}

const std::string& TimestampFormatter::Format(absl::Time t) {
  const int64_t second = absl::ToUnixSeconds(t);  // rounds toward -infinity, like %S
  if (second != cached_second_) {
    cached_text_ = absl::FormatTime(format_, t, zone_);
    cached_second_ = second;
  }
  return cached_text_;
}

void AppendChatLine(std::string* out, std::string_view timestamp, std::string_view name,
                    std::string_view text) {
  absl::StrAppend(out, "[", timestamp, "][", name, "]:", text);
}

void AppendEmote(std::string* out, std::string_view timestamp, std::string_view name,
                 std::string_view action) {
  absl::StrAppend(out, "[", timestamp, "] * ", name, " ", action);
}

void AppendPrivateMessage(std::string* out, std::string_view timestamp, std::string_view from,
                          std::string_view text) {
  absl::StrAppend(out, "[", timestamp, "][", from, " -> you]:", text);
}

void AppendJoinNotice(std::string* out, std::string_view name) {
  absl::StrAppend(out, name, " has joined our chat...");
}

void AppendLeaveNotice(std::string* out, std::string_view name) {
  absl::StrAppend(out, name, " has left our chat...");
}

void AppendRenameNotice(std::string* out, std::string_view old_name, std::string_view new_name) {
  absl::StrAppend(out, old_name, " changed their name to ", new_name);
}

std::string FormatChatLine(std::string_view timestamp, std::string_view name,
                           std::string_view text) {
  std::string line;
  AppendChatLine(&line, timestamp, name, text);
  return line;
}

std::string FormatPrompt(std::string_view timestamp, std::string_view name) {
  return FormatChatLine(timestamp, name, "");
}

std::string FormatChatLine(absl::Time t, absl::TimeZone zone, std::string_view name,
                           std::string_view text) {
  return FormatChatLine(FormatTimestamp(t, zone), name, text);
}

std::string FormatPrompt(absl::Time t, absl::TimeZone zone, std::string_view name) {
  return FormatPrompt(FormatTimestamp(t, zone), name);
}

// The Format* forms build on the Append* ones, so each text exists exactly once.
std::string FormatJoinNotice(std::string_view name) {
  std::string line;
  AppendJoinNotice(&line, name);
  return line;
}

std::string FormatLeaveNotice(std::string_view name) {
  std::string line;
  AppendLeaveNotice(&line, name);
  return line;
}

std::string FormatRenameNotice(std::string_view old_name, std::string_view new_name) {
  std::string line;
  AppendRenameNotice(&line, old_name, new_name);
  return line;
}

std::string FormatEmote(absl::Time t, absl::TimeZone zone, std::string_view name,
                        std::string_view action) {
  std::string line;
  AppendEmote(&line, FormatTimestamp(t, zone), name, action);
  return line;
}

std::string FormatPrivateMessage(absl::Time t, absl::TimeZone zone, std::string_view from,
                                 std::string_view text) {
  std::string line;
  AppendPrivateMessage(&line, FormatTimestamp(t, zone), from, text);
  return line;
}

std::string FormatElapsed(absl::Duration elapsed) {
  elapsed = absl::Trunc(elapsed, absl::Seconds(1));
  if (elapsed <= absl::ZeroDuration()) return "0s";
  return absl::FormatDuration(elapsed);
}

std::string FormatTooManyRooms(size_t max_rooms) {
  return absl::StrCat("Too many rooms (", max_rooms, "); join an existing one (see /rooms).");
}

std::string FormatTooManyRoomsOfYours(size_t max_per_address) {
  return absl::StrCat("Your address has already created ", max_per_address,
                      " rooms that still exist; join an existing one (see /rooms).");
}

namespace {

// "2s", "6m": a wait rounded up to whole seconds, as people read it.
std::string FormatWait(absl::Duration wait) {
  return absl::FormatDuration(absl::Ceil(wait, absl::Seconds(1)));
}

}  // namespace

std::string FormatCreatingRoomsTooFast(absl::Duration retry_after) {
  return absl::StrCat("Your address is creating rooms too fast; try again in ",
                      FormatWait(retry_after), ", or join an existing one (see /rooms).");
}

std::string FormatTooManyPending(int max_pending) {
  return absl::StrCat("Too many connections from your address are waiting at the name prompt (",
                      max_pending, "); log in on one of them first.\n");
}

std::string FormatTooManyConnections(int max_connections) {
  return absl::StrCat("Too many connections from your address (", max_connections,
                      "); close one and try again.\n");
}

std::string FormatOthersTruncated(size_t listed) {
  return absl::StrCat("(The other servers have more people than one reply lists: only the first ",
                      listed, " of theirs are counted.)");
}

std::string FormatTooManyLogins(absl::Duration retry_after) {
  return absl::StrCat("Too many logins from your address; try again in ", FormatWait(retry_after),
                      ".\n");
}

std::string FormatTooManyHandshakes(absl::Duration retry_after) {
  return absl::StrCat("Too many TLS connections from your address; try again in ",
                      FormatWait(retry_after), ".\n");
}

std::string FormatAddressTooFast(double lines_per_second, double bytes_per_second) {
  return absl::StrCat("Your address is sending too fast (over ", lines_per_second, " lines or ",
                      bytes_per_second / 1024,
                      " KiB a second, all its connections together); lines are dropped until "
                      "it slows down.\n");
}

}  // namespace chat
