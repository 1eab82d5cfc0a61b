#include "chat/abuse/address_limits.h"

#include <algorithm>
#include <utility>

#include "chat/rate_limiter.h"
#include "glog/logging.h"

namespace chat {

struct AddressLimits::Entry {
  Entry(std::string_view key_in, const AddressLimitsOptions& options, absl::Time now)
      : key(key_in),
        logins(options.logins_per_minute / 60, options.login_burst, now),
        // The burst is a minute's worth, and at least one handshake.
        handshakes(options.handshakes_per_minute / 60,
                   std::max(1.0, options.handshakes_per_minute), now),
        lines(options.lines_per_second, options.line_burst, now),
        bytes(options.bytes_per_second, options.byte_burst, now),
        rooms(options.rooms_per_hour / 3600, options.room_burst, now) {}

  // The instant every bucket is full again if nothing more is taken.
  absl::Time FullAt() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    return std::max({logins.FullAt(), handshakes.FullAt(), lines.FullAt(), bytes.FullAt(),
                     rooms.FullAt()});
  }

  const std::string key;
  absl::Mutex mu;
  int pending ABSL_GUARDED_BY(mu) = 0;
  int connections ABSL_GUARDED_BY(mu) = 0;
  RateLimiter logins ABSL_GUARDED_BY(mu);
  RateLimiter handshakes ABSL_GUARDED_BY(mu);
  RateLimiter lines ABSL_GUARDED_BY(mu);
  RateLimiter bytes ABSL_GUARDED_BY(mu);
  RateLimiter rooms ABSL_GUARDED_BY(mu);
};

AddressLimitsOptions AddressLimitsOptions::Disabled() {
  AddressLimitsOptions options;
  options.max_pending_per_address = 0;
  options.max_connections_per_address = 0;
  options.logins_per_minute = 0;
  options.handshakes_per_minute = 0;
  options.lines_per_second = 0;
  options.bytes_per_second = 0;
  options.rooms_per_hour = 0;
  options.max_tracked_addresses = 0;
  return options;
}

std::string_view AdmissionRefusalName(AdmissionRefusal refusal) {
  switch (refusal) {
    case AdmissionRefusal::kNone:
      return "none";
    case AdmissionRefusal::kTooManyPending:
      return "pending";
    case AdmissionRefusal::kTooManyConnections:
      return "connections";
    case AdmissionRefusal::kTooManyAddresses:
      return "addresses";
    case AdmissionRefusal::kTooManyHandshakes:
      return "handshakes";
  }
  return "unknown";
}

AddressLimits::AddressLimits(const AddressLimitsOptions& options, const Clock& clock)
    : options_(options),
      clock_(clock),
      tracking_(options.max_pending_per_address > 0 ||
                options.max_connections_per_address > 0 || options.logins_per_minute > 0 ||
                options.handshakes_per_minute > 0 ||
                options.lines_per_second > 0 || options.bytes_per_second > 0 ||
                options.rooms_per_hour > 0),
      limits_lines_(options.lines_per_second > 0 || options.bytes_per_second > 0) {}

AddressLimits::~AddressLimits() {
  absl::MutexLock lock(&mu_);
  // A ticket outliving us would later lock a destroyed entry's mutex.
  CHECK_EQ(live_tickets_, 0) << "AddressLimits destroyed before all of its tickets";
}

AddressLimits::Admission AddressLimits::AdmitConnection(std::string_view key, bool handshake) {
  if (!tracking_) return {};
  const absl::Time now = clock_.Now();
  bool evicted = false;
  Admission admission = Admit(key, handshake, now, &evicted);
  if (evicted) {
    LOG_EVERY_N(WARNING, 1000) << "tracking the maximum of " << options_.max_tracked_addresses
                               << " source addresses; forgot idle ones early";
  }
  return admission;
}

AddressLimits::Admission AddressLimits::Admit(std::string_view key, bool handshake,
                                              absl::Time now, bool* evicted) {
  Admission admission;
  absl::MutexLock lock(&mu_);
  DropRefilled(now);
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    if (!MakeRoom(evicted)) {
      admission.refusal = AdmissionRefusal::kTooManyAddresses;
      return admission;
    }
    it = entries_.try_emplace(std::string(key)).first;
    it->second.entry = std::make_unique<Entry>(key, options_, now);
  }
  Slot& slot = it->second;
  Entry* entry = slot.entry.get();
  {
    absl::MutexLock entry_lock(&entry->mu);
    if (options_.max_pending_per_address > 0 &&
        entry->pending >= options_.max_pending_per_address) {
      admission.refusal = AdmissionRefusal::kTooManyPending;
      return admission;
    }
    if (options_.max_connections_per_address > 0 &&
        entry->connections >= options_.max_connections_per_address) {
      admission.refusal = AdmissionRefusal::kTooManyConnections;
      return admission;
    }
    // Last: a connection refused for another reason costs no handshake, so takes none.
    if (handshake && options_.handshakes_per_minute > 0 && !entry->handshakes.TryTake(1, now)) {
      admission.refusal = AdmissionRefusal::kTooManyHandshakes;
      admission.retry_after = entry->handshakes.TimeUntilAvailable(1, now);
      return admission;
    }
    ++entry->pending;
    ++entry->connections;
  }
  if (slot.idle) EraseIdle(slot);
  ++live_tickets_;
  admission.ticket = Ticket(this, entry);
  return admission;
}

