// chat/admission_gate.h: the client limit, as a counting gate the acceptor waits on.
//
// Defines:
//   AdmissionGate - Acquire() blocks while every slot is taken; Release() frees one.

#ifndef CHAT_ADMISSION_GATE_H_
#define CHAT_ADMISSION_GATE_H_

#include <functional>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace chat {

// AdmissionGate holds `capacity` slots. The acceptor takes a slot *before* calling
// accept(), so while the server is full the next connection waits in the kernel's listen
// backlog (it sees no banner) instead of being accepted and refused. Thread-safe.
//
// Example (the accept loop):
//   while (gate.Acquire()) {
//     int fd = accept(...);
//     if (fd < 0) { gate.Release(); continue; }
//     StartSession(fd);  // the session calls gate.Release() when it ends
//   }
class AdmissionGate {
 public:
  // `on_blocked` (optional) is told when an Acquire() starts (true) and stops (false)
  // waiting on a full gate; it runs with the gate locked, so it must be quick (a gauge).
  explicit AdmissionGate(int capacity, std::function<void(bool)> on_blocked = nullptr)
      : capacity_(capacity), on_blocked_(std::move(on_blocked)) {}
  AdmissionGate(const AdmissionGate&) = delete;
  AdmissionGate& operator=(const AdmissionGate&) = delete;

  // AdmissionGate::Acquire() waits for a free slot and takes it. Returns false, without
  // taking one, once Close() has been called.
  bool Acquire() ABSL_LOCKS_EXCLUDED(mu_);

  // AdmissionGate::Release() returns a slot taken by Acquire().
  void Release() ABSL_LOCKS_EXCLUDED(mu_);

  // AdmissionGate::Close() wakes a blocked Acquire() and makes every later one fail.
  void Close() ABSL_LOCKS_EXCLUDED(mu_);

  // AdmissionGate::AwaitAllReleased() waits up to `timeout` for every slot to come back;
  // true if they did.
  bool AwaitAllReleased(absl::Duration timeout) const ABSL_LOCKS_EXCLUDED(mu_);

  // AdmissionGate::AwaitBlocked() waits until an Acquire() is blocked on a full gate, or
  // `timeout`. For tests and diagnostics.
  bool AwaitBlocked(absl::Duration timeout) const ABSL_LOCKS_EXCLUDED(mu_);

  int in_use() const ABSL_LOCKS_EXCLUDED(mu_);
  // True while Acquire() is blocked because every slot is taken.
  bool blocked() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  bool CanProceed() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return in_use_ < capacity_ || closed_;
  }
  bool AllReleased() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return in_use_ == 0; }
  bool IsBlocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return blocked_; }

  const int capacity_;
  const std::function<void(bool)> on_blocked_;
  mutable absl::Mutex mu_;
  int in_use_ ABSL_GUARDED_BY(mu_) = 0;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool blocked_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace chat

#endif  // CHAT_ADMISSION_GATE_H_
