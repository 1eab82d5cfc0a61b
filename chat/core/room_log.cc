#include "chat/core/room_log.h"

#include <algorithm>
#include <limits>

namespace chat {

size_t RoomLog::Append(std::shared_ptr<Event> event, size_t* freed) {
  const uint64_t seq = end_seq_;
  if (blocks_.empty() || seq >= blocks_.back()->first_seq() + EventBlock::kSize) {
    blocks_.push_back(std::make_shared<EventBlock>(seq));
  }
  EventBlock& block = *blocks_.back();
  const size_t slot = seq - block.first_seq();
  event->seq = seq;
  const size_t charge = event->charge();
  appended_bytes_ += charge;
  block.end_offsets_[slot] = appended_bytes_;
  block.bytes_ += charge;
  bytes_ += charge;
  if (event->is_history()) {
    ++block.history_events_;
    ++history_events_;
    history_bytes_ += charge;
  }
  const bool event_is_history = event->is_history();
  block.events_[slot] = std::move(event);
  ++end_seq_;

  // Keep at least retain_bytes: drop the front block only if what remains still holds
  // that much, so a reader lagging by less than retain_bytes never loses an event.
  size_t dropped = 0;
  while (options_.retain_bytes > 0 && blocks_.size() > 1 &&
         bytes_ - blocks_.front()->bytes_ >= options_.retain_bytes) {
    dropped += DropFront(/*archive=*/true);
  }
  // A new line may push the oldest archived ones past the history bounds.
  if (event_is_history) dropped += TrimArchive();
  if (freed != nullptr) *freed = dropped;
  return charge;
}

size_t RoomLog::DropFront(bool archive) {
  const EventBlock& front = *blocks_.front();
  size_t freed = front.bytes_;
  bytes_ -= front.bytes_;
  history_events_ -= front.history_events_;
  const uint64_t block_end = std::min(end_seq_, front.first_seq() + EventBlock::kSize);
  for (uint64_t seq = front.first_seq(); seq < block_end && front.history_events_ > 0; ++seq) {
    const EventPtr& event = front.events_[seq - front.first_seq()];
    if (!event->is_history()) continue;
    history_bytes_ -= event->charge();
    if (!archive || options_.history_lines == 0) continue;
    archive_.push_back(event);
    archive_bytes_ += event->charge();
    freed -= event->charge();
  }
  first_seq_ = front.first_seq() + EventBlock::kSize;
  blocks_.pop_front();  // readers holding the block keep it alive
  return freed + TrimArchive();
}

size_t RoomLog::TrimArchive() {
  size_t freed = 0;
  while (!archive_.empty() &&
         (archive_.size() + history_events_ > options_.history_lines ||
          (options_.history_bytes > 0 &&
           archive_bytes_ + history_bytes_ > options_.history_bytes))) {
    const size_t charge = archive_.front()->charge();
    archive_bytes_ -= charge;
    freed += charge;
    archive_.pop_front();
  }
  return freed;
}

size_t RoomLog::TrimOldest(size_t bytes) {
  size_t freed = 0;
  while (freed < bytes && !archive_.empty()) {
    const size_t charge = archive_.front()->charge();
    archive_bytes_ -= charge;
    freed += charge;
    archive_.pop_front();
  }
  while (freed < bytes && blocks_.size() > 1) freed += DropFront(/*archive=*/false);
  return freed;
}

EventSpan RoomLog::Read(uint64_t from, uint64_t limit, size_t max_events, bool* lost) const {
  *lost = from < first_seq_;
  EventSpan span;
  span.begin = std::max(from, first_seq_);
  span.end = std::min(limit, end_seq_);
  if (span.begin >= span.end) {
    span.end = span.begin;
    return span;
  }
  if (span.end - span.begin > max_events) span.end = span.begin + max_events;
  const size_t first_block = (span.begin - first_seq_) / EventBlock::kSize;
  const size_t last_block = (span.end - 1 - first_seq_) / EventBlock::kSize;
  span.blocks.reserve(last_block - first_block + 1);
  for (size_t i = first_block; i <= last_block; ++i) span.blocks.push_back(blocks_[i]);
  return span;
}

EventSpan RoomLog::ReadHistory(uint64_t from, uint64_t limit, size_t max_events) const {
  if (from >= first_seq_ || archive_.empty() || archive_.back()->seq < from) {
    bool lost = false;
    return Read(from, limit, max_events, &lost);
  }
  EventSpan span;
  span.begin = from;
  span.end = std::min(limit, first_seq_);
  auto it = std::lower_bound(archive_.begin(), archive_.end(), from,
                             [](const EventPtr& event, uint64_t seq) { return event->seq < seq; });
  for (; it != archive_.end() && (*it)->seq < span.end; ++it) {
    if (span.archived.size() == max_events) {
      span.end = (*it)->seq;
      break;
    }
    span.archived.push_back(*it);
  }
  return span;
}

uint64_t RoomLog::HistoryStart() const {
  if (options_.history_lines == 0) return end_seq_;
  uint64_t start = end_seq_;
  size_t lines = 0;
  size_t bytes = 0;
  for (auto block = blocks_.rbegin(); block != blocks_.rend() && lines < options_.history_lines;
       ++block) {
    if ((*block)->history_events_ == 0) continue;
    const uint64_t block_end = std::min(end_seq_, (*block)->first_seq() + EventBlock::kSize);
    for (uint64_t seq = block_end; seq > (*block)->first_seq(); --seq) {
      const Event& event = (*block)->at(seq - 1);
      if (!event.is_history()) continue;
      bytes += event.charge();
      if (options_.history_bytes > 0 && bytes > options_.history_bytes) return start;
      start = seq - 1;
      if (++lines == options_.history_lines) return start;
    }
  }
  for (auto event = archive_.rbegin(); event != archive_.rend(); ++event) {
    bytes += (*event)->charge();
    if (options_.history_bytes > 0 && bytes > options_.history_bytes) return start;
    start = (*event)->seq;
    if (++lines == options_.history_lines) return start;
  }
  return start;
}

uint64_t RoomLog::StartOffset(uint64_t seq) const {
  if (seq >= end_seq_) return appended_bytes_;
  const EventBlock& block = *blocks_[(seq - first_seq_) / EventBlock::kSize];
  const size_t slot = seq - block.first_seq();
  return block.end_offsets_[slot] - block.events_[slot]->charge();
}

uint64_t RoomLog::LagBytes(uint64_t cursor) const {
  if (cursor < first_seq_) return std::numeric_limits<uint64_t>::max();
  return appended_bytes_ - StartOffset(cursor);
}

}  // namespace chat
