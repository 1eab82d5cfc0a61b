// chat/core/room.h: a group chat: who is in it, and its log of what happened.
//
// Defines:
//   HistoryBudget - bytes of room logs held by all rooms together, and the cap on them.
//   Journal       - durable storage of what is said, before anyone can see it.
//   RoomMember    - what the room needs of a member.
//   Waker         - how the room wakes a member's sleeping writer.
//   Membership    - one member's place in one room: its delivery cursor.
//   Sequencer     - puts a room's events in one order shared with other servers.
//   Room          - members plus a RoomLog; Join, Leave, Post, and reading for writers.
//
// The room never touches a socket and never renders bytes. Posting an event is one
// append to the log; each member's writer thread reads the log from its own cursor, and
// only writers that went to sleep waiting for more are woken, after the lock is released.

#ifndef CHAT_CORE_ROOM_H_
#define CHAT_CORE_ROOM_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "chat/core/event.h"
#include "chat/core/room_log.h"

namespace chat {

// HistoryBudget counts the bytes every room's log holds, so the lobby can keep the
// server-wide total under a cap (rooms add and remove; the lobby trims when over).
// Thread-safe (atomics).
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

// Journal stores chat lines and emotes durably. Record() is called with the room locked,
// before the event is in the log, so the journal has every line a client can have seen,
// in the room's order. It must not call back into the room.
class Journal {
 public:
  virtual ~Journal() = default;
  virtual void Record(std::string_view room, const Event& event) = 0;
};

// RoomMember is a member as the room sees it. Called with the room locked: must not
// block and must not call back into the room.
class RoomMember {
 public:
  virtual ~RoomMember() = default;
  // The name shown in member lists.
  virtual std::string DisplayName() const = 0;
  // The name with its status for people reading a member list (/users): "bob (away)".
  virtual std::string ListedName() const { return DisplayName(); }
  // The member's writer is more than the lag limit behind, or has lost events: it
  // should be disconnected as a slow reader.
  virtual void OnFellBehind() = 0;
};

// Waker is what a member's writer sleeps on. Shared, so that a room can wake it after
// releasing its lock even if the member is leaving meanwhile. Thread-safe.
class Waker {
 public:
  virtual ~Waker() = default;
  virtual void Wake() = 0;
};

class Room;

// Sequencer orders a room's events outside this process (chat/cluster: a Redis stream per
// room, shared by every instance). With one, the room never appends its own posts: it
// publishes them, and whatever follows the shared order feeds every event back, in that
// order, through Room::AppendReplicated(). So one post is seen in the same place by every
// member on every instance, and is stored outside before anyone can see it (the Journal
// guarantee). Writers, cursors and renderers do not change. Thread-safe.
class Sequencer {
 public:
  virtual ~Sequencer() = default;
  // Sequencer::Follow() is called once per room, before its first member's join position
  // is taken (not under the room's lock): from then on, the room's events are fed to it,
  // starting with its recent history, which should be in before Follow() returns.
  virtual void Follow(std::weak_ptr<Room> room) = 0;
  // Sequencer::Publish() puts `event` in `room`'s shared order. `wait`: return only once
  // it is stored (true) or certainly not (false). Without `wait` (notices), true means
  // queued. Called without the room's lock.
  virtual bool Publish(const Room& room, const Event& event, bool wait) = 0;
};

// Membership is one member's place in one room, shared by the room (while the member is
// in it) and by the member's writer (while it delivers the room's events). Its cursor,
// `delivered`, is the first event the writer has not yet sent; the room reads it to
// measure lag. After Leave(), `end` is the sequence number the writer delivers up to.
class Membership {
 public:
  Membership(uint64_t member_id, RoomMember* member, std::shared_ptr<Waker> waker,
             size_t lag_limit_bytes, uint64_t delivered)
      : member_id_(member_id),
        member_(member),
        waker_(std::move(waker)),
        lag_limit_bytes_(lag_limit_bytes),
        delivered_(delivered) {}
  Membership(const Membership&) = delete;
  Membership& operator=(const Membership&) = delete;

  // Events whose origin is this id are the member's own and are not shown to it.
  uint64_t member_id() const { return member_id_; }
  uint64_t delivered() const { return delivered_.load(std::memory_order_acquire); }
  // Membership::set_delivered() is the writer's report: everything before `seq` is sent,
  // and `own_bytes` is the charge of the member's own events among them (in the log, but
  // never sent to it). A member's own lines never make it look slow, however late its
  // writer runs while it types.
  void set_delivered(uint64_t seq, uint64_t own_bytes) {
    own_delivered_bytes_.store(own_bytes, std::memory_order_relaxed);
    delivered_.store(seq, std::memory_order_release);
  }

