// chat/motd.h: the message of the day (--motd_file), shown to each client after login.
//
// Defines:
//   kMaxMotdBytes - the largest message of the day file accepted.
//   ReadMotdFile  - reads and sanitises a message of the day file.
//   Motd          - the message in force, replaceable while clients read it (SIGHUP).

#ifndef CHAT_MOTD_H_
#define CHAT_MOTD_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace chat {

// Bigger than any greeting needs, small enough that sending it to every login costs
// nothing worth limiting.
inline constexpr size_t kMaxMotdBytes = 4096;

// SanitizeMotd() makes file text safe to show: each line (split at "\n", one "\r"
// before it dropped) is sanitised like a chat line (chat/sanitize.h), and blank lines at
// the end are dropped. Empty: nothing to show.
std::string SanitizeMotd(std::string_view text);

// ReadMotdFile() reads `path` (at most `max_bytes`) and sanitises it. An error names the
// file and says what is wrong (unreadable, too big), for the operator.
absl::StatusOr<std::string> ReadMotdFile(const std::string& path,
                                         size_t max_bytes = kMaxMotdBytes);

// Motd holds the message of the day. Readers get an immutable snapshot, so a reload
// never changes text a writer is sending. Thread-safe.
class Motd {
 public:
  // Motd::Set() replaces the message; empty: none.
  void Set(std::string text) ABSL_LOCKS_EXCLUDED(mu_);
  // Motd::Get() returns the message, or null when there is none.
  std::shared_ptr<const std::string> Get() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  mutable absl::Mutex mu_;
  std::shared_ptr<const std::string> text_ ABSL_GUARDED_BY(mu_);
};

}  // namespace chat

#endif  // CHAT_MOTD_H_
