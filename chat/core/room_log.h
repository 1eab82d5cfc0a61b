// chat/core/room_log.h: a room's bounded, append-only log of events.
//
// Defines:
//   RoomLogOptions - how much the log keeps and how much of it is replayed.
//   EventBlock     - a fixed run of published events, shared with readers.
//   EventSpan      - events a reader may walk without the room's lock.
//   RoomLog        - the log: append, read from a cursor, history start, lag.

#ifndef CHAT_CORE_ROOM_LOG_H_
#define CHAT_CORE_ROOM_LOG_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "chat/core/event.h"

namespace chat {

struct RoomLogOptions {
  // Event bytes (Event::charge()) of every kind kept for readers that lag; the oldest
  // events drop off beyond it, a block at a time. 0: keep everything (tests only).
  size_t retain_bytes = size_t{1} << 20;
  // A late joiner is replayed the newest `history_lines` chat lines and emotes, and no
  // more than `history_bytes` of them (0: no byte bound beyond the line count). Lines
  // that drop off the log are kept apart within these bounds, so joins, leaves and
  // renames (a /join-hopping client makes two per hop) never push history out.
  size_t history_lines = 10000;
  size_t history_bytes = size_t{1} << 20;
};

// EventBlock holds kSize consecutive events. Slots are written once, by the log, under
// the room's lock, before the log's end moves past them; a reader that learned the end
// under that lock may then read those slots without it, while the log keeps filling
// later slots. Sharing a block rather than each event keeps reference-count traffic
// (and cache-line contention between a thousand writer threads) to one per block.
class EventBlock {
 public:
  static constexpr size_t kSize = 64;

  explicit EventBlock(uint64_t first_seq) : first_seq_(first_seq) {}
  uint64_t first_seq() const { return first_seq_; }
  const Event& at(uint64_t seq) const { return *events_[seq - first_seq_]; }

 private:
  friend class RoomLog;
  const uint64_t first_seq_;
  std::array<EventPtr, kSize> events_;
  // Where each event ends in the log's running byte count (for lag in bytes).
  std::array<uint64_t, kSize> end_offsets_{};
  size_t bytes_ = 0;          // charges of the events in this block
  size_t history_events_ = 0;  // how many are chat lines or emotes
};

// EventSpan is events [begin, end) of one log, kept alive by their blocks; a history read
// may start with archived lines (older than every block, with gaps where notices were).
struct EventSpan {
  std::vector<EventPtr> archived;
  std::vector<std::shared_ptr<const EventBlock>> blocks;
  uint64_t begin = 0;
  uint64_t end = 0;

  bool empty() const { return begin == end; }
  // Calls f(const Event&) for each event, oldest first.
  template <typename F>
  void ForEach(F&& f) const {
    for (const EventPtr& event : archived) f(*event);
    uint64_t seq = begin;
    for (const auto& block : blocks) {
      const uint64_t block_end = block->first_seq() + EventBlock::kSize;
      for (; seq < end && seq < block_end; ++seq) f(block->at(seq));
    }
  }
};

// RoomLog is the room's memory: events get consecutive sequence numbers from 1, and
// readers (each client's writer thread) follow it with their own cursor, the sequence
// number of the next event they want. Not thread-safe: the Room's mutex guards it.
class RoomLog {
 public:
  explicit RoomLog(RoomLogOptions options) : options_(options) {}
  RoomLog(const RoomLog&) = delete;
  RoomLog& operator=(const RoomLog&) = delete;

  // RoomLog::Append() sets event->seq, publishes the event, and drops the oldest blocks
  // the retention bound no longer needs. Returns the charge added; `*freed` (if given)
  // gets the charge dropped.
  size_t Append(std::shared_ptr<Event> event, size_t* freed = nullptr);

  // The retained events are [first_seq(), end_seq()); a cursor equal to end_seq() is
  // up to date.
  uint64_t first_seq() const { return first_seq_; }
  uint64_t end_seq() const { return end_seq_; }

  // RoomLog::Read() returns events [max(from, first_seq()), min(limit, end_seq())), at
  // most `max_events` of them. `*lost` is set when `from` is older than anything kept:
  // the reader missed events.
  EventSpan Read(uint64_t from, uint64_t limit, size_t max_events, bool* lost) const;

  // RoomLog::ReadHistory() is Read() for a replay: events before first_seq() come from
  // the archived chat lines and emotes, at most `max_events` of them per call, and the
  // span then ends where the blocks begin.
  EventSpan ReadHistory(uint64_t from, uint64_t limit, size_t max_events) const;

  // RoomLog::HistoryStart() is where a joiner's replay starts: the oldest of the newest
  // history_lines chat lines and emotes that fit in history_bytes. end_seq() if none.
  uint64_t HistoryStart() const;

  // RoomLog::LagBytes() is how many event bytes were appended at or after `cursor`;
  // UINT64_MAX if the events at `cursor` are no longer kept.
  uint64_t LagBytes(uint64_t cursor) const;

  // RoomLog::TrimOldest() drops archived lines, then whole blocks from the front, until at
  // least `bytes` are freed or only the newest block is left. Returns the charge freed.
  size_t TrimOldest(size_t bytes);

  // Everything kept: the blocks and the archive.
  size_t bytes() const { return bytes_ + archive_bytes_; }
  bool has_history() const { return history_events_ > 0 || !archive_.empty(); }

 private:
  // Drops the oldest block; with `archive`, its chat lines and emotes move to the
  // archive. Returns the charge freed.
  size_t DropFront(bool archive);
  // Drops archived lines beyond the history bounds; returns the charge freed.
  size_t TrimArchive();
  uint64_t StartOffset(uint64_t seq) const;  // running byte count before `seq`

  const RoomLogOptions options_;
  std::deque<std::shared_ptr<EventBlock>> blocks_;
  uint64_t first_seq_ = 1;
  uint64_t end_seq_ = 1;
  uint64_t appended_bytes_ = 0;  // running total of every charge ever appended
  size_t bytes_ = 0;             // charges of the events in blocks
  size_t history_events_ = 0;    // chat lines and emotes in blocks
  size_t history_bytes_ = 0;     // and their charges
  // Chat lines and emotes older than first_seq_, oldest first, within the history bounds.
  std::deque<EventPtr> archive_;
  size_t archive_bytes_ = 0;
};

}  // namespace chat

#endif  // CHAT_CORE_ROOM_LOG_H_
