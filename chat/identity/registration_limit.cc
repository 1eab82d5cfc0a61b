#include "chat/identity/registration_limit.h"

namespace chat::identity {

absl::Duration RegistrationLimit::Wait(std::string_view address_key, absl::Time now) const {
  if (options_.per_day <= 0) return absl::ZeroDuration();
  absl::MutexLock lock(&mu_);
  const auto it = buckets_.find(address_key);
  if (it == buckets_.end()) return absl::ZeroDuration();
  return it->second.TimeUntilAvailable(1, now);
}

bool RegistrationLimit::TryTake(std::string_view address_key, absl::Time now,
                                absl::Duration* wait) {
  if (options_.per_day <= 0) return true;
  absl::MutexLock lock(&mu_);
  auto it = buckets_.find(address_key);
  if (it == buckets_.end()) {
    if (options_.max_tracked > 0 && buckets_.size() >= options_.max_tracked) {
      // A full bucket is what a forgotten address would get anyway.
      absl::erase_if(buckets_, [now](const auto& entry) { return entry.second.FullAt() <= now; });
      if (buckets_.size() >= options_.max_tracked) buckets_.erase(buckets_.begin());
    }
    it = buckets_.emplace(address_key, NewBucket(now)).first;
  }
  if (it->second.Allow(now)) return true;
  if (wait != nullptr) *wait = it->second.TimeUntilAvailable(1, now);
  return false;
}

void RegistrationLimit::Refund(std::string_view address_key) {
  if (options_.per_day <= 0) return;
  absl::MutexLock lock(&mu_);
  auto it = buckets_.find(address_key);
  if (it != buckets_.end()) it->second.GiveBack(1);
}

size_t RegistrationLimit::tracked() const {
  absl::MutexLock lock(&mu_);
  return buckets_.size();
}

}  // namespace chat::identity
