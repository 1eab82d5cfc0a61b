#include "chat/room.h"

#include <algorithm>

namespace chat {

Room::Room(std::string name, size_t history_limit, Journal* journal)
    : name_(std::move(name)), history_limit_(history_limit), journal_(journal) {}

void Room::Join(Participant* member, const SharedText& notice) {
  absl::MutexLock lock(&mu_);
  member->DeliverWelcome(std::vector<SharedText>(history_.begin(), history_.end()));
  DeliverToOthersLocked(member, notice);
  members_.push_back(member);
}

void Room::Leave(Participant* member, const SharedText& notice) {
  absl::MutexLock lock(&mu_);
  const auto it = std::find(members_.begin(), members_.end(), member);
  if (it == members_.end()) return;
  members_.erase(it);
  DeliverToOthersLocked(member, notice);
}

void Room::Broadcast(const Participant* sender, const SharedText& line,
                     const SpokenLine* spoken) {
  absl::MutexLock lock(&mu_);
  // Journal first, under the lock: on disk before any client can have seen it, and in
  // the same order as the history.
  if (journal_ != nullptr && spoken != nullptr) journal_->Record(name_, *spoken);
  AddToHistoryLocked(line);
  DeliverToOthersLocked(sender, line);
}

void Room::Restore(const std::vector<SharedText>& lines) {
  absl::MutexLock lock(&mu_);
  for (const SharedText& line : lines) AddToHistoryLocked(line);
}

void Room::AddToHistoryLocked(const SharedText& line) {
  if (history_limit_ == 0) return;
  if (history_.size() == history_limit_) history_.pop_front();
  history_.push_back(line);
}

void Room::Announce(const Participant* sender, const SharedText& line) {
  absl::MutexLock lock(&mu_);
  DeliverToOthersLocked(sender, line);
}

void Room::DeliverToOthersLocked(const Participant* except, const SharedText& line) {
  for (Participant* member : members_) {
    if (member != except) member->DeliverEvent(line);
  }
}

size_t Room::member_count() const {
  absl::MutexLock lock(&mu_);
  return members_.size();
}

std::vector<std::string> Room::MemberNames() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> names;
  names.reserve(members_.size());
  for (const Participant* member : members_) names.push_back(member->DisplayName());
  std::sort(names.begin(), names.end());
  return names;
}

bool Room::has_history() const {
  absl::MutexLock lock(&mu_);
  return !history_.empty();
}

std::vector<SharedText> Room::History() const {
  absl::MutexLock lock(&mu_);
  return std::vector<SharedText>(history_.begin(), history_.end());
}

}  // namespace chat
