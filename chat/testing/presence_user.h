// chat/testing/presence_user.h: one user as a presence record describes it, for the
// codec's tests and the Redis-backed Presence's tests alike.

#ifndef CHAT_TESTING_PRESENCE_USER_H_
#define CHAT_TESTING_PRESENCE_USER_H_

#include "absl/time/time.h"
#include "chat/name_registry.h"

namespace chat::testing {

// When Alice connected (the tests' fake clock starts here too).
inline const absl::Time kPresenceStart = absl::FromUnixSeconds(1'800'000'000);

// Alice, registered, in general, away for lunch, from a documentation address.
inline UserInfo Alice() {
  UserInfo info;
  info.name = "Alice";
  info.room = "general";
  info.connected_at = kPresenceStart;
  info.last_line_at = kPresenceStart + absl::Minutes(3);
  info.away = "lunch";
  info.address = "192.0.2.7:5678";
  info.registered = true;
  return info;
}

}  // namespace chat::testing

#endif  // CHAT_TESTING_PRESENCE_USER_H_
