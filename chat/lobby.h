// chat/lobby.h: the set of rooms.
//
// Defines:
//   LobbyOptions - how many rooms, how much history, when unused rooms expire.
//   JoinRefusal  - why a join that would create a room was refused.
//   Lobby        - creates rooms on first join, lists them, removes the ones nobody needs.

#ifndef CHAT_LOBBY_H_
#define CHAT_LOBBY_H_

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "chat/clock.h"
#include "chat/outbox.h"
#include "chat/room.h"

namespace chat {

struct LobbyOptions {
  HistoryLimits history;
  // Bytes of history all rooms together may hold; 0: no server-wide cap.
  size_t max_history_bytes = size_t{64} << 20;
  // Rooms that may exist at once, the default room included (at least 1).
  size_t max_rooms = 100;
  // A room nobody has been in for this long is removed with its in-memory history.
  // Zero: rooms with history never expire.
  absl::Duration room_expiry = absl::Hours(24);
  // Rooms one creator (a source address) may have created that still exist. 0: no cap.
  size_t max_rooms_per_creator = 5;
};

enum class JoinRefusal {
  kNone,
  kTooManyRooms,      // max_rooms exist
  kTooManyOfYours,    // the creator already made max_rooms_per_creator of them
};

// Lobby owns every Room, through std::shared_ptr: a member's session holds its room too,
// so removing a room from the lobby never frees it under someone still using it.
// Everyone starts in kDefaultRoom, which always exists. Other rooms are created by the
// first Join() and removed when their last member leaves if they have no history, or
// once nobody has been in them for `room_expiry` (checked whenever a room would be
// created or the rooms are listed). At most `max_rooms` exist, and one creator may hold
// at most `max_rooms_per_creator` of them, so nobody can use up the rooms for everyone.
//
// Room names are unique by their given spelling. Thread-safe.
//
// Lock order: Lobby::mu_, then Room::mu_, then Outbox's.
class Lobby {
 public:
  static constexpr char kDefaultRoom[] = "general";

  // `clock` and `journal` (optional) are not owned and must outlive the lobby.
  Lobby(LobbyOptions options, const Clock& clock, Journal* journal = nullptr);
  // History bounded in lines only, no expiry (tests).
  Lobby(size_t history_limit, size_t max_rooms, Journal* journal = nullptr);
  Lobby(const Lobby&) = delete;
  Lobby& operator=(const Lobby&) = delete;

  // Lobby::Join() adds `member` to room `name` (see Room::Join), creating the room if
  // needed, on behalf of `creator` (a source address; empty: not counted). Returns the
  // room, or nullptr with `*refusal` (if given) saying why it could not be created.
  std::shared_ptr<Room> Join(const std::string& name, Participant* member,
                             const SharedText& notice, std::string_view creator = {},
                             JoinRefusal* refusal = nullptr) ABSL_LOCKS_EXCLUDED(mu_);

  // Lobby::Move() takes `member` from `from` to room `to_name` in one step (leave notice
  // in the old room, join notice and history in the new one), so no event of the old
  // room can arrive after the new room's welcome. Returns the new room, or nullptr (and
  // nothing changes) if it could not be created. `from` may be removed from the lobby by
  // the move; the caller's reference keeps it alive until dropped.
  std::shared_ptr<Room> Move(const std::shared_ptr<Room>& from, const std::string& to_name,
                             Participant* member, const SharedText& leave_notice,
                             const SharedText& join_notice, std::string_view creator = {},
                             JoinRefusal* refusal = nullptr) ABSL_LOCKS_EXCLUDED(mu_);

  // Lobby::Leave() removes `member` from `room` (see Room::Leave), and the room itself
  // if it is now empty, has no history and is not the default room.
  void Leave(const std::shared_ptr<Room>& room, Participant* member, const SharedText& notice)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Lobby::List() returns (room name, member count), sorted by name, after removing
  // expired rooms.
  std::vector<std::pair<std::string, size_t>> List() ABSL_LOCKS_EXCLUDED(mu_);

  // Lobby::Find() returns a room by name, or nullptr.
  std::shared_ptr<Room> Find(const std::string& name) const ABSL_LOCKS_EXCLUDED(mu_);

  // Lobby::FindOrCreate() is Find() that creates the room (ignoring the limits), for
  // restoring history at start-up.
  std::shared_ptr<Room> FindOrCreate(const std::string& name) ABSL_LOCKS_EXCLUDED(mu_);

  // Lobby::EnforceHistoryBudget() trims the oldest lines of the rooms with the most
  // history until all rooms together are within max_history_bytes. Cheap when they are:
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
  };

  std::shared_ptr<Room> FindOrCreateLocked(const std::string& name, std::string_view creator,
                                           bool enforce_limits, JoinRefusal* refusal)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void LeaveLocked(const std::shared_ptr<Room>& room, Participant* member,
                   const SharedText& notice) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Removes rooms that are empty and either have no history or have expired.
  void RemoveUnusedLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool Removable(const Entry& entry, absl::Time now) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const LobbyOptions options_;
  const Clock& clock_;
  Journal* const journal_;
  HistoryBudget budget_;
  mutable absl::Mutex mu_;
  std::map<std::string, Entry> rooms_ ABSL_GUARDED_BY(mu_);
  Room* default_room_;  // owned by rooms_, never removed
};

}  // namespace chat

#endif  // CHAT_LOBBY_H_
