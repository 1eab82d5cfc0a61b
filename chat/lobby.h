// chat/lobby.h: the set of rooms.
//
// Defines:
//   Lobby - creates rooms on first join, lists them, removes the ones nobody needs.

#ifndef CHAT_LOBBY_H_
#define CHAT_LOBBY_H_

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "chat/outbox.h"
#include "chat/room.h"

namespace chat {

// Lobby owns every Room. Everyone starts in kDefaultRoom, which always exists. Other rooms
// are created by the first Join() and removed when their last member leaves if they have
// no history (a room with history stays, so it can be rejoined and replayed). At most
// `max_rooms` exist, so nobody can exhaust memory by inventing room names. Room names
// are compared by NameKey() (chat/name.h): `/join DEV` or a look-alike spelling enters
// `dev`, which keeps the spelling it was created with.
//
// Joining and leaving go through the lobby (its lock, then the room's), so a room is
// never removed while someone is joining it. Broadcasting goes straight to the Room: a
// member's Room* stays valid while it is a member. Thread-safe.
//
// Lock order: Lobby::mu_, then Room::mu_, then Outbox's.
class Lobby {
 public:
  static constexpr char kDefaultRoom[] = "general";

  // `journal` (optional, not owned) is given to every room; it must outlive the lobby.
  Lobby(size_t history_limit, size_t max_rooms, Journal* journal = nullptr);
  Lobby(const Lobby&) = delete;
  Lobby& operator=(const Lobby&) = delete;

  // Lobby::Join() adds `member` to room `name` (see Room::Join), creating the room if
  // needed. Returns the room, or nullptr if it would be a new room beyond max_rooms.
  Room* Join(const std::string& name, Participant* member, const SharedText& notice)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Lobby::Move() takes `member` from `from` to room `to_name` in one step (leave notice
  // in the old room, join notice and history in the new one), so no event of the old
  // room can arrive after the new room's welcome. Returns the new room, or nullptr (and
  // nothing changes) if it would be a new room beyond max_rooms.
  Room* Move(Room* from, const std::string& to_name, Participant* member,
             const SharedText& leave_notice, const SharedText& join_notice)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Lobby::Leave() removes `member` from `room` (see Room::Leave), and the room itself
  // if it is now empty, has no history and is not the default room.
  void Leave(Room* room, Participant* member, const SharedText& notice) ABSL_LOCKS_EXCLUDED(mu_);

  // Lobby::List() returns (room name, member count), sorted by name.
  std::vector<std::pair<std::string, size_t>> List() const ABSL_LOCKS_EXCLUDED(mu_);

  // Lobby::Find() returns a room by name (compared by NameKey), or nullptr. For tests and restoring history;
  // the pointer is valid while the room cannot be removed (it has members or history).
  Room* Find(const std::string& name) const ABSL_LOCKS_EXCLUDED(mu_);

  // Lobby::FindOrCreate() is Find() that creates the room (ignoring max_rooms), for
  // restoring history at start-up.
  Room* FindOrCreate(const std::string& name) ABSL_LOCKS_EXCLUDED(mu_);

  Room& default_room() { return *default_room_; }
  size_t max_rooms() const { return max_rooms_; }

 private:
  Room* FindOrCreateLocked(const std::string& name, bool enforce_limit)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void LeaveLocked(Room* room, Participant* member, const SharedText& notice)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t history_limit_;
  const size_t max_rooms_;
  Journal* const journal_;
  mutable absl::Mutex mu_;
  // Keyed by NameKey(room name).
  std::map<std::string, std::unique_ptr<Room>> rooms_ ABSL_GUARDED_BY(mu_);
  Room* default_room_;  // owned by rooms_, never removed
};

}  // namespace chat

#endif  // CHAT_LOBBY_H_