 private:
  friend class Room;
  const uint64_t member_id_;
  RoomMember* const member_;  // valid while in the room's member list
  const std::shared_ptr<Waker> waker_;
  const size_t lag_limit_bytes_;  // 0: only when events are lost
  std::atomic<uint64_t> delivered_;
  std::atomic<uint64_t> own_delivered_bytes_ = 0;
  // The charge of the member's own events appended since it joined; under the room's
  // lock. Minus own_delivered_bytes_, it is the part of the lag that is not owed.
  uint64_t own_appended_bytes_ = 0;
  uint64_t end_ = UINT64_MAX;  // written under the room's lock by Leave()
};

// Where a new member starts reading: history [history_from, live_from) is replayed
// (chat lines and emotes only), then everything from live_from on is delivered live.
// A line posted during the join is in exactly one of the two.
struct JoinPosition {
  std::shared_ptr<Membership> membership;
  uint64_t history_from = 0;
  uint64_t live_from = 0;
};

struct RoomOptions {
  RoomLogOptions log;
  // Members' lag is checked each time this many event bytes have been appended, so a
  // member is told to go at most this much past its own limit. Checking on every post
  // would make a post cost O(members) again.
  size_t lag_check_bytes = 64 * 1024;
  // Notices (joins, leaves, renames) do not wake sleeping writers at once: the lobby
  // wakes them in one sweep (Room::WakeForNotices) every so often. A storm of a thousand
  // joins then costs each writer a wake-up per sweep instead of one per join. Chat lines
  // always wake at once (and carry any notices before them along).
  bool defer_notice_wakes = false;
  // Not owned; must outlive every room. Null: the room orders its own events.
  Sequencer* sequencer = nullptr;
};

// Room is thread-safe.
//
// Example:
//   Room room("general", RoomOptions{});
//   JoinPosition me = room.Join(&member, waker, MakeEvent(Event::Kind::kJoin, now, "alice"));
//   room.Post(MakeEvent(Event::Kind::kChat, now, "alice", "hi", my_id));
//   EventSpan span = room.Read(*me.membership, me.live_from, 256, &lost);  // writer side
//   room.Leave(me.membership, MakeEvent(Event::Kind::kLeave, now, "alice", {}, my_id));
//
// Lifetime: rooms are owned through std::shared_ptr by the Lobby and by whoever follows
// them (a member's session and its writer), so a room the lobby removes stays valid for
// whoever still holds it.
class Room : public std::enable_shared_from_this<Room> {
 public:
  // `journal` and `budget` (optional, not owned) must outlive the room.
  Room(std::string name, RoomOptions options, Journal* journal = nullptr,
       HistoryBudget* budget = nullptr);
  ~Room();
  Room(const Room&) = delete;
  Room& operator=(const Room&) = delete;

  const std::string& name() const { return name_; }

  // Room::Join() adds `member` (woken through `waker`) and posts `notice` (may be null;
  // its origin should be `member_id`, so the member does not see its own join). A member
  // whose writer falls more than `lag_limit_bytes` of events behind is told to go
  // (RoomMember::OnFellBehind); 0: only once it has lost events.
  JoinPosition Join(uint64_t member_id, RoomMember* member, std::shared_ptr<Waker> waker,
                    size_t lag_limit_bytes, std::shared_ptr<Event> notice)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Room::Follow() makes sure the room follows its sequencer and that the shared history
  // is in: the first call asks the sequencer (Sequencer::Follow), later ones wait until
  // that call is done, so no joiner's replay misses the history. No-op without a
  // sequencer. It may wait on the shared store: never call it with the lobby's lock held
  // (Room::Join calls it too, which is then a no-op).
  void Follow() ABSL_LOCKS_EXCLUDED(mu_);
  // The history is in (Follow() finished), or there is no sequencer.
  bool followed() const {
    return options_.sequencer == nullptr || history_in_.HasBeenNotified();
  }

  // Room::Leave() removes the member and posts `notice` (may be null) to those who remain.
  // Returns the sequence number up to which the leaver's writer still delivers.
  // No-op (returns the current end) for a membership that already left.
  uint64_t Leave(const std::shared_ptr<Membership>& membership, std::shared_ptr<Event> notice)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Room::Post() appends `event` and wakes sleeping writers. A chat line or emote is
  // recorded in the journal first (on disk before anyone can see it).
  // `poster`, if given, is the member whose event it is: its own events are not counted
  // towards its lag. With a sequencer, the event is published instead (it comes back
  // through AppendReplicated); false: it could not be, and nobody will see it.
  bool Post(std::shared_ptr<Event> event, Membership* poster = nullptr) ABSL_LOCKS_EXCLUDED(mu_);

