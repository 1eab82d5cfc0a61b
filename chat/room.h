// chat/room.h: a group chat: who is in it, and what has been said.
//
// Defines:
//   Participant - what the room needs of a member: somewhere to queue lines.
//   SpokenLine, Journal - durable storage of what is said, before anyone sees it.
//   HistoryBudget - bytes of history held by all rooms together, and the cap on them.
//   Room        - members plus a history bounded in lines and bytes; Join, Leave, Broadcast.
//
// The room never touches a socket. Deliveries happen inside the room's critical section,
// which is safe only because Participant::Deliver*() never blocks (it queues); in return
// every member sees lines in the same order as the history.

#ifndef CHAT_ROOM_H_
#define CHAT_ROOM_H_

#include <atomic>
#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "chat/outbox.h"

namespace chat {

// Participant is a room member. Implementations must not block and must not call back
// into the Room (absl::Mutex is not reentrant): they are called with the room locked.
class Participant {
 public:
  virtual ~Participant() = default;

  // Participant::DeliverEvent() queues a chat line or notice from someone else.
  virtual void DeliverEvent(const SharedText& line) = 0;

  // Participant::DeliverWelcome() queues the history, oldest first, and whatever must
  // follow it (the input prompt), as one unit: no event can slip in between.
  virtual void DeliverWelcome(const std::vector<SharedText>& history) = 0;

  // The name shown in member lists.
  virtual std::string DisplayName() const = 0;
};

// SpokenLine is what a broadcast line says, before formatting: what a Journal stores.
struct SpokenLine {
  absl::Time time;
  std::string_view name;
  std::string_view text;
  bool emote = false;  // a /me action rather than a chat line
};

// Journal stores broadcast lines durably. Record() is called with the room locked, before
// the line is delivered to anyone, so the journal has every line a client can have seen,
// in the room's order. It must not call back into the room.
class Journal {
 public:
  virtual ~Journal() = default;
  virtual void Record(std::string_view room, const SpokenLine& line) = 0;
};

// HistoryBudget counts the bytes of history every room holds, so the lobby can keep the
// server-wide total under a cap (rooms add and remove; the lobby trims when over). Each
// line is charged its text plus kHistoryLineOverheadBytes. Thread-safe (atomics).
class HistoryBudget {
 public:
  // `max_bytes` 0: no server-wide cap.
  explicit HistoryBudget(size_t max_bytes) : max_bytes_(max_bytes) {}
  HistoryBudget(const HistoryBudget&) = delete;
  HistoryBudget& operator=(const HistoryBudget&) = delete;

  void Add(size_t bytes) { used_.fetch_add(bytes, std::memory_order_relaxed); }
  void Remove(size_t bytes) { used_.fetch_sub(bytes, std::memory_order_relaxed); }
  size_t used() const { return used_.load(std::memory_order_relaxed); }
  size_t max_bytes() const { return max_bytes_; }
  bool over() const { return max_bytes_ > 0 && used() > max_bytes_; }

 private:
  const size_t max_bytes_;
  std::atomic<size_t> used_ = 0;
};

// What one room's history may hold: the newest `max_lines` lines, and no more than
// `max_bytes` bytes of them (each line charged as in HistoryBudget). 0 bytes: no byte
// bound; 0 lines: no history at all.
struct HistoryLimits {
  size_t max_lines = 10000;
  size_t max_bytes = size_t{1} << 20;
};

// Memory a history line costs beyond its text: the shared string's control block and
// the deque slot. Counting it means a flood of one-byte lines is bounded too.
inline constexpr size_t kHistoryLineOverheadBytes = 64;

// Room holds its members (not owned: a member must Leave() before it is destroyed) and
// the newest chat lines, bounded by HistoryLimits and the shared HistoryBudget.
// Thread-safe.
//
// Lifetime: rooms are owned through std::shared_ptr by the Lobby and by each member's
// session, so a room the lobby removes stays valid for whoever still holds it.
//
// Example:
//   Room room("general", HistoryLimits{});
//   room.Join(&me, MakeShared(FormatJoinNotice("alice")));
//   room.Broadcast(&me, MakeShared(FormatChatLine(...)));
//   room.Leave(&me, MakeShared(FormatLeaveNotice("alice")));
class Room {
 public:
  // `journal` and `budget` (optional, not owned) must outlive the room.
  Room(std::string name, HistoryLimits limits, Journal* journal = nullptr,
       HistoryBudget* budget = nullptr);
  // A room whose history is bounded in lines only (tests).
  Room(std::string name, size_t history_lines, Journal* journal = nullptr)
      : Room(std::move(name), HistoryLimits{history_lines, 0}, journal) {}
  ~Room();
  Room(const Room&) = delete;
  Room& operator=(const Room&) = delete;

