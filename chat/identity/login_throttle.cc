#include "chat/identity/login_throttle.h"

#include <algorithm>
#include <utility>

namespace chat::identity {

LoginThrottle::LoginThrottle(LoginThrottleOptions options) : options_(options) {}

LoginThrottle::Verdict LoginThrottle::VerdictFor(const Entry& entry, absl::Time now) const {
  Verdict verdict;
  if (now < entry.locked_until) {
    verdict.kind = Verdict::Kind::kLockedOut;
    verdict.wait = entry.locked_until - now;
    return verdict;
  }
  if (options_.slow_after > 0 && entry.failures >= options_.slow_after) {
    // The n-th failure past the free ones waits first_delay * 2^(n-1), capped; the
    // shift is bounded so the doubling never overflows.
    const int doublings = std::min(entry.failures - options_.slow_after, 30);
    const absl::Duration delay =
        std::min(options_.first_delay * static_cast<double>(int64_t{1} << doublings),
                 options_.max_delay);
    const absl::Time next = entry.last_failure + delay;
    if (now < next) {
      verdict.kind = Verdict::Kind::kWait;
      verdict.wait = next - now;
    }
  }
  return verdict;
}

bool LoginThrottle::Forgettable(const Entry& entry, absl::Time now) const {
  return now >= entry.locked_until && now - entry.first_failure >= options_.window &&
         now - entry.last_failure >= options_.max_delay;
}

void LoginThrottle::Erase(absl::flat_hash_map<std::string, Entry>::iterator it) {
  recency_.erase(it->second.order);
  entries_.erase(it);
}

LoginThrottle::Verdict LoginThrottle::Check(std::string_view address_key, absl::Time now) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(address_key);
  if (it == entries_.end()) return Verdict{};
  if (Forgettable(it->second, now)) {
    Erase(it);
    return Verdict{};
  }
  return VerdictFor(it->second, now);
}

LoginThrottle::Entry& LoginThrottle::CountFailure(std::string_view address_key,
                                                  absl::Time now) {
  auto it = entries_.find(address_key);
  if (it != entries_.end() && Forgettable(it->second, now)) {
    Erase(it);
    it = entries_.end();
  }
  if (it == entries_.end()) {
    if (options_.max_tracked > 0 && entries_.size() >= options_.max_tracked) {
      Erase(entries_.find(recency_.front()));
    }
    recency_.emplace_back(address_key);
    it = entries_.emplace(address_key, Entry{}).first;
    it->second.order = std::prev(recency_.end());
    it->second.first_failure = now;
  } else {
    recency_.splice(recency_.end(), recency_, it->second.order);
  }
  Entry& entry = it->second;
  // Failures older than the window are forgotten: someone who mistypes now and then,
  // days apart, is never slowed down.
  if (now - entry.first_failure >= options_.window) {
    entry.first_failure = now;
    entry.failures = 0;
  }
  ++entry.failures;
  entry.last_failure = now;
  return entry;
}

LoginThrottle::Verdict LoginThrottle::LockIfDue(Entry& entry, absl::Time now) {
  if (options_.lockout_after > 0 && entry.failures >= options_.lockout_after &&
      options_.lockout > absl::ZeroDuration() && now >= entry.locked_until) {
    entry.locked_until = now + options_.lockout;
    // After the lockout the address starts over, rather than being locked again by its
    // first new failure.
    entry.failures = 0;
    entry.first_failure = entry.locked_until;
  }
  return VerdictFor(entry, now);
}

LoginThrottle::Verdict LoginThrottle::RecordFailure(std::string_view address_key,
                                                    absl::Time now) {
  absl::MutexLock lock(&mu_);
  return LockIfDue(CountFailure(address_key, now), now);
}

LoginThrottle::Verdict LoginThrottle::Reserve(std::string_view address_key, absl::Time now) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(address_key);
  if (it != entries_.end() && !Forgettable(it->second, now)) {
    const Verdict verdict = VerdictFor(it->second, now);
    if (!verdict.allowed()) return verdict;
    // Attempts still being checked count: the (lockout_after)th may go on, but not more
    // beside it until its outcome is known.
    if (options_.lockout_after > 0 && it->second.failures >= options_.lockout_after) {
      return Verdict{Verdict::Kind::kWait, options_.first_delay};
    }
  }
  CountFailure(address_key, now);
  return Verdict{};
}

LoginThrottle::Verdict LoginThrottle::ConfirmFailure(std::string_view address_key,
                                                     absl::Time now) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(address_key);
  // Forgotten meanwhile (evicted by other addresses): count it afresh.
  if (it == entries_.end()) return LockIfDue(CountFailure(address_key, now), now);
  return LockIfDue(it->second, now);
}

void LoginThrottle::Refund(std::string_view address_key) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(address_key);
  if (it != entries_.end() && it->second.failures > 0) --it->second.failures;
}

void LoginThrottle::RecordSuccess(std::string_view address_key) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(address_key);
  if (it != entries_.end()) Erase(it);
}

size_t LoginThrottle::tracked() const {
  absl::MutexLock lock(&mu_);
  return entries_.size();
}

}  // namespace chat::identity
