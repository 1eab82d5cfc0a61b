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
  return absl::FormatTime("%Y-%m-%d %H:%M:%S", t, zone);
}

const std::string& TimestampFormatter::Format(absl::Time t) {
  const int64_t second = absl::ToUnixSeconds(t);  // rounds toward -infinity, like %S
  if (second != cached_second_) {
    cached_text_ = FormatTimestamp(t, zone_);
    cached_second_ = second;
  }
  return cached_text_;
}

std::string FormatChatLine(std::string_view timestamp, std::string_view name,
                           std::string_view text) {
  return absl::StrCat("[", timestamp, "][", name, "]:", text);
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

std::string FormatJoinNotice(std::string_view name) {
  return absl::StrCat(name, " has joined our chat...");
}

std::string FormatLeaveNotice(std::string_view name) {
  return absl::StrCat(name, " has left our chat...");
}

}  // namespace chat

namespace chat {

std::string FormatRenameNotice(std::string_view old_name, std::string_view new_name) {
  return absl::StrCat(old_name, " changed their name to ", new_name);
}

std::string FormatEmote(absl::Time t, absl::TimeZone zone, std::string_view name,
                        std::string_view action) {
  return absl::StrCat("[", FormatTimestamp(t, zone), "] * ", name, " ", action);
}

std::string FormatPrivateMessage(absl::Time t, absl::TimeZone zone, std::string_view from,
                                 std::string_view text) {
  return absl::StrCat("[", FormatTimestamp(t, zone), "][", from, " -> you]:", text);
}

std::string FormatHistoryCut(size_t lines_not_shown) {
  return absl::StrCat("(", lines_not_shown, lines_not_shown == 1 ? " earlier line is" : " earlier lines are",
                      " not shown)\n");
}

std::string FormatTooManyRooms(size_t max_rooms) {
  return absl::StrCat("Too many rooms (", max_rooms, "); join an existing one (see /rooms).");
}

std::string FormatTooManyRoomsOfYours(size_t max_per_address) {
  return absl::StrCat("Your address has already created ", max_per_address,
                      " rooms that still exist; join an existing one (see /rooms).");
}

}  // namespace chat
