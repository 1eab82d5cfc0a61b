// chat/core/lobby.h: the set of rooms.
//
// Defines:
//   LobbyOptions - how many rooms, how much history, when unused rooms expire.
//   JoinRefusal  - why a join that would create a room was refused.
//   Lobby        - creates rooms on first join, lists them, removes the ones nobody needs.

#ifndef CHAT_CORE_LOBBY_H_
#define CHAT_CORE_LOBBY_H_

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "chat/clock.h"
#include "chat/core/room.h"

namespace chat {

struct LobbyOptions {
  // What each room keeps and replays, and how far a reader may lag.
  RoomOptions room;
  // Bytes of room logs all rooms together may hold; 0: no server-wide cap.
  size_t max_history_bytes = size_t{64} << 20;
  // Rooms that may exist at once, the default room included (at least 1).
  size_t max_rooms = 100;
  // A room nobody has been in for this long is removed with its in-memory history.
  // Zero: rooms with history never expire.
  absl::Duration room_expiry = absl::Hours(24);
  // Rooms one creator (a source address) may have created that still exist. 0: no cap.
  size_t max_rooms_per_creator = 5;
  // How often writers sleeping through notices are woken (RoomOptions::
  // defer_notice_wakes): a join or leave reaches people at most this late. Zero: notices
  // wake writers at once, like chat lines.
  absl::Duration notice_wake_interval = absl::Milliseconds(20);
};

enum class JoinRefusal {
  kNone,
  kTooManyRooms,      // max_rooms exist
  kTooManyOfYours,    // the creator already made max_rooms_per_creator of them
  kCreatingTooFast,   // the joiner's creation_wait said to wait (RoomEntry::retry_after)
};

// Where a member is after Lobby::Join() or Lobby::Move(): the room (null if it could not
// be created), where to start reading it, and (Move) where to stop reading the old one.
struct RoomEntry {
  std::shared_ptr<Room> room;
  JoinPosition position;
  uint64_t left_at = 0;  // Move(): the old room's events before this are still delivered
  absl::Duration retry_after;  // kCreatingTooFast: when creating would be allowed
};

// Who is joining, for Lobby::Join() and Lobby::Move().
struct Joiner {
  uint64_t id = 0;
  RoomMember* member = nullptr;
  std::shared_ptr<Waker> waker;
  // How far behind the member's writer may fall (see Room::Join).
  size_t lag_limit_bytes = 0;
  // A source address, counted against max_rooms_per_creator; empty: not counted.
  std::string_view creator;
  // Asked (with the lobby locked) only when the join would create a room: zero to go
  // ahead, else how long the joiner must wait (a rate limit). Empty: always go ahead.
  std::function<absl::Duration()> creation_wait;
};

// Lobby owns every Room, through std::shared_ptr: a member's session holds its room too,
// so removing a room from the lobby never frees it under someone still using it.
// Everyone starts in kDefaultRoom, which always exists. Other rooms are created by the
// first Join() and removed when their last member leaves if they have no history, or
// once nobody has been in them for `room_expiry` (checked whenever a room would be
// created or the rooms are listed). At most `max_rooms` exist, and one creator may hold
// at most `max_rooms_per_creator` of them, so nobody can use up the rooms for everyone.
//
// Room names are compared by NameKey() (chat/name.h): `/join DEV` or a look-alike
// spelling enters `dev`, which keeps the spelling it was created with. Thread-safe.
//
// Lock order: Lobby::mu_, then Room::mu_, then Outbox's. A room's first join loads its
// shared history (Room::Follow) with neither held.
class Lobby {
 public:
  static constexpr char kDefaultRoom[] = "general";

  // `clock` and `journal` (optional) are not owned and must outlive the lobby.
  Lobby(LobbyOptions options, const Clock& clock, Journal* journal = nullptr);
  // History bounded in lines only, no expiry (tests).
  Lobby(size_t history_limit, size_t max_rooms, Journal* journal = nullptr);
  Lobby(const Lobby&) = delete;
  Lobby& operator=(const Lobby&) = delete;

  // Lobby::Join() adds `joiner` to room `name` (see Room::Join), creating the room if
  // needed. On refusal the entry's room is null and `*refusal` (if given) says why.
  RoomEntry Join(const std::string& name, const Joiner& joiner, std::shared_ptr<Event> notice,
                 JoinRefusal* refusal = nullptr) ABSL_LOCKS_EXCLUDED(mu_);

