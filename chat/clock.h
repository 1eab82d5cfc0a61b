// chat/clock.h: the time source, injected so that timestamps can be tested exactly.
//
// Defines:
//   Clock      - interface: Now().
//   RealClock  - the system clock.
// A FakeClock for tests lives in chat/testing/fake_clock.h.

#ifndef CHAT_CLOCK_H_
#define CHAT_CLOCK_H_

#include "absl/time/time.h"

namespace chat {

// Clock tells the wall-clock time used in chat timestamps. Implementations are
// thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

// RealClock reads the system clock. Thread-safe; stateless.
class RealClock final : public Clock {
 public:
  absl::Time Now() const override;

  // RealClock::Default() returns a process-wide instance.
  static const RealClock& Default();
};

}  // namespace chat

#endif  // CHAT_CLOCK_H_
