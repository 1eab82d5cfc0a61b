#include "chat/admission_gate.h"

#include "glog/logging.h"

namespace chat {

bool AdmissionGate::Acquire() {
  absl::MutexLock lock(&mu_);
  if (!CanProceed()) {
    LOG(INFO) << "all " << capacity_ << " client slots are taken; new connections wait";
    blocked_ = true;
    if (on_blocked_) on_blocked_(true);
    mu_.Await(absl::Condition(this, &AdmissionGate::CanProceed));
    blocked_ = false;
    if (on_blocked_) on_blocked_(false);
  }
  if (closed_) return false;
  ++in_use_;
  return true;
}

void AdmissionGate::Release() {
  absl::MutexLock lock(&mu_);
  CHECK_GT(in_use_, 0) << "Release() without Acquire()";
  --in_use_;
}

void AdmissionGate::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
}

bool AdmissionGate::AwaitAllReleased(absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  return mu_.AwaitWithTimeout(absl::Condition(this, &AdmissionGate::AllReleased), timeout);
}

bool AdmissionGate::AwaitBlocked(absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  return mu_.AwaitWithTimeout(absl::Condition(this, &AdmissionGate::IsBlocked), timeout);
}

int AdmissionGate::in_use() const {
  absl::MutexLock lock(&mu_);
  return in_use_;
}

bool AdmissionGate::blocked() const {
  absl::MutexLock lock(&mu_);
  return blocked_;
}

}  // namespace chat
