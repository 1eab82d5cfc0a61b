#include "chat/history_journal.h"

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "chat/message.h"
#include "glog/logging.h"

namespace chat {

std::string FormatRestoredLine(const history::HistoryRecord& record, absl::TimeZone zone) {
  if (absl::StartsWith(record.text, kEmotePrefix)) {
    return FormatEmote(record.time, zone, record.name, record.text.substr(kEmotePrefix.size()));
  }
  return FormatChatLine(record.time, zone, record.name, record.text);
}

absl::StatusOr<std::unique_ptr<HistoryJournal>> HistoryJournal::Open(
    const std::string& path, history::HistoryLogOptions options, size_t per_room_limit,
    absl::TimeZone zone, Lobby& lobby, Stats* stats, std::function<void()> on_write_error) {
  absl::StatusOr<history::LoadResult> loaded = history::HistoryLog::Load(path, per_room_limit);
  if (!loaded.ok()) return loaded.status();
  for (const auto& [room_name, records] : loaded->rooms) {
    std::vector<SharedText> lines;
    lines.reserve(records.size());
    for (const history::HistoryRecord& record : records) {
      lines.push_back(MakeShared(FormatRestoredLine(record, zone)));
    }
    lobby.FindOrCreate(room_name)->Restore(lines);
  }
  if (stats != nullptr) {
    stats->records_loaded = loaded->records_loaded;
    stats->corrupt_lines_skipped = loaded->corrupt_lines_skipped;
    stats->torn_tail = loaded->torn_tail;
    stats->rooms = static_cast<int64_t>(loaded->rooms.size());
  }
  absl::StatusOr<std::unique_ptr<history::HistoryLog>> log =
      history::HistoryLog::Open(path, std::move(options));
  if (!log.ok()) return log.status();
  return std::unique_ptr<HistoryJournal>(
      new HistoryJournal(*std::move(log), std::move(on_write_error)));
}

void HistoryJournal::Record(std::string_view room, const SpokenLine& line) {
  history::HistoryRecord record{
      .room = std::string(room),
      .time = line.time,
      .name = std::string(line.name),
      .text = line.emote ? absl::StrCat(kEmotePrefix, line.text) : std::string(line.text),
  };
  const absl::Status status = log_->Append(record);
  if (status.ok()) return;
  if (on_write_error_) on_write_error_();
  LOG_EVERY_N(ERROR, 100) << "history file " << log_->path() << ": append failed ("
                          << google::COUNTER << " so far): " << status;
}

}  // namespace chat
