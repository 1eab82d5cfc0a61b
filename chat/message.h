// chat/message.h: every byte the server writes to a client, as pure functions.
//
// Defines:
//   kBanner, kNamePrompt       - what a new connection sees (testdata/banner.txt).
//   FormatElapsed              - "3m12s".
//   FormatTimestamp            - "YYYY-MM-DD HH:MM:SS".
//   FormatChatLine             - "[time][name]:text".
//   FormatPrompt               - "[time][name]:" (the input prompt, no newline).
//   FormatJoinNotice/LeaveNotice/RenameNotice
//   FormatEmote, FormatPrivateMessage
//
// Lines are returned without their trailing newline: framing (where the newline and the
// recipient's fresh prompt go) is the session's job, so the room can share one formatted
// line among all recipients.

#ifndef CHAT_MESSAGE_H_
#define CHAT_MESSAGE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/time/time.h"

namespace chat {

// The welcome banner: one line of greeting and a 16-line penguin, each line ending in
// "\n". Byte-identical to testdata/banner.txt and to the classic net-cat exercise.
extern const std::string_view kBanner;

// Sent after the banner and after each refused name; note the trailing space.
inline constexpr std::string_view kNamePrompt = "[ENTER YOUR NAME]: ";

// FormatElapsed() renders a duration in whole seconds, as people read it: "0s", "45s",
// "3m12s", "1h5s", "50h3m" (negative: "0s").
std::string FormatElapsed(absl::Duration elapsed);

// FormatTimestamp() renders `t` in `zone` as "2006-01-02 15:04:05".
std::string FormatTimestamp(absl::Time t, absl::TimeZone zone);

// absl::FormatTime()'s format of FormatTimestamp(), and of RFC 3339 in UTC
// ("2006-01-02T15:04:05Z", for JSON clients).
inline constexpr char kTimestampFormat[] = "%Y-%m-%d %H:%M:%S";
inline constexpr char kRfc3339UtcFormat[] = "%Y-%m-%dT%H:%M:%SZ";

// TimestampFormatter is FormatTimestamp() for a hot path: it formats at most once per
// second of input and returns the cached text otherwise (formatting a civil time costs
// far more than copying 19 bytes). `format` (whole seconds only) must outlive it.
// Not thread-safe: one per thread.
class TimestampFormatter {
 public:
  explicit TimestampFormatter(absl::TimeZone zone, const char* format = kTimestampFormat)
      : zone_(zone), format_(format) {}
  const std::string& Format(absl::Time t);

 private:
  absl::TimeZone zone_;
  const char* format_;
  int64_t cached_second_ = INT64_MIN;
  std::string cached_text_;
};

// Append forms of the lines below, for renderers that build one buffer per batch.
void AppendChatLine(std::string* out, std::string_view timestamp, std::string_view name,
                    std::string_view text);
void AppendEmote(std::string* out, std::string_view timestamp, std::string_view name,
                 std::string_view action);
void AppendPrivateMessage(std::string* out, std::string_view timestamp, std::string_view from,
                          std::string_view text);
void AppendJoinNotice(std::string* out, std::string_view name);
void AppendLeaveNotice(std::string* out, std::string_view name);
void AppendRenameNotice(std::string* out, std::string_view old_name, std::string_view new_name);

// The same lines from an already formatted timestamp.
std::string FormatChatLine(std::string_view timestamp, std::string_view name,
                           std::string_view text);
std::string FormatPrompt(std::string_view timestamp, std::string_view name);

// FormatChatLine() returns "[<time>][<name>]:<text>".
std::string FormatChatLine(absl::Time t, absl::TimeZone zone, std::string_view name,
                           std::string_view text);

// FormatPrompt() returns "[<time>][<name>]:", the prompt a logged-in client types after.
std::string FormatPrompt(absl::Time t, absl::TimeZone zone, std::string_view name);

// "<name> has joined our chat..." and "<name> has left our chat...".
std::string FormatJoinNotice(std::string_view name);
std::string FormatLeaveNotice(std::string_view name);

// "<old> changed their name to <new>".
std::string FormatRenameNotice(std::string_view old_name, std::string_view new_name);

// "[<time>] * <name> <action>", a /me emote.
std::string FormatEmote(absl::Time t, absl::TimeZone zone, std::string_view name,
                        std::string_view action);

// "[<time>][<from> -> you]:<text>", a /msg as its recipient sees it.
std::string FormatPrivateMessage(absl::Time t, absl::TimeZone zone, std::string_view from,
                                 std::string_view text);


// Why /join could not create a room: all `max_rooms` exist, or this address already
// created `max_per_address` rooms that still exist.
std::string FormatTooManyRooms(size_t max_rooms);
std::string FormatTooManyRoomsOfYours(size_t max_per_address);
std::string FormatCreatingRoomsTooFast(absl::Duration retry_after);

// Per-address limits (chat/abuse): what the client is told, each a full line.
std::string FormatTooManyPending(int max_pending);
std::string FormatTooManyConnections(int max_connections);
inline constexpr std::string_view kServerBusy = "The server is busy; try again later.\n";
// A line or emote the shared store (--redis) did not take: nobody saw it.
inline constexpr std::string_view kChatUnavailable =
    "The chat is unavailable right now; your message was NOT sent. Try again shortly.";
// A name (at login or /name) the other servers (--redis) could not be asked about: refused,
// since granting it blind could give two people one name.
inline constexpr std::string_view kNamesUnavailable =
    "The chat is unavailable right now; names cannot be checked. Try again shortly.";
// The goodbye of a client whose name another server took while this one was cut off
// from the others for longer than the name lease (--redis).
inline constexpr std::string_view kNameLostElsewhere =
    "Your name was taken on another server while this one was cut off from the chat; "
    "log in again. Bye!";
// /users and /rooms when the other servers (--redis) could not be asked, or had more
// people than one reply lists.
inline constexpr std::string_view kOthersUnavailable =
    "(Only this server's people: the other servers cannot be asked right now.)";
std::string FormatOthersTruncated(size_t listed);
std::string FormatTooManyLogins(absl::Duration retry_after);
// FormatTooManyHandshakes() refuses a TLS connection before its handshake, in plain text.
std::string FormatTooManyHandshakes(absl::Duration retry_after);
std::string FormatAddressTooFast(double lines_per_second, double bytes_per_second);

}  // namespace chat

#endif  // CHAT_MESSAGE_H_