  // Lobby::Move() takes `joiner` out of `from` (membership `from_membership`) into room
  // `to_name` in one step: leave notice in the old room, join notice in the new one.
  // On refusal nothing changes. `from` may be removed from the lobby by the move; the
  // caller's reference keeps it alive until dropped. If `to_name` is `from`, returns
  // `from` with a null position.
  RoomEntry Move(const std::shared_ptr<Room>& from,
                 const std::shared_ptr<Membership>& from_membership, const std::string& to_name,
                 const Joiner& joiner, std::shared_ptr<Event> leave_notice,
                 std::shared_ptr<Event> join_notice, JoinRefusal* refusal = nullptr)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Lobby::Leave() removes the member from `room` (see Room::Leave), and the room itself
  // if it is now empty, has no history and is not the default room. Returns where the
  // leaver's writer stops reading.
  uint64_t Leave(const std::shared_ptr<Room>& room, const std::shared_ptr<Membership>& membership,
                 std::shared_ptr<Event> notice) ABSL_LOCKS_EXCLUDED(mu_);

  // Lobby::List() returns (room name, member count), sorted by name, after removing
  // expired rooms.
  std::vector<std::pair<std::string, size_t>> List() ABSL_LOCKS_EXCLUDED(mu_);

  // Lobby::Find() returns a room by name, or nullptr.
  std::shared_ptr<Room> Find(const std::string& name) const ABSL_LOCKS_EXCLUDED(mu_);

  // Lobby::FindOrCreate() is Find() that creates the room while there are fewer than
  // max_rooms (nullptr once full), for restoring history at start-up: a history file
  // must not bring back more rooms than the server would let people create. The
  // per-address limits do not apply (nobody created these rooms in this run).
  std::shared_ptr<Room> FindOrCreate(const std::string& name) ABSL_LOCKS_EXCLUDED(mu_);

  // Lobby::EnforceHistoryBudget() trims the oldest events of the rooms with the largest
  // logs until all rooms together are within max_history_bytes (a reader still behind
  // the trimmed events is then disconnected as a slow reader). Cheap when they are:
  // call it after every broadcast (never with a room's lock held).
  void EnforceHistoryBudget() ABSL_LOCKS_EXCLUDED(mu_);

  Room& default_room() { return *default_room_; }
  size_t max_rooms() const { return options_.max_rooms; }
  const LobbyOptions& options() const { return options_; }
  const HistoryBudget& history_budget() const { return budget_; }

 private:
  struct Entry {
    std::shared_ptr<Room> room;
    std::string creator;   // source address that created it; empty for built-in rooms
    absl::Time emptied_at;  // when it was created or last became empty
    // Joins waiting, without the lobby's lock, for the room's shared history
    // (AwaitHistoryLocked); the room is not removed meanwhile, though it is empty.
    size_t joining = 0;
  };

  // `joiner` null: ignore the limits (restoring history, the default room).
  std::shared_ptr<Room> FindOrCreateLocked(const std::string& name, const Joiner* joiner,
                                           JoinRefusal* refusal, absl::Duration* retry_after)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Returns once `room` (just found or created, so in rooms_) has its shared history in,
  // as a join into it needs (Room::Follow). Loading it may wait on Redis, so the lobby's
  // lock is released meanwhile: /rooms and joins elsewhere go on. Returns with it held.
  void AwaitHistoryLocked(const std::shared_ptr<Room>& room) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  uint64_t LeaveLocked(const std::shared_ptr<Room>& room,
                       const std::shared_ptr<Membership>& membership,
                       std::shared_ptr<Event> notice) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Removes rooms that are empty and either have no history or have expired.
  void RemoveUnusedLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool Removable(const Entry& entry, absl::Time now) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Wakes writers for deferred notices every notice_wake_interval until stopped.
  void SweepNotices(std::stop_token stop) ABSL_LOCKS_EXCLUDED(mu_);

  const LobbyOptions options_;
  const Clock& clock_;
  Journal* const journal_;
  HistoryBudget budget_;
  mutable absl::Mutex mu_;
  std::map<std::string, Entry> rooms_ ABSL_GUARDED_BY(mu_);  // by NameKey(room name)
  Room* default_room_;  // owned by rooms_, never removed
  // Declared last: stopped and joined first, while the rooms still exist.
  std::jthread notice_sweeper_;
};

}  // namespace chat

#endif  // CHAT_CORE_LOBBY_H_
