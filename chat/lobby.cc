#include "chat/lobby.h"

#include <algorithm>

#include "chat/name.h"

namespace chat {

Lobby::Lobby(size_t history_limit, size_t max_rooms, Journal* journal)
    : history_limit_(history_limit), max_rooms_(max_rooms < 1 ? 1 : max_rooms), journal_(journal) {
  absl::MutexLock lock(&mu_);
  default_room_ = FindOrCreateLocked(kDefaultRoom, /*enforce_limit=*/false);
}

Room* Lobby::FindOrCreateLocked(const std::string& name, bool enforce_limit) {
  std::string key = NameKey(name);
  auto it = rooms_.find(key);
  if (it != rooms_.end()) return it->second.get();
  if (enforce_limit && rooms_.size() >= max_rooms_) return nullptr;
  auto room = std::make_unique<Room>(name, history_limit_, journal_);
  Room* raw = room.get();
  rooms_.emplace(std::move(key), std::move(room));
  return raw;
}

Room* Lobby::Join(const std::string& name, Participant* member, const SharedText& notice) {
  absl::MutexLock lock(&mu_);
  Room* room = FindOrCreateLocked(name, /*enforce_limit=*/true);
  if (room != nullptr) room->Join(member, notice);
  return room;
}

Room* Lobby::Move(Room* from, const std::string& to_name, Participant* member,
                  const SharedText& leave_notice, const SharedText& join_notice) {
  absl::MutexLock lock(&mu_);
  Room* to = FindOrCreateLocked(to_name, /*enforce_limit=*/true);
  if (to == nullptr || to == from) return to;
  LeaveLocked(from, member, leave_notice);
  to->Join(member, join_notice);
  return to;
}

void Lobby::Leave(Room* room, Participant* member, const SharedText& notice) {
  absl::MutexLock lock(&mu_);
  LeaveLocked(room, member, notice);
}

void Lobby::LeaveLocked(Room* room, Participant* member, const SharedText& notice) {
  room->Leave(member, notice);
  if (room != default_room_ && room->member_count() == 0 && !room->has_history()) {
    rooms_.erase(NameKey(room->name()));
  }
}

std::vector<std::pair<std::string, size_t>> Lobby::List() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::pair<std::string, size_t>> rooms;
  rooms.reserve(rooms_.size());
  for (const auto& [key, room] : rooms_) rooms.emplace_back(room->name(), room->member_count());
  std::sort(rooms.begin(), rooms.end());
  return rooms;
}

Room* Lobby::Find(const std::string& name) const {
  absl::MutexLock lock(&mu_);
  const auto it = rooms_.find(NameKey(name));
  return it == rooms_.end() ? nullptr : it->second.get();
}

Room* Lobby::FindOrCreate(const std::string& name) {
  absl::MutexLock lock(&mu_);
  return FindOrCreateLocked(name, /*enforce_limit=*/false);
}

}  // namespace chat
