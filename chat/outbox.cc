#include "chat/outbox.h"

#include <iterator>

namespace chat {

size_t Outbox::Charge(const Frame& frame) {
  size_t charge = kFrameOverheadBytes;
  if (frame.text != nullptr) charge += frame.text->size();
  if (frame.event != nullptr) charge += frame.event->charge();
  return charge;
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

uint64_t Outbox::StampLocked() const {
  return end_seq_ == nullptr ? 0 : end_seq_->load(std::memory_order_acquire);
}

Outbox::PushResult Outbox::Push(Frame frame) {
  const size_t charge = Charge(frame);
  absl::MutexLock lock(&mu_);
  const PushResult result = ReserveLocked(charge);
  if (result == PushResult::kQueued) {
    frame.after_seq = StampLocked();
    frames_.push_back(std::move(frame));
  }
  return result;
}

Outbox::PushResult Outbox::Push(std::vector<Frame> frames) {
  size_t charge = 0;
  for (const Frame& frame : frames) charge += Charge(frame);
  absl::MutexLock lock(&mu_);
  const PushResult result = ReserveLocked(charge);
  if (result == PushResult::kQueued) {
    const uint64_t stamp = StampLocked();
    for (Frame& frame : frames) {
      frame.after_seq = stamp;
      frames_.push_back(std::move(frame));
    }
  }
  return result;
}

void Outbox::Switch(Frame frame, std::shared_ptr<const std::atomic<uint64_t>> end_seq) {
  const size_t charge = Charge(frame);
  absl::MutexLock lock(&mu_);
  end_seq_ = std::move(end_seq);
  if (aborted_) return;  // nobody will read it; the membership goes with the frames
  bytes_ += charge;
  frames_.push_back(std::move(frame));
}

bool Outbox::Take(std::vector<Frame>& out, bool block) {
  out.clear();  // the previous batch is written; its bytes are free now
  absl::MutexLock lock(&mu_);
  bytes_ -= in_flight_bytes_;
  in_flight_bytes_ = 0;
  if (block) mu_.Await(absl::Condition(this, &Outbox::ReadyToTake));
  woken_ = false;
  out.assign(std::make_move_iterator(frames_.begin()), std::make_move_iterator(frames_.end()));
  frames_.clear();
  // The writer holds these until its next Take(), so they stay charged until then.
  in_flight_bytes_ = bytes_;
  return closed_;
}

bool Outbox::ReadyToTake() const { return closed_ || woken_ || !frames_.empty(); }

bool Outbox::TakeMore(std::vector<Frame>& out) {
  absl::MutexLock lock(&mu_);
  out.insert(out.end(), std::make_move_iterator(frames_.begin()),
             std::make_move_iterator(frames_.end()));
  frames_.clear();
  in_flight_bytes_ = bytes_;
  return closed_;
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
  last.after_seq = StampLocked();
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

void Outbox::Wake() {
  absl::MutexLock lock(&mu_);
  woken_ = true;
}

size_t Outbox::queued_bytes() const {
  absl::MutexLock lock(&mu_);
  return bytes_;
}

}  // namespace chat