  // Room::AppendReplicated() appends events in the sequencer's order and wakes writers
  // (for the sequencer's follower only). An event whose origin is a member here counts
  // as that member's own (see Post's `poster`).
  void AppendReplicated(std::vector<std::shared_ptr<Event>> events) ABSL_LOCKS_EXCLUDED(mu_);

  // Room::WakeForNotices() wakes the writers that sleep through notices posted since the
  // last wake-up (see RoomOptions::defer_notice_wakes).
  void WakeForNotices() ABSL_LOCKS_EXCLUDED(mu_);

  // Room::Restore() appends history read back at start-up: no journal, no wake-ups.
  void Restore(std::vector<std::shared_ptr<Event>> events) ABSL_LOCKS_EXCLUDED(mu_);

  // --- For a member's writer thread.

  // Room::Read() returns up to `max_events` events from `from`, never past where
  // `membership` left. `*lost`: events at `from` are no longer kept.
  EventSpan Read(const Membership& membership, uint64_t from, size_t max_events, bool* lost) const
      ABSL_LOCKS_EXCLUDED(mu_);

  // Room::ReadHistory() reads the replay of a join, [history_from, live_from), at most
  // `max_events` at a time (see RoomLog::ReadHistory). Best effort: lines trimmed
  // meanwhile are skipped.
  EventSpan ReadHistory(uint64_t from, uint64_t to, size_t max_events) const
      ABSL_LOCKS_EXCLUDED(mu_);

  // Room::SleepUnlessReady() returns true if `membership` has events to read at
  // `cursor`; otherwise registers it to be woken by the next post and returns false.
  bool SleepUnlessReady(Membership* membership, uint64_t cursor) ABSL_LOCKS_EXCLUDED(mu_);

  // The sequence number the next event will get.
  uint64_t end_seq() const { return end_seq_.load(std::memory_order_acquire); }
  // end_seq() as a shared counter that keeps the room alive (for stamping output).
  static std::shared_ptr<const std::atomic<uint64_t>> EndSeqOf(const std::shared_ptr<Room>& room);

  // Room::TrimOldest() drops the oldest events until at least `bytes` are freed (whole
  // blocks; the newest is kept). For the server-wide cap. Returns the bytes freed.
  size_t TrimOldest(size_t bytes) ABSL_LOCKS_EXCLUDED(mu_);

  size_t member_count() const ABSL_LOCKS_EXCLUDED(mu_);
  // Display names of the members, sorted.
  std::vector<std::string> MemberNames() const ABSL_LOCKS_EXCLUDED(mu_);
  // The members' ListedName()s, in MemberNames() order.
  std::vector<std::string> MemberListing() const ABSL_LOCKS_EXCLUDED(mu_);
  bool has_history() const ABSL_LOCKS_EXCLUDED(mu_);
  // Bytes the room's log holds.
  size_t log_bytes() const ABSL_LOCKS_EXCLUDED(mu_);
  // The chat lines and emotes a joiner would be replayed now (tests, diagnostics).
  std::vector<EventPtr> History() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // Appends and accounts; collects the writers to wake into `wake` (null: wake nobody).
  void AppendLocked(std::shared_ptr<Event> event, std::vector<std::shared_ptr<Waker>>* wake,
                    Membership* poster = nullptr)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CheckLagLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string name_;
  const RoomOptions options_;
  Journal* const journal_;
  HistoryBudget* const budget_;
  std::atomic<bool> followed_ = false;  // Sequencer::Follow() was called
  absl::Notification history_in_;       // ... and has returned
  std::atomic<uint64_t> end_seq_;  // mirrors log_.end_seq(), readable without the lock

  mutable absl::Mutex mu_;
  RoomLog log_ ABSL_GUARDED_BY(mu_);
  // A vector: iteration (member lists, lag checks) is what it is used for.
  std::vector<std::shared_ptr<Membership>> members_ ABSL_GUARDED_BY(mu_);
  // Replicated events name their poster by member id only.
  absl::flat_hash_map<uint64_t, Membership*> members_by_id_ ABSL_GUARDED_BY(mu_);
  // Writers waiting for the next post.
  absl::flat_hash_set<Membership*> sleepers_ ABSL_GUARDED_BY(mu_);
  // Event bytes appended since members' lag was last checked.
  size_t unchecked_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  // Notices are in the log that sleeping writers have not been woken for.
  bool notices_unwoken_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace chat

#endif  // CHAT_CORE_ROOM_H_
