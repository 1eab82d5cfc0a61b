// chat/history_journal.h: connects the rooms to the durable history file.
//
// Defines:
//   HistoryJournal - a Journal that appends every broadcast line to a history::HistoryLog,
//                    and restores the rooms' histories from that file at start-up.

#ifndef CHAT_HISTORY_JOURNAL_H_
#define CHAT_HISTORY_JOURNAL_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "chat/history/history_log.h"
#include "chat/core/event.h"
#include "chat/core/lobby.h"
#include "chat/core/room.h"

namespace chat {

// An emote is stored as a record whose text is kEmotePrefix + the action (the IRC CTCP
// ACTION convention). Sanitised chat text never contains 0x01, so a chat line can never
// be read back as an emote or the other way round.
inline constexpr std::string_view kEmotePrefix = "\x01" "ACTION ";

// HistoryJournal is thread-safe (HistoryLog is); Record() is called under room locks.
class HistoryJournal final : public Journal {
 public:
  struct Stats {
    int64_t records_loaded = 0;
    int64_t corrupt_lines_skipped = 0;
    bool torn_tail = false;
    int64_t rooms = 0;
    // Rooms in the file left out because the lobby was full (--max_rooms); the most
    // recently active rooms are restored first.
    int64_t rooms_skipped = 0;
  };

  // HistoryJournal::Open() reads `path` back into `lobby` (the newest `per_room_limit`
  // lines of each room), then opens it for appending. Call before any client connects.
  // `on_write_error` runs after each failed append (for metrics).
  static absl::StatusOr<std::unique_ptr<HistoryJournal>> Open(
      const std::string& path, history::HistoryLogOptions options, size_t per_room_limit,
      Lobby& lobby, Stats* stats, std::function<void()> on_write_error = nullptr);

  // Journal. A failed append is logged (rate-limited) and reported to on_write_error;
  // the line is still broadcast: losing history must not stop the chat.
  void Record(std::string_view room, const Event& event) override;

 private:
  HistoryJournal(std::unique_ptr<history::HistoryLog> log, std::function<void()> on_write_error)
      : log_(std::move(log)), on_write_error_(std::move(on_write_error)) {}

  std::unique_ptr<history::HistoryLog> log_;
  std::function<void()> on_write_error_;
};

// EventFromRecord() turns a stored record back into the chat line or emote it was.
std::shared_ptr<Event> EventFromRecord(const history::HistoryRecord& record);

}  // namespace chat

#endif  // CHAT_HISTORY_JOURNAL_H_
