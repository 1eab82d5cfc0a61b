// chat/identity/registration_limit.h: how many names one address may register.
//
// Defines:
//   RegistrationLimitOptions - registrations per address per day; how many addresses to
//                              remember.
//   RegistrationLimit        - a token bucket per address key.
//
// Registering is cheap for a client and permanent for the server: without a limit one
// address could register every short or attractive name (squatting) and fill the database.
// Per address key (chat/abuse/address_key.h: an IPv4 address or an IPv6 /64), a bucket of
// `per_day` registrations refills at that rate, so a household behind one NAT registers a
// few names a day and a squatter gets a few names a day, not thousands. Time is passed in.

#ifndef CHAT_IDENTITY_REGISTRATION_LIMIT_H_
#define CHAT_IDENTITY_REGISTRATION_LIMIT_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "chat/rate_limiter.h"

namespace chat::identity {

struct RegistrationLimitOptions {
  // Registrations one address may make per day, as many at once. 0: no limit.
  double per_day = 3;
  // Addresses remembered at once (each ~100 bytes). Beyond it, addresses whose bucket is
  // full again are forgotten first, then any (which hands it a fresh bucket: the bound
  // on memory wins over the bound on one address). 0: no cap.
  size_t max_tracked = 65536;
};

// Thread-safe.
class RegistrationLimit {
 public:
  explicit RegistrationLimit(RegistrationLimitOptions options = {}) : options_(options) {}
  RegistrationLimit(const RegistrationLimit&) = delete;
  RegistrationLimit& operator=(const RegistrationLimit&) = delete;

  // How long from `now` until `address_key` may register; zero: it may now.
  absl::Duration Wait(std::string_view address_key, absl::Time now) const
      ABSL_LOCKS_EXCLUDED(mu_);
  // Takes one registration for `address_key`: true if it had one left; otherwise false,
  // and `wait` (if given) says how long until it has.
  bool TryTake(std::string_view address_key, absl::Time now, absl::Duration* wait = nullptr)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Gives back a registration TryTake() took for one that then failed (the name was
  // taken meanwhile, the store failed, the server was busy).
  void Refund(std::string_view address_key) ABSL_LOCKS_EXCLUDED(mu_);

  double per_day() const { return options_.per_day; }
  size_t tracked() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  RateLimiter NewBucket(absl::Time now) const {
    return RateLimiter(options_.per_day / 86400.0, options_.per_day, now);
  }

  const RegistrationLimitOptions options_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, RateLimiter> buckets_ ABSL_GUARDED_BY(mu_);
};

}  // namespace chat::identity

#endif  // CHAT_IDENTITY_REGISTRATION_LIMIT_H_
