#include "chat/identity/password.h"

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <iterator>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace chat::identity {
namespace {

// sodium_init() is thread-safe and idempotent, but it picks implementations and seeds
// the random generator: doing it once, before the first hash, is all that is needed.
bool SodiumReady() {
  static const bool ready = sodium_init() >= 0;
  return ready;
}

// libsodium reads a hash string as a NUL-terminated buffer of crypto_pwhash_STRBYTES.
// A stored string is copied into one, so a short or unterminated input is never over-read.
bool ToHashBuffer(std::string_view hash, char (&buffer)[crypto_pwhash_STRBYTES]) {
  if (hash.size() >= sizeof(buffer) || hash.find('\0') != std::string_view::npos) return false;
  std::memset(buffer, 0, sizeof(buffer));
  std::memcpy(buffer, hash.data(), hash.size());
  return true;
}

// Holds a slot of the process-wide HashingSlots for its lifetime, if it got one.
class Slot {
 public:
  explicit Slot(bool bounded) : held_(HashingSlots::Global().Acquire(bounded)) {}
  ~Slot() {
    if (held_) HashingSlots::Global().Release();
  }
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;
  bool held() const { return held_; }

 private:
  const bool held_;
};

absl::Status Busy() {
  return absl::DeadlineExceededError("no password hashing slot became free in time");
}

}  // namespace

PasswordOptions PasswordOptions::Interactive() {
  // OWASP Password Storage Cheat Sheet: Argon2id, m=19 MiB, t=2, p=1.
  return {2, size_t{19} << 20};
}

HashingSlots& HashingSlots::Global() {
  // Two slots: the cores this project targets. 10 s: a person would rather hear "busy".
  static HashingSlots* const slots = new HashingSlots(2, absl::Seconds(10));
  return *slots;
}

void HashingSlots::SetLimit(int limit) {
  absl::MutexLock lock(&mu_);
  limit_ = limit;
  peak_ = in_progress_;
}

void HashingSlots::SetMaxWait(absl::Duration max_wait) {
  absl::MutexLock lock(&mu_);
  max_wait_ = max_wait;
}

bool HashingSlots::Acquire(bool bounded) {
  absl::MutexLock lock(&mu_);
  const uint64_t ticket = next_ticket_++;
  queue_.push_back(ticket);
  const auto mine = std::prev(queue_.end());
  // Re-evaluated by the mutex whenever the state changes: a release, a caller leaving the
  // queue, a new limit.
  const auto my_turn = [this, ticket]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return queue_.front() == ticket && HasRoom();
  };
  const absl::Condition condition(&my_turn);
  const bool got = bounded && max_wait_ > absl::ZeroDuration()
                       ? mu_.AwaitWithTimeout(condition, max_wait_)
                       : (mu_.Await(condition), true);
  queue_.erase(mine);
  if (!got) return false;
  ++in_progress_;
  peak_ = std::max(peak_, in_progress_);
  return true;
}

void HashingSlots::Release() {
  absl::MutexLock lock(&mu_);
  --in_progress_;
}

int HashingSlots::waiting() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(queue_.size());
}

int HashingSlots::peak() const {
  absl::MutexLock lock(&mu_);
  return peak_;
}

void LimitConcurrentHashing(int max_hashes) { HashingSlots::Global().SetLimit(max_hashes); }

void LimitHashingWait(absl::Duration max_wait) { HashingSlots::Global().SetMaxWait(max_wait); }

int PeakConcurrentHashes() { return HashingSlots::Global().peak(); }

PasswordOptions PasswordOptions::FastForTests() {
  return {crypto_pwhash_argon2id_OPSLIMIT_MIN, crypto_pwhash_argon2id_MEMLIMIT_MIN};
}

std::optional<std::string> ValidatePassword(std::string_view password) {
  if (password.size() < kMinPasswordBytes) {
    return absl::StrCat("Password is too short (at least ", kMinPasswordBytes, " bytes).");
  }
  if (password.size() > kMaxPasswordBytes) {
    return absl::StrCat("Password is too long (at most ", kMaxPasswordBytes, " bytes).");
  }
  return std::nullopt;
}

absl::StatusOr<std::string> HashPassword(std::string_view password,
                                         const PasswordOptions& options) {
  if (!SodiumReady()) return absl::InternalError("libsodium failed to initialise");
  char out[crypto_pwhash_STRBYTES];
  const Slot slot(/*bounded=*/true);
  if (!slot.held()) return Busy();
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), options.ops_limit,
                            options.mem_limit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    // The only failures are costs out of range and memory that cannot be had; the
    // password is never part of the message.
    return absl::ResourceExhaustedError(
        absl::StrCat("Argon2id hashing failed (ops_limit ", options.ops_limit, ", mem_limit ",
                     options.mem_limit, ")"));
  }
  return std::string(out);
}

namespace {

absl::StatusOr<bool> Verify(std::string_view password, std::string_view hash, bool bounded) {
  // No account has a longer password (ValidatePassword refuses it), so a longer one
  // cannot match: refusing it unhashed keeps a client's line length out of the cost.
  if (password.size() > kMaxPasswordBytes) return false;
  if (!SodiumReady()) return false;
  char buffer[crypto_pwhash_STRBYTES];
  if (!ToHashBuffer(hash, buffer)) return false;
  const Slot slot(bounded);
  if (!slot.held()) return Busy();
  return crypto_pwhash_str_verify(buffer, password.data(), password.size()) == 0;
}

}  // namespace

bool VerifyPassword(std::string_view password, std::string_view hash) {
  return *Verify(password, hash, /*bounded=*/false);
}

absl::StatusOr<bool> TryVerifyPassword(std::string_view password, std::string_view hash) {
  return Verify(password, hash, /*bounded=*/true);
}

bool NeedsRehash(std::string_view hash, const PasswordOptions& options) {
  if (!SodiumReady()) return true;
  char buffer[crypto_pwhash_STRBYTES];
  if (!ToHashBuffer(hash, buffer)) return true;
  // The generic call would also accept an Argon2i hash with the right costs; only
  // Argon2id's own check insists on the algorithm.
  return crypto_pwhash_argon2id_str_needs_rehash(buffer, options.ops_limit,
                                                 options.mem_limit) != 0;
}

}  // namespace chat::identity
