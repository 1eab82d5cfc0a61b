#include "chat/core/room.h"

#include <algorithm>

namespace chat {

Room::Room(std::string name, RoomOptions options, Journal* journal, HistoryBudget* budget)
    : name_(std::move(name)),
      options_(options),
      journal_(journal),
      budget_(budget),
      end_seq_(1),
      log_(options.log) {}

Room::~Room() {
  // Hand the log's bytes back to the server-wide budget.
  absl::MutexLock lock(&mu_);
  if (budget_ != nullptr) budget_->Remove(log_.bytes());
}

std::shared_ptr<const std::atomic<uint64_t>> Room::EndSeqOf(const std::shared_ptr<Room>& room) {
  return std::shared_ptr<const std::atomic<uint64_t>>(room, &room->end_seq_);
}

void Room::AppendLocked(std::shared_ptr<Event> event, std::vector<std::shared_ptr<Waker>>* wake,
                        Membership* poster) {
  const bool is_history = event->is_history();
  size_t freed = 0;
  const size_t added = log_.Append(std::move(event), &freed);
  if (poster != nullptr && poster->end_ == UINT64_MAX) poster->own_appended_bytes_ += added;
  end_seq_.store(log_.end_seq(), std::memory_order_release);
  if (budget_ != nullptr) {
    budget_->Add(added);
    budget_->Remove(freed);
  }
  unchecked_bytes_ += added;
  if (unchecked_bytes_ >= options_.lag_check_bytes || freed > 0) CheckLagLocked();
  if (wake != nullptr && options_.defer_notice_wakes && !is_history) {
    notices_unwoken_ = true;  // the next sweep or chat line wakes the sleepers
    wake = nullptr;
  }
  if (wake != nullptr) {
    notices_unwoken_ = false;  // whoever sleeps is woken now, for everything so far
    wake->reserve(wake->size() + sleepers_.size());
    for (Membership* sleeper : sleepers_) wake->push_back(sleeper->waker_);
    sleepers_.clear();
  }
}

void Room::CheckLagLocked() {
  unchecked_bytes_ = 0;
  for (const auto& membership : members_) {
    uint64_t lag = log_.LagBytes(membership->delivered());
    const uint64_t own_delivered =
        membership->own_delivered_bytes_.load(std::memory_order_relaxed);
    if (lag != UINT64_MAX && membership->own_appended_bytes_ > own_delivered) {
      lag -= std::min(lag, membership->own_appended_bytes_ - own_delivered);
    }
    const size_t limit = membership->lag_limit_bytes_;
    if (lag == UINT64_MAX || (limit > 0 && lag > limit)) membership->member_->OnFellBehind();
  }
}

void Room::Follow() {
  if (options_.sequencer == nullptr) return;
  if (followed_.exchange(true)) {
    history_in_.WaitForNotification();  // Sequencer::Follow() returns in bounded time
    return;
  }
  options_.sequencer->Follow(weak_from_this());
  history_in_.Notify();
}

JoinPosition Room::Join(uint64_t member_id, RoomMember* member, std::shared_ptr<Waker> waker,
                        size_t lag_limit_bytes, std::shared_ptr<Event> notice) {
  Sequencer* const sequencer = options_.sequencer;
  // The shared history must be in the log before the joiner's replay is measured.
  Follow();
  std::vector<std::shared_ptr<Waker>> wake;
  JoinPosition position;
  std::shared_ptr<Event> publish;
  {
    absl::MutexLock lock(&mu_);
    position.history_from = log_.HistoryStart();
    position.live_from = log_.end_seq();
    position.membership =
        std::make_shared<Membership>(member_id, member, std::move(waker), lag_limit_bytes,
                                     position.live_from);
    // The notice is the joiner's first own event: its writer starts at it and skips it.
    if (sequencer != nullptr) {
      publish = std::move(notice);
    } else if (notice != nullptr) {
      AppendLocked(std::move(notice), &wake, position.membership.get());
    }
    members_.push_back(position.membership);
    members_by_id_[member_id] = position.membership.get();
  }
  for (const auto& waker : wake) waker->Wake();
  // A notice lost to an outage is not worth refusing the join for.
  if (publish != nullptr) sequencer->Publish(*this, *publish, /*wait=*/false);
  return position;
}

uint64_t Room::Leave(const std::shared_ptr<Membership>& membership, std::shared_ptr<Event> notice) {
  std::vector<std::shared_ptr<Waker>> wake;
  uint64_t end = 0;
  std::shared_ptr<Event> publish;
  {
    absl::MutexLock lock(&mu_);
    const auto it = std::find(members_.begin(), members_.end(), membership);
    if (it == members_.end()) return log_.end_seq();
    members_.erase(it);
    if (auto by_id = members_by_id_.find(membership->member_id());
        by_id != members_by_id_.end() && by_id->second == membership.get()) {
      members_by_id_.erase(by_id);
    }
    sleepers_.erase(membership.get());
    // The leaver's writer delivers what was posted before it left, nothing after: not
    // even its own leave notice (which is its own event anyway).
    end = log_.end_seq();
    membership->end_ = end;
    if (options_.sequencer != nullptr) {
      publish = std::move(notice);
    } else if (notice != nullptr) {
      AppendLocked(std::move(notice), &wake);
    }
  }
  for (const auto& waker : wake) waker->Wake();
  if (publish != nullptr) options_.sequencer->Publish(*this, *publish, /*wait=*/false);
  return end;
}

bool Room::Post(std::shared_ptr<Event> event, Membership* poster) {
  // Shared order: the event is stored outside before it comes back to anyone, here too.
  if (options_.sequencer != nullptr) return options_.sequencer->Publish(*this, *event, true);
  std::vector<std::shared_ptr<Waker>> wake;
  {
    absl::MutexLock lock(&mu_);
    // Journal first, under the lock: on disk before any client can have seen it, and in
    // the same order as the log.
    if (journal_ != nullptr && event->is_history()) journal_->Record(name_, *event);
    AppendLocked(std::move(event), &wake, poster);
  }
  // Wake after unlocking: a woken writer must not find the lock still held, and a
  // poster descheduled while waking a thousand writers must not stall every other poster.
  for (const auto& waker : wake) waker->Wake();
  return true;
}

void Room::AppendReplicated(std::vector<std::shared_ptr<Event>> events) {
  std::vector<std::shared_ptr<Waker>> wake;
  {
    absl::MutexLock lock(&mu_);
    for (auto& event : events) {
      Membership* poster = nullptr;
      if (event->origin != 0) {
        const auto it = members_by_id_.find(event->origin);
        if (it != members_by_id_.end()) poster = it->second;
      }
      AppendLocked(std::move(event), &wake, poster);
    }
  }
  for (const auto& waker : wake) waker->Wake();
}

void Room::WakeForNotices() {
  std::vector<std::shared_ptr<Waker>> wake;
  {
    absl::MutexLock lock(&mu_);
    if (!notices_unwoken_) return;
    notices_unwoken_ = false;
    wake.reserve(sleepers_.size());
    for (Membership* sleeper : sleepers_) wake.push_back(sleeper->waker_);
    sleepers_.clear();
  }
  for (const auto& waker : wake) waker->Wake();
}

void Room::Restore(std::vector<std::shared_ptr<Event>> events) {
  absl::MutexLock lock(&mu_);
  for (auto& event : events) AppendLocked(std::move(event), nullptr);
}

EventSpan Room::Read(const Membership& membership, uint64_t from, size_t max_events,
                     bool* lost) const {
  absl::MutexLock lock(&mu_);
  return log_.Read(from, membership.end_, max_events, lost);
}

EventSpan Room::ReadHistory(uint64_t from, uint64_t to, size_t max_events) const {
  absl::MutexLock lock(&mu_);
  return log_.ReadHistory(from, to, max_events);
}

bool Room::SleepUnlessReady(Membership* membership, uint64_t cursor) {
  absl::MutexLock lock(&mu_);
  if (cursor < std::min(log_.end_seq(), membership->end_)) return true;
  if (membership->end_ == UINT64_MAX) sleepers_.insert(membership);
  return false;
}

size_t Room::TrimOldest(size_t bytes) {
  absl::MutexLock lock(&mu_);
  const size_t freed = log_.TrimOldest(bytes);
  if (budget_ != nullptr) budget_->Remove(freed);
  return freed;
}

size_t Room::member_count() const {
  absl::MutexLock lock(&mu_);
  return members_.size();
}

std::vector<std::string> Room::MemberNames() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> names;
  names.reserve(members_.size());
  for (const auto& membership : members_) names.push_back(membership->member_->DisplayName());
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> Room::MemberListing() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::pair<std::string, std::string>> members;  // sorted by display name
  members.reserve(members_.size());
  for (const auto& membership : members_) {
    members.emplace_back(membership->member_->DisplayName(), membership->member_->ListedName());
  }
  std::sort(members.begin(), members.end());
  std::vector<std::string> listing;
  listing.reserve(members.size());
  for (auto& [name, listed] : members) listing.push_back(std::move(listed));
  return listing;
}

bool Room::has_history() const {
  absl::MutexLock lock(&mu_);
  return log_.has_history();
}

size_t Room::log_bytes() const {
  absl::MutexLock lock(&mu_);
  return log_.bytes();
}

std::vector<EventPtr> Room::History() const {
  absl::MutexLock lock(&mu_);
  std::vector<EventPtr> history;
  for (uint64_t seq = log_.HistoryStart(); seq < log_.end_seq();) {
    const EventSpan span = log_.ReadHistory(seq, log_.end_seq(), SIZE_MAX);
    if (span.empty()) break;
    history.insert(history.end(), span.archived.begin(), span.archived.end());
    uint64_t block_seq = span.begin;
    for (const auto& block : span.blocks) {
      for (; block_seq < span.end && block_seq < block->first_seq() + EventBlock::kSize;
           ++block_seq) {
        const Event& event = block->at(block_seq);
        // Aliasing: the pointer keeps the block (and so the event) alive.
        if (event.is_history()) history.emplace_back(block, &event);
      }
    }
    seq = span.end;
  }
  return history;
}

}  // namespace chat
