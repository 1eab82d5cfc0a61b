#include "chat/identity/password.h"

#include <sodium.h>

#include <algorithm>
#include <cstring>

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

// The process-wide slots for hashes in progress (see password.h).
class HashingSlots {
 public:
  static HashingSlots& Get() {
    static HashingSlots* const slots = new HashingSlots();
    return *slots;
  }

  void SetLimit(int limit) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    limit_ = limit;
    peak_ = in_progress_;
  }

  int peak() const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    return peak_;
  }

  // Holds a slot for its lifetime.
  class Slot {
   public:
    explicit Slot(HashingSlots& slots) : slots_(slots) { slots_.Acquire(); }
    ~Slot() { slots_.Release(); }
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;

   private:
    HashingSlots& slots_;
  };

 private:
  void Acquire() ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(this, &HashingSlots::HasRoom));
    ++in_progress_;
    peak_ = std::max(peak_, in_progress_);
  }
  void Release() ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    --in_progress_;
  }
  bool HasRoom() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return limit_ <= 0 || in_progress_ < limit_;
  }

  mutable absl::Mutex mu_;
  int limit_ ABSL_GUARDED_BY(mu_) = 2;
  int in_progress_ ABSL_GUARDED_BY(mu_) = 0;
  int peak_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace

PasswordOptions PasswordOptions::Interactive() {
  // OWASP Password Storage Cheat Sheet: Argon2id, m=19 MiB, t=2, p=1.
  return {2, size_t{19} << 20};
}

void LimitConcurrentHashing(int max_hashes) { HashingSlots::Get().SetLimit(max_hashes); }

int PeakConcurrentHashes() { return HashingSlots::Get().peak(); }

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
  const HashingSlots::Slot slot(HashingSlots::Get());
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

bool VerifyPassword(std::string_view password, std::string_view hash) {
  if (!SodiumReady()) return false;
  char buffer[crypto_pwhash_STRBYTES];
  if (!ToHashBuffer(hash, buffer)) return false;
  const HashingSlots::Slot slot(HashingSlots::Get());
  return crypto_pwhash_str_verify(buffer, password.data(), password.size()) == 0;
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
