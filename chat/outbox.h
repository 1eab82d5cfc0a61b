// chat/outbox.h: the bounded queue between a room and one client's writer thread.
//
// Defines:
//   SharedText - an immutable, shareable line (one allocation for all recipients).
//   Frame      - one thing to write: raw bytes, a history line, an event, or a prompt.
//   Outbox     - a bounded multi-producer, single-consumer queue of frames.

#ifndef CHAT_OUTBOX_H_
#define CHAT_OUTBOX_H_

#include <cstddef>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace chat {

using SharedText = std::shared_ptr<const std::string>;

inline SharedText MakeShared(std::string text) {
  return std::make_shared<const std::string>(std::move(text));
}

// Frame is one unit of output. The writer turns it into bytes at send time, because an
// event ends with the recipient's own prompt, stamped when it is drawn.
struct Frame {
  enum class Kind {
    kRaw,      // `text` exactly as given (banner, error lines)
    kHistory,  // `text` + "\n" (replayed to a late joiner)
    kEvent,    // "\n" + `text` + "\n" + fresh prompt (a message, join or leave)
    kPrompt,   // fresh prompt only (`text` unused)
  };
  Kind kind;
  SharedText text;
};

// Outbox queues frames for one client. Producers (any thread, possibly while holding a
// Room lock) never block: Push() either queues or reports that the client is too far
// behind. The single consumer, the client's writer thread, blocks in Take().
//
// Memory bound: every frame is charged its text plus kFrameOverheadBytes against
// `max_bytes`, from Push() until the writer comes back for more (so including the batch
// it is writing). History replayed to a newcomer is charged too: a history line shares
// the room's string, but the room may drop that line while this queue still holds it, so
// the queue is what keeps it alive. A `max_bytes` of 0 means no bound.
//
// Lock order: Room's mutex, then Outbox::mu_. Outbox never calls out while locked.
// Thread-safe.
class Outbox {
 public:
  enum class PushResult { kQueued, kOverflow, kClosed };

  // Charged per queued frame on top of its text: the frame itself and the prompt it
  // expands to. Without it, a client that floods empty lines and never reads could queue
  // unboundedly many zero-byte prompt frames.
  static constexpr size_t kFrameOverheadBytes = 64;

  explicit Outbox(size_t max_bytes) : max_bytes_(max_bytes) {}
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  // Outbox::Push() queues `frames` all or nothing, so a multi-frame delivery (history
  // then prompt) is never split by another producer. kOverflow: over the byte bound,
  // nothing queued and the outbox is closed, so everything after is refused too;
  // kClosed: the outbox was already closed.
  PushResult Push(std::vector<Frame> frames) ABSL_LOCKS_EXCLUDED(mu_);
  PushResult Push(Frame frame) ABSL_LOCKS_EXCLUDED(mu_);

  // Outbox::Take() waits until frames are queued or the outbox is closed, then moves
  // every queued frame into `out` (replacing its contents). Returns false once the
  // outbox is closed and drained: the writer should exit.
  bool Take(std::vector<Frame>& out) ABSL_LOCKS_EXCLUDED(mu_);

  // Outbox::TakeMore() appends whatever is queued now to `out`, without waiting: lets a
  // writer that just woke up collect what arrived meanwhile into the same send.
  void TakeMore(std::vector<Frame>& out) ABSL_LOCKS_EXCLUDED(mu_);

  // Outbox::Close() refuses further pushes; frames already queued are still taken.
  void Close() ABSL_LOCKS_EXCLUDED(mu_);

  // Outbox::CloseWith() queues `last` even past the byte bound (but not after Abort()),
  // then closes: a farewell that a full queue must not crowd out.
  void CloseWith(Frame last) ABSL_LOCKS_EXCLUDED(mu_);

  // Outbox::Abort() closes and discards what is queued: the writer exits at once.
  void Abort() ABSL_LOCKS_EXCLUDED(mu_);

  size_t queued_bytes() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  static size_t Charge(const Frame& frame);
  // Charges `charge` bytes if they fit; closes the outbox on overflow.
  PushResult ReserveLocked(size_t charge) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool ReadyToTake() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t max_bytes_;
  mutable absl::Mutex mu_;
  std::deque<Frame> frames_ ABSL_GUARDED_BY(mu_);
  size_t bytes_ ABSL_GUARDED_BY(mu_) = 0;  // queued + in flight
  size_t in_flight_bytes_ ABSL_GUARDED_BY(mu_) = 0;  // taken, not yet written
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool aborted_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace chat

#endif  // CHAT_OUTBOX_H_
