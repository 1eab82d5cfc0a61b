#include "chat/history_journal.h"

#include <algorithm>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "glog/logging.h"

namespace chat {

std::shared_ptr<Event> EventFromRecord(const history::HistoryRecord& record) {
  if (absl::StartsWith(record.text, kEmotePrefix)) {
    return MakeEvent(Event::Kind::kEmote, record.time, record.name,
                     record.text.substr(kEmotePrefix.size()));
  }
  return MakeEvent(Event::Kind::kChat, record.time, record.name, record.text);
}

absl::StatusOr<std::unique_ptr<HistoryJournal>> HistoryJournal::Open(
    const std::string& path, history::HistoryLogOptions options, size_t per_room_limit,
    Lobby& lobby, Stats* stats, std::function<void()> on_write_error) {
  absl::StatusOr<history::LoadResult> loaded = history::HistoryLog::Load(path, per_room_limit);
  if (!loaded.ok()) return loaded.status();
  // Newest activity first, so a full lobby keeps the rooms people were last using.
  std::vector<const std::pair<const std::string, std::deque<history::HistoryRecord>>*> rooms;
  for (const auto& room : loaded->rooms) rooms.push_back(&room);
  std::stable_sort(rooms.begin(), rooms.end(), [](const auto* a, const auto* b) {
    const absl::Time a_last = a->second.empty() ? absl::InfinitePast() : a->second.back().time;
    const absl::Time b_last = b->second.empty() ? absl::InfinitePast() : b->second.back().time;
    return a_last > b_last;
  });
  int64_t restored = 0;
  int64_t skipped = 0;
  for (const auto* room : rooms) {
    const std::shared_ptr<Room> target = lobby.FindOrCreate(room->first);
    if (target == nullptr) {
      ++skipped;
      continue;
    }
    std::vector<std::shared_ptr<Event>> events;
    events.reserve(room->second.size());
    for (const history::HistoryRecord& record : room->second) {
      events.push_back(EventFromRecord(record));
    }
    target->Restore(std::move(events));
    ++restored;
  }
  if (stats != nullptr) {
    stats->records_loaded = loaded->records_loaded;
    stats->corrupt_lines_skipped = loaded->corrupt_lines_skipped;
    stats->torn_tail = loaded->torn_tail;
    stats->rooms = restored;
    stats->rooms_skipped = skipped;
  }
  absl::StatusOr<std::unique_ptr<history::HistoryLog>> log =
      history::HistoryLog::Open(path, std::move(options));
  if (!log.ok()) return log.status();
  return std::unique_ptr<HistoryJournal>(
      new HistoryJournal(*std::move(log), std::move(on_write_error)));
}

void HistoryJournal::Record(std::string_view room, const Event& event) {
  history::HistoryRecord record{
      .room = std::string(room),
      .time = event.time,
      .name = event.name,
      .text = event.kind == Event::Kind::kEmote ? absl::StrCat(kEmotePrefix, event.text)
                                                : event.text,
  };
  const absl::Status status = log_->Append(record);
  if (status.ok()) return;
  if (on_write_error_) on_write_error_();
  LOG_EVERY_N(ERROR, 100) << "history file " << log_->path() << ": append failed ("
                          << google::COUNTER << " so far): " << status;
}

}  // namespace chat
