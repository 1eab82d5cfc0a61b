#include "chat/clock.h"

#include "absl/time/clock.h"

namespace chat {

absl::Time RealClock::Now() const { return absl::Now(); }

const RealClock& RealClock::Default() {
  static const RealClock clock;
  return clock;
}

}  // namespace chat