void AddressLimits::DropRefilled(absl::Time now) {
  while (!idle_.empty() && idle_.begin()->first <= now) {
    // Copy: erasing the set node frees the key it points into.
    const std::string key = idle_.begin()->second;
    idle_.erase(idle_.begin());
    entries_.erase(key);
  }
}

bool AddressLimits::MakeRoom(bool* evicted) {
  if (options_.max_tracked_addresses == 0 || entries_.size() < options_.max_tracked_addresses) {
    return true;
  }
  if (idle_.empty()) return false;
  const std::string key = idle_.begin()->second;
  idle_.erase(idle_.begin());
  entries_.erase(key);
  ++evicted_;
  *evicted = true;
  return true;
}

void AddressLimits::EraseIdle(Slot& slot) {
  idle_.erase({slot.full_at, slot.entry->key});
  slot.idle = false;
}

void AddressLimits::Release(Entry* entry, bool logged_in) {
  const absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  CHECK_GT(live_tickets_, 0);
  --live_tickets_;
  absl::Time full_at;
  {
    absl::MutexLock entry_lock(&entry->mu);
    --entry->connections;
    if (!logged_in) --entry->pending;
    if (entry->connections > 0) return;
    full_at = entry->FullAt();
  }
  // No connection is left, so no ticket can reach the entry and only mu_ (held) can hand
  // out a new one: it is safe to destroy, or to list as idle.
  auto it = entries_.find(entry->key);
  CHECK(it != entries_.end() && it->second.entry.get() == entry);
  if (full_at <= now) {
    entries_.erase(it);
    return;
  }
  it->second.idle = true;
  it->second.full_at = full_at;
  idle_.emplace(full_at, entry->key);
}

AddressLimits::Ticket::Ticket(Ticket&& other) noexcept
    : limits_(std::exchange(other.limits_, nullptr)),
      entry_(std::exchange(other.entry_, nullptr)),
      logged_in_(std::exchange(other.logged_in_, false)) {}

AddressLimits::Ticket& AddressLimits::Ticket::operator=(Ticket&& other) noexcept {
  if (this != &other) {
    Release();
    limits_ = std::exchange(other.limits_, nullptr);
    entry_ = std::exchange(other.entry_, nullptr);
    logged_in_ = std::exchange(other.logged_in_, false);
  }
  return *this;
}

AddressLimits::Ticket::~Ticket() { Release(); }

void AddressLimits::Ticket::Release() {
  if (entry_ == nullptr) return;
  limits_->Release(entry_, logged_in_);
  limits_ = nullptr;
  entry_ = nullptr;
  logged_in_ = false;
}

std::string_view AddressLimits::Ticket::key() const {
  return entry_ == nullptr ? std::string_view() : std::string_view(entry_->key);
}

LimitVerdict AddressLimits::Ticket::TryLogin() {
  if (entry_ == nullptr || logged_in_) return {};
  const absl::Time now = limits_->clock_.Now();
  absl::MutexLock lock(&entry_->mu);
  if (!entry_->logins.TryTake(1, now)) {
    return {.allowed = false, .retry_after = entry_->logins.TimeUntilAvailable(1, now)};
  }
  --entry_->pending;
  logged_in_ = true;
  return {};
}

LimitVerdict AddressLimits::Ticket::AllowLine(size_t bytes) {
  if (entry_ == nullptr || !limits_->limits_lines_) return {};
  const absl::Time now = limits_->clock_.Now();
  const double size = static_cast<double>(bytes);
  absl::MutexLock lock(&entry_->mu);
  const absl::Duration wait = std::max(entry_->lines.TimeUntilAvailable(1, now),
                                       entry_->bytes.TimeUntilAvailable(size, now));
  if (wait > absl::ZeroDuration()) return {.allowed = false, .retry_after = wait};
  // Both have room at `now` under this lock, so both takes succeed.
  entry_->lines.TryTake(1, now);
  entry_->bytes.TryTake(size, now);
  return {};
}

LimitVerdict AddressLimits::Ticket::AllowRoomCreation() {
  if (entry_ == nullptr) return {};
  const absl::Time now = limits_->clock_.Now();
  absl::MutexLock lock(&entry_->mu);
  if (!entry_->rooms.TryTake(1, now)) {
    return {.allowed = false, .retry_after = entry_->rooms.TimeUntilAvailable(1, now)};
  }
  return {};
}

int AddressLimits::live_tickets() const {
  absl::MutexLock lock(&mu_);
  return live_tickets_;
}

int64_t AddressLimits::evicted_addresses() const {
  absl::MutexLock lock(&mu_);
  return evicted_;
}

size_t AddressLimits::tracked_addresses() const {
  absl::MutexLock lock(&mu_);
  return entries_.size();
}

}  // namespace chat
