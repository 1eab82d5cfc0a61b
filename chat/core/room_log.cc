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
  }
  block.events_[slot] = std::move(event);
  ++end_seq_;

  // Keep at least retain_bytes: drop the front block only if what remains still holds
  // that much, so a reader lagging by less than retain_bytes never loses an event.
  size_t dropped = 0;
  while (options_.retain_bytes > 0 && blocks_.size() > 1 &&
         bytes_ - blocks_.front()->bytes_ >= options_.retain_bytes) {
    dropped += DropFront();
  }
  if (freed != nullptr) *freed = dropped;
  return charge;
}

size_t RoomLog::DropFront() {
  const EventBlock& front = *blocks_.front();
  const size_t charge = front.bytes_;
  bytes_ -= charge;
  history_events_ -= front.history_events_;
  first_seq_ = front.first_seq() + EventBlock::kSize;
  blocks_.pop_front();  // readers holding the block keep it alive
  return charge;
}

size_t RoomLog::TrimOldest(size_t bytes) {
  size_t freed = 0;
  while (freed < bytes && blocks_.size() > 1) freed += DropFront();
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
      if (++lines == options_.history_lines) break;
    }
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
