// chat/outbox.h: one client's private output queue, and what its writer sleeps on.
//
// Defines:
//   SharedText - an immutable, shareable string.
//   Follow     - "start reading this room from here" (a join or a /join).
//   Frame      - one thing to write: a notice, a prompt, a private event, a room switch.
//   Outbox     - a bounded multi-producer, single-consumer queue of frames that is
//                also the Waker the client's rooms use.

#ifndef CHAT_OUTBOX_H_
#define CHAT_OUTBOX_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "chat/core/event.h"
#include "chat/core/notice.h"
#include "chat/core/room.h"

namespace chat {

using SharedText = std::shared_ptr<const std::string>;

inline SharedText MakeShared(std::string text) {
  return std::make_shared<const std::string>(std::move(text));
}

// Follow tells the writer to start reading `room`: replay [history_from, live_from),
// then deliver from live_from on.
struct Follow {
  std::shared_ptr<Room> room;
  std::shared_ptr<Membership> membership;
  uint64_t history_from = 0;
  uint64_t live_from = 0;
};

// Frame is one unit of private output. Room events do not pass through here: the writer
// reads them from the room's log. `after_seq` orders the two: every event of the room
// the client follows with a sequence number below it is written before the frame.
struct Frame {
  enum class Kind {
    kNotice,    // `text` as a notice of kind `notice` (banner, reply, error, ...)
    kPrompt,    // a fresh prompt
    kEvent,     // `event` shown live, then a fresh prompt (a private message)
    kFollow,    // finish the current room up to after_seq; say `text` (a kReply notice,
                // if any), then follow `follow` (its history, then a prompt)
    kUnfollow,  // finish the current room up to after_seq, then read it no more
  };
  Kind kind = Kind::kNotice;
  NoticeKind notice = NoticeKind::kReply;
  SharedText text;
  EventPtr event;
  std::shared_ptr<const Follow> follow;
  uint64_t after_seq = 0;
};

// Frames of the two everyday kinds.
inline Frame NoticeFrame(NoticeKind kind, SharedText text) {
  Frame frame;
  frame.notice = kind;
  frame.text = std::move(text);
  return frame;
}
inline Frame NoticeFrame(NoticeKind kind, std::string text) {
  return NoticeFrame(kind, MakeShared(std::move(text)));
}
inline Frame PromptFrame() {
  Frame frame;
  frame.kind = Frame::Kind::kPrompt;
  return frame;
}

// Outbox queues frames for one client. Producers (any thread, possibly while holding a
// lobby or registry lock) never block: Push() either queues or reports that the client
// is too far behind. The single consumer, the client's writer thread, blocks in Take()
// until there are frames, the outbox is closed, or a room it follows Wake()s it.
//
// Memory bound: every frame is charged its text plus kFrameOverheadBytes against
// `max_bytes` from Push() until the writer comes back for more (so including the batch
// it is writing). 0: no bound. Room events are bounded separately, by the lag limit.
//
// Lock order: lobby, registry or room locks, then Outbox::mu_. Thread-safe.
class Outbox final : public Waker {
 public:
  enum class PushResult { kQueued, kOverflow, kClosed };

  // Charged per queued frame on top of its text: the frame itself and the prompt it
  // expands to. Without it, a client that floods empty lines and never reads could queue
  // unboundedly many zero-byte prompt frames.
  static constexpr size_t kFrameOverheadBytes = 64;

  explicit Outbox(size_t max_bytes) : max_bytes_(max_bytes) {}
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  // Outbox::Push() queues `frames` all or nothing, each stamped with the followed room's
  // current end. kOverflow: over the byte bound, nothing queued and the outbox is
  // closed, so everything after is refused too; kClosed: it was already closed.
  PushResult Push(std::vector<Frame> frames) ABSL_LOCKS_EXCLUDED(mu_);
  PushResult Push(Frame frame) ABSL_LOCKS_EXCLUDED(mu_);

  // Outbox::Switch() queues a kFollow or kUnfollow frame (with its after_seq already
  // set) and, in the same step, makes later frames stamp with the new room's end
  // (`end_seq`, null when following nothing). Charged, but never refused for size:
  // it must reach the writer for the room's membership to be released.
  void Switch(Frame frame, std::shared_ptr<const std::atomic<uint64_t>> end_seq)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Outbox::Take() moves every queued frame into `out` (replacing its contents). With
  // `block`, first waits until there are frames, the outbox is closed, or Wake() was
  // called since the last Take(). Returns true once the outbox is closed: the frames
  // taken are the last.
  bool Take(std::vector<Frame>& out, bool block) ABSL_LOCKS_EXCLUDED(mu_);

  // Outbox::TakeMore() appends whatever is queued now to `out`, without waiting: lets a
  // writer that just woke up collect what arrived meanwhile into the same send. Returns
  // true once the outbox is closed.
  bool TakeMore(std::vector<Frame>& out) ABSL_LOCKS_EXCLUDED(mu_);

  // Outbox::Close() refuses further pushes; frames already queued are still taken.
  void Close() ABSL_LOCKS_EXCLUDED(mu_);

  // Outbox::CloseWith() queues `last` even past the byte bound (but not after Abort()),
  // then closes: a farewell that a full queue must not crowd out.
  void CloseWith(Frame last) ABSL_LOCKS_EXCLUDED(mu_);

  // Outbox::Abort() closes and discards what is queued: the writer exits at once.
  void Abort() ABSL_LOCKS_EXCLUDED(mu_);

  // Waker: a followed room has new events.
  void Wake() override ABSL_LOCKS_EXCLUDED(mu_);

  size_t queued_bytes() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  static size_t Charge(const Frame& frame);
  // Charges `charge` bytes if they fit; closes the outbox on overflow.
  PushResult ReserveLocked(size_t charge) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  uint64_t StampLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool ReadyToTake() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t max_bytes_;
  mutable absl::Mutex mu_;
  std::deque<Frame> frames_ ABSL_GUARDED_BY(mu_);
  size_t bytes_ ABSL_GUARDED_BY(mu_) = 0;  // queued + in flight
  size_t in_flight_bytes_ ABSL_GUARDED_BY(mu_) = 0;  // taken, not yet written
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool aborted_ ABSL_GUARDED_BY(mu_) = false;
  bool woken_ ABSL_GUARDED_BY(mu_) = false;
  // The end of the room the writer will be following when it reaches the next frame.
  std::shared_ptr<const std::atomic<uint64_t>> end_seq_ ABSL_GUARDED_BY(mu_);
};

}  // namespace chat

#endif  // CHAT_OUTBOX_H_
