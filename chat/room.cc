#include "chat/room.h"

#include <algorithm>

namespace chat {

Room::Room(std::string name, HistoryLimits limits, Journal* journal, HistoryBudget* budget)
    : name_(std::move(name)), limits_(limits), journal_(journal), budget_(budget) {}

Room::~Room() {
  // Hand the history's bytes back to the server-wide budget.
  absl::MutexLock lock(&mu_);
  if (budget_ != nullptr) budget_->Remove(history_bytes_);
}

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
  if (limits_.max_lines == 0) return;
  const size_t charge = HistoryCharge(*line);
  // A line larger than the whole byte bound is still kept (alone): the bound is on what
  // accumulates, and the line limit keeps single lines small.
  while (!history_.empty() &&
         (history_.size() >= limits_.max_lines ||
          (limits_.max_bytes > 0 && history_bytes_ + charge > limits_.max_bytes))) {
    PopOldestLocked();
  }
  history_.push_back(line);
  history_bytes_ += charge;
  if (budget_ != nullptr) budget_->Add(charge);
}

size_t Room::PopOldestLocked() {
  const size_t charge = HistoryCharge(*history_.front());
  history_.pop_front();
  history_bytes_ -= charge;
  if (budget_ != nullptr) budget_->Remove(charge);
  return charge;
}

size_t Room::TrimOldest(size_t bytes) {
  absl::MutexLock lock(&mu_);
  size_t freed = 0;
  while (freed < bytes && !history_.empty()) freed += PopOldestLocked();
  if (history_.empty()) history_.shrink_to_fit();
  return freed;
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

size_t Room::history_bytes() const {
  absl::MutexLock lock(&mu_);
  return history_bytes_;
}

std::vector<SharedText> Room::History() const {
  absl::MutexLock lock(&mu_);
  return std::vector<SharedText>(history_.begin(), history_.end());
}

}  // namespace chat
