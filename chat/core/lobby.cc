#include "chat/core/lobby.h"

#include <algorithm>
#include <stop_token>

#include "absl/synchronization/notification.h"

#include "chat/name.h"

namespace chat {
namespace {

LobbyOptions LinesOnly(size_t history_limit, size_t max_rooms) {
  LobbyOptions options;
  options.room.log = RoomLogOptions{0, history_limit, 0};
  options.max_history_bytes = 0;
  options.max_rooms = max_rooms;
  options.room_expiry = absl::ZeroDuration();
  options.max_rooms_per_creator = 0;
  options.notice_wake_interval = absl::ZeroDuration();
  return options;
}

}  // namespace

Lobby::Lobby(LobbyOptions options, const Clock& clock, Journal* journal)
    : options_([&] {
        options.max_rooms = std::max<size_t>(options.max_rooms, 1);
        options.room.defer_notice_wakes = options.notice_wake_interval > absl::ZeroDuration();
        return options;
      }()),
      clock_(clock),
      journal_(journal),
      budget_(options_.max_history_bytes) {
  absl::MutexLock lock(&mu_);
  default_room_ = FindOrCreateLocked(kDefaultRoom, nullptr, nullptr, nullptr).get();
  if (options_.room.defer_notice_wakes) {
    notice_sweeper_ = std::jthread([this](std::stop_token stop) { SweepNotices(stop); });
  }
}

void Lobby::SweepNotices(std::stop_token stop) {
  absl::Notification stopped;
  std::stop_callback on_stop(stop, [&stopped] { stopped.Notify(); });
  std::vector<std::shared_ptr<Room>> rooms;
  while (!stopped.WaitForNotificationWithTimeout(options_.notice_wake_interval)) {
    rooms.clear();
    {
      absl::MutexLock lock(&mu_);
      for (const auto& [key, entry] : rooms_) rooms.push_back(entry.room);
    }
    for (const auto& room : rooms) room->WakeForNotices();  // outside the lobby's lock
  }
}

Lobby::Lobby(size_t history_limit, size_t max_rooms, Journal* journal)
    : Lobby(LinesOnly(history_limit, max_rooms), RealClock::Default(), journal) {}

std::shared_ptr<Room> Lobby::FindOrCreateLocked(const std::string& name, const Joiner* joiner,
                                                JoinRefusal* refusal, absl::Duration* retry_after) {
  std::string key = NameKey(name);
  auto it = rooms_.find(key);
  if (it != rooms_.end()) return it->second.room;
  std::string_view creator;
  if (joiner != nullptr) {
    creator = joiner->creator;
    RemoveUnusedLocked();  // expired rooms make way
    JoinRefusal why = JoinRefusal::kNone;
    if (rooms_.size() >= options_.max_rooms) {
      why = JoinRefusal::kTooManyRooms;
    } else if (options_.max_rooms_per_creator > 0 && !creator.empty() &&
               static_cast<size_t>(std::count_if(rooms_.begin(), rooms_.end(), [&](const auto& r) {
                 return r.second.creator == creator;
               })) >= options_.max_rooms_per_creator) {
      why = JoinRefusal::kTooManyOfYours;
    } else if (joiner->creation_wait) {
      // Last, so a token is spent only on a creation that then happens.
      const absl::Duration wait = joiner->creation_wait();
      if (wait > absl::ZeroDuration()) {
        why = JoinRefusal::kCreatingTooFast;
        if (retry_after != nullptr) *retry_after = wait;
      }
    }
    if (why != JoinRefusal::kNone) {
      if (refusal != nullptr) *refusal = why;
      return nullptr;
    }
  }
  auto room = std::make_shared<Room>(name, options_.room, journal_, &budget_);
  rooms_.emplace(std::move(key), Entry{room, std::string(creator), clock_.Now()});
  return room;
}

RoomEntry Lobby::Join(const std::string& name, const Joiner& joiner,
                      std::shared_ptr<Event> notice, JoinRefusal* refusal) {
  absl::MutexLock lock(&mu_);
  RoomEntry entry;
  entry.room = FindOrCreateLocked(name, &joiner, refusal, &entry.retry_after);
  if (entry.room != nullptr) {
    AwaitHistoryLocked(entry.room);
    entry.position = entry.room->Join(joiner.id, joiner.member, joiner.waker, joiner.lag_limit_bytes,
                                      std::move(notice));
  }
  return entry;
}

RoomEntry Lobby::Move(const std::shared_ptr<Room>& from,
                      const std::shared_ptr<Membership>& from_membership,
                      const std::string& to_name, const Joiner& joiner,
                      std::shared_ptr<Event> leave_notice, std::shared_ptr<Event> join_notice,
                      JoinRefusal* refusal) {
  absl::MutexLock lock(&mu_);
  RoomEntry entry;
  entry.room = FindOrCreateLocked(to_name, &joiner, refusal, &entry.retry_after);
  if (entry.room == nullptr || entry.room == from) return entry;
  AwaitHistoryLocked(entry.room);
  entry.left_at = LeaveLocked(from, from_membership, std::move(leave_notice));
  entry.position = entry.room->Join(joiner.id, joiner.member, joiner.waker, joiner.lag_limit_bytes,
                                      std::move(join_notice));
  return entry;
}

void Lobby::AwaitHistoryLocked(const std::shared_ptr<Room>& room) {
  if (room->followed()) return;
  const std::string key = NameKey(room->name());
  ++rooms_.at(key).joining;
  mu_.Unlock();
  room->Follow();
  mu_.Lock();
  // Pinned, so still there.
  if (auto it = rooms_.find(key); it != rooms_.end() && it->second.room == room) {
    --it->second.joining;
  }
}

uint64_t Lobby::Leave(const std::shared_ptr<Room>& room,
                      const std::shared_ptr<Membership>& membership,
                      std::shared_ptr<Event> notice) {
  absl::MutexLock lock(&mu_);
  return LeaveLocked(room, membership, std::move(notice));
}

uint64_t Lobby::LeaveLocked(const std::shared_ptr<Room>& room,
                            const std::shared_ptr<Membership>& membership,
                            std::shared_ptr<Event> notice) {
  const uint64_t left_at = room->Leave(membership, std::move(notice));
  if (room.get() == default_room_ || room->member_count() > 0) return left_at;
  auto it = rooms_.find(NameKey(room->name()));
  if (it == rooms_.end() || it->second.room != room) return left_at;
  if (!room->has_history() && it->second.joining == 0) {
    rooms_.erase(it);  // the caller's reference keeps the room alive until it drops it
  } else {
    it->second.emptied_at = clock_.Now();
  }
  return left_at;
}

bool Lobby::Removable(const Entry& entry, absl::Time now) const {
  if (entry.room.get() == default_room_ || entry.room->member_count() > 0 || entry.joining > 0) {
    return false;
  }
  if (!entry.room->has_history()) return true;  // e.g. trimmed away by the history cap
  return options_.room_expiry > absl::ZeroDuration() &&
         now - entry.emptied_at >= options_.room_expiry;
}

void Lobby::RemoveUnusedLocked() {
  const absl::Time now = clock_.Now();
  for (auto it = rooms_.begin(); it != rooms_.end();) {
    it = Removable(it->second, now) ? rooms_.erase(it) : std::next(it);
  }
}

std::vector<std::pair<std::string, size_t>> Lobby::List() {
  absl::MutexLock lock(&mu_);
  RemoveUnusedLocked();
  std::vector<std::pair<std::string, size_t>> rooms;
  rooms.reserve(rooms_.size());
  for (const auto& [key, entry] : rooms_) {
    rooms.emplace_back(entry.room->name(), entry.room->member_count());
  }
  std::sort(rooms.begin(), rooms.end());
  return rooms;
}

std::shared_ptr<Room> Lobby::Find(const std::string& name) const {
  absl::MutexLock lock(&mu_);
  const auto it = rooms_.find(NameKey(name));
  return it == rooms_.end() ? nullptr : it->second.room;
}

std::shared_ptr<Room> Lobby::FindOrCreate(const std::string& name) {
  absl::MutexLock lock(&mu_);
  if (rooms_.size() >= options_.max_rooms && !rooms_.contains(NameKey(name))) return nullptr;
  return FindOrCreateLocked(name, nullptr, nullptr, nullptr);
}

void Lobby::EnforceHistoryBudget() {
  if (!budget_.over()) return;
  absl::MutexLock lock(&mu_);
  // Take from the largest history first: the room that uses the most gives back first,
  // so one busy room cannot erase the history of quiet ones.
  while (budget_.over()) {
    Room* largest = nullptr;
    size_t largest_bytes = 0;
    for (const auto& [name, entry] : rooms_) {
      const size_t bytes = entry.room->log_bytes();
      if (bytes > largest_bytes) {
        largest = entry.room.get();
        largest_bytes = bytes;
      }
    }
    if (largest == nullptr) break;  // what is left belongs to rooms already removed
    const size_t excess = budget_.used() - budget_.max_bytes();
    if (largest->TrimOldest(std::min(excess, largest_bytes)) == 0) break;
  }
}

}  // namespace chat
