#include "chat/outbox.h"

#include <iterator>

namespace chat {

size_t Outbox::Charge(const Frame& frame) {
  return kFrameOverheadBytes + (frame.text == nullptr ? 0 : frame.text->size());
}

Outbox::PushResult Outbox::ReserveLocked(size_t charge) {
  if (closed_) return PushResult::kClosed;
  if (max_bytes_ > 0 && bytes_ + charge > max_bytes_) {
    // Too far behind: keep what is queued (it may still drain) but accept nothing more,
    // so the client never sees a gap followed by later lines.
    closed_ = true;
    return PushResult::kOverflow;
  }
  bytes_ += charge;
  return PushResult::kQueued;
}

Outbox::PushResult Outbox::Push(Frame frame) {
  // The broadcast hot path: one frame, no temporary vector.
  const size_t charge = Charge(frame);
  absl::MutexLock lock(&mu_);
  const PushResult result = ReserveLocked(charge);
  if (result == PushResult::kQueued) frames_.push_back(std::move(frame));
  return result;
}

Outbox::PushResult Outbox::Push(std::vector<Frame> frames) {
  size_t charge = 0;
  for (const Frame& frame : frames) charge += Charge(frame);
  absl::MutexLock lock(&mu_);
  const PushResult result = ReserveLocked(charge);
  if (result == PushResult::kQueued) {
    frames_.insert(frames_.end(), std::make_move_iterator(frames.begin()),
                   std::make_move_iterator(frames.end()));
  }
  return result;
}

bool Outbox::Take(std::vector<Frame>& out) {
  out.clear();  // the previous batch is written; its bytes are free now
  absl::MutexLock lock(&mu_);
  bytes_ -= in_flight_bytes_;
  in_flight_bytes_ = 0;
  mu_.Await(absl::Condition(this, &Outbox::ReadyToTake));
  if (frames_.empty()) return false;  // closed and drained
  out.assign(std::make_move_iterator(frames_.begin()), std::make_move_iterator(frames_.end()));
  frames_.clear();
  // The writer holds these until its next Take(), so they stay charged until then.
  in_flight_bytes_ = bytes_;
  return true;
}

bool Outbox::ReadyToTake() const { return closed_ || !frames_.empty(); }

void Outbox::TakeMore(std::vector<Frame>& out) {
  absl::MutexLock lock(&mu_);
  out.insert(out.end(), std::make_move_iterator(frames_.begin()),
             std::make_move_iterator(frames_.end()));
  frames_.clear();
  in_flight_bytes_ = bytes_;
}

void Outbox::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
}

void Outbox::CloseWith(Frame last) {
  const size_t charge = Charge(last);
  absl::MutexLock lock(&mu_);
  closed_ = true;
  if (aborted_) return;
  bytes_ += charge;
  frames_.push_back(std::move(last));
}

void Outbox::Abort() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
  aborted_ = true;
  frames_.clear();
  bytes_ = in_flight_bytes_;
}

size_t Outbox::queued_bytes() const {
  absl::MutexLock lock(&mu_);
  return bytes_;
}

}  // namespace chat
