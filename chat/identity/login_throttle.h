// chat/identity/login_throttle.h: slows down, then refuses, password guessing per address.
//
// Defines:
//   LoginThrottleOptions - when guessing slows and stops; 0 turns a limit off.
//   LoginThrottle        - failed password attempts per address key, and the verdict on
//                          the next attempt.
//
// A registered name is only as safe as its password is hard to guess online. Argon2id
// makes each guess cost the server ~0.1 s, which alone would let one address try ~10
// passwords a second (and burn the CPU doing it). Per address key (chat/abuse/address_key.h:
// an IPv4 address or an IPv6 /64, so reconnecting or hopping within a /64 gains nothing):
// the first `slow_after` failures are free (typos), then each attempt must wait a delay
// that doubles, and `lockout_after` failures within `window` refuse the address for
// `lockout`. A successful login resets the address. Time is passed in, so tests need no
// clock.

#ifndef CHAT_IDENTITY_LOGIN_THROTTLE_H_
#define CHAT_IDENTITY_LOGIN_THROTTLE_H_

#include <cstddef>
#include <list>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace chat::identity {

struct LoginThrottleOptions {
  // Failures allowed before any delay: a person who mistypes twice is never slowed.
  // 0 = never slow down.
  int slow_after = 3;
  // The wait before the attempt after the (slow_after + 1)th failure; it doubles with
  // each further failure, up to max_delay. 1 s, 2 s, 4 s, ... a person retrying by hand
  // barely notices; a script gets a few guesses a minute.
  absl::Duration first_delay = absl::Seconds(1);
  absl::Duration max_delay = absl::Seconds(60);
  // Failures within `window` (counted from the first) that lock the address out for
  // `lockout`. 0 = never lock out. With the defaults an address gets at most 10 guesses
  // per 15 minutes, ~1000 a day: far too few for any password ValidatePassword accepts
  // that is not among the most common.
  int lockout_after = 10;
  absl::Duration window = absl::Minutes(15);
  absl::Duration lockout = absl::Minutes(15);
  // Addresses remembered at once; beyond it the least recently failing is forgotten (so
  // a botnet spreading guesses over many addresses costs memory only up to here: about
  // 150 bytes each). 0 = no cap.
  size_t max_tracked = 65536;
};

class LoginThrottle {
 public:
  // What the caller may do about the next password attempt from an address.
  struct Verdict {
    enum class Kind {
      kAllow,   // check the password
      kWait,    // too soon: tell the client to wait `wait` and ask again; do not check
      kLockedOut,  // refused for `wait`: tell the client and close the connection
    };
    Kind kind = Kind::kAllow;
    absl::Duration wait = absl::ZeroDuration();

    bool allowed() const { return kind == Kind::kAllow; }
  };

  explicit LoginThrottle(LoginThrottleOptions options = {});

  LoginThrottle(const LoginThrottle&) = delete;
  LoginThrottle& operator=(const LoginThrottle&) = delete;

  // Check() says whether a password attempt from `address_key` may be checked at `now`.
  // It records nothing: use it to decide whether to ask for a password at all.
  Verdict Check(std::string_view address_key, absl::Time now) ABSL_LOCKS_EXCLUDED(mu_);

  // Reserve() is Check() that, when it allows the attempt, counts it as a failure at once,
  // before the (slow) hash: concurrent guesses from one address then see each other, so
  // they cannot all pass the check together. Follow an allowed Reserve() with exactly one
  // of ConfirmFailure (wrong password), RecordSuccess (right one), or Refund (the password
  // was not checked: busy, store trouble). A lockout is decided at ConfirmFailure, so a
  // refund never has to undo one.
  Verdict Reserve(std::string_view address_key, absl::Time now) ABSL_LOCKS_EXCLUDED(mu_);
  // ConfirmFailure() ends a reservation whose password was wrong; the returned verdict is
  // for the next attempt, as RecordFailure's.
  Verdict ConfirmFailure(std::string_view address_key, absl::Time now) ABSL_LOCKS_EXCLUDED(mu_);
  // Refund() takes back a reservation whose password was never checked. (The time of the
  // last failure keeps the reservation's: a refund makes the next delay no shorter.)
  void Refund(std::string_view address_key) ABSL_LOCKS_EXCLUDED(mu_);

  // RecordFailure() counts a wrong password (Reserve + ConfirmFailure in one); the returned
  // verdict is for the *next* attempt (so the caller can say "Wrong password; wait 2s." at
  // once).
  Verdict RecordFailure(std::string_view address_key, absl::Time now) ABSL_LOCKS_EXCLUDED(mu_);

  // RecordSuccess() forgets the address's failures (reservations included).
  void RecordSuccess(std::string_view address_key) ABSL_LOCKS_EXCLUDED(mu_);

  // Addresses currently remembered (for tests and metrics).
  size_t tracked() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Entry {
    int failures = 0;
    absl::Time first_failure;
    absl::Time last_failure;
    absl::Time locked_until = absl::InfinitePast();
    std::list<std::string>::iterator order;  // position in recency_
  };

  Verdict VerdictFor(const Entry& entry, absl::Time now) const;
  // True once nothing about the entry can affect an attempt at `now` or later.
  bool Forgettable(const Entry& entry, absl::Time now) const;
  void Erase(absl::flat_hash_map<std::string, Entry>::iterator it)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Counts one more failure at `now` (no lockout yet); the entry, created if need be.
  Entry& CountFailure(std::string_view address_key, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Locks the entry out if it has reached lockout_after; the verdict for the next attempt.
  Verdict LockIfDue(Entry& entry, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const LoginThrottleOptions options_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
  // Keys, least recently failing first: who to forget when max_tracked is reached.
  std::list<std::string> recency_ ABSL_GUARDED_BY(mu_);
};

}  // namespace chat::identity

#endif  // CHAT_IDENTITY_LOGIN_THROTTLE_H_