  const std::string& name() const { return name_; }

  // Room::Join() adds `member`, replays the history to it, and sends `notice` to everyone
  // else, in one critical section: a line said meanwhile is either in the replayed
  // history or delivered live, never both, never neither.
  void Join(Participant* member, const SharedText& notice) ABSL_LOCKS_EXCLUDED(mu_);

  // Room::Leave() removes `member` and sends `notice` to those who remain. After it
  // returns the room no longer refers to `member`. No-op for a non-member.
  void Leave(Participant* member, const SharedText& notice) ABSL_LOCKS_EXCLUDED(mu_);

  // Room::Broadcast() records `line` in the history and delivers it to every member
  // except `sender`. With a journal, `spoken` (the same line unformatted) is recorded in
  // it first.
  void Broadcast(const Participant* sender, const SharedText& line,
                 const SpokenLine* spoken = nullptr) ABSL_LOCKS_EXCLUDED(mu_);

  // Room::Restore() appends `lines` (oldest first) to the history without delivering or
  // journaling them: history read back from disk at start-up.
  void Restore(const std::vector<SharedText>& lines) ABSL_LOCKS_EXCLUDED(mu_);

  // Room::Announce() delivers `line` to every member except `sender` without recording
  // it in the history (a notice such as a rename).
  void Announce(const Participant* sender, const SharedText& line) ABSL_LOCKS_EXCLUDED(mu_);

  // Room::TrimOldest() drops the oldest history lines until at least `bytes` have been
  // freed or the history is empty; returns the bytes freed. For the server-wide cap.
  size_t TrimOldest(size_t bytes) ABSL_LOCKS_EXCLUDED(mu_);

  size_t member_count() const ABSL_LOCKS_EXCLUDED(mu_);
  // Bytes of history held, charged as in HistoryBudget.
  size_t history_bytes() const ABSL_LOCKS_EXCLUDED(mu_);
  // Display names of the members, sorted.
  std::vector<std::string> MemberNames() const ABSL_LOCKS_EXCLUDED(mu_);
  bool has_history() const ABSL_LOCKS_EXCLUDED(mu_);
  std::vector<SharedText> History() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void DeliverToOthersLocked(const Participant* except, const SharedText& line)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AddToHistoryLocked(const SharedText& line) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  size_t PopOldestLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string name_;
  const HistoryLimits limits_;
  Journal* const journal_;
  HistoryBudget* const budget_;

  mutable absl::Mutex mu_;
  // A vector: rooms are small (the server caps clients), and iteration is the hot path.
  std::vector<Participant*> members_ ABSL_GUARDED_BY(mu_);
  std::deque<SharedText> history_ ABSL_GUARDED_BY(mu_);
  size_t history_bytes_ ABSL_GUARDED_BY(mu_) = 0;
};

// The bytes a history line is charged (see HistoryBudget).
inline size_t HistoryCharge(const std::string& line) {
  return line.size() + kHistoryLineOverheadBytes;
}

}  // namespace chat

#endif  // CHAT_ROOM_H_
