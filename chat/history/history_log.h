// chat/history/history_log.h: durable chat history, an append-only file of chat lines.
//
// Defines:
//   FsyncPolicy          - when appended lines are forced to disk: always, batch, never.
//   ParseFsyncPolicy     - "always" | "batch" | "never" -> FsyncPolicy (for a flag).
//   FsyncPolicyName      - the inverse, for logs.
//   HistoryLogOptions    - fsync policy, batch interval, fsync-latency callback.
//   LoadResult           - what HistoryLog::Load() read: the newest records per room.
//   HistoryLog           - the writer (Open, Append, Flush) and the reader (Load).
//
// The file format is documented in chat/history/history_codec.h.
//
// Future work: bound the file's growth. It only grows now; a later version can rotate it
// or rewrite it keeping the newest records per room (write a new file, fsync it, rename it
// over the old one, fsync the directory).

#ifndef CHAT_HISTORY_HISTORY_LOG_H_
#define CHAT_HISTORY_HISTORY_LOG_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "chat/history/history_codec.h"

namespace chat::history {

// FsyncPolicy says when appended lines are forced from the kernel's page cache to disk.
// Every policy survives the server process dying (kill -9, a crash): Append() has
// written the line into the file before it returns. The policies differ on a machine
// crash or power loss. "fsync" here is fdatasync(2), which also makes the file's new
// length durable, so it is all an append-only file needs.
enum class FsyncPolicy {
  // Append() returns only after an fsync that began after its line was written: nothing
  // Append() acknowledged is lost. One fsync per append; concurrent appenders may share
  // one. Slowest: every chat line waits for the disk.
  kAlways,
  // Group commit (the default): a background thread fsyncs whenever lines were appended
  // since the last fsync, but at most once per `batch_interval`. A power loss can lose
  // about the last batch_interval of lines (plus one fsync's duration); one fsync covers
  // every line appended in that interval, and Append() never waits for the disk.
  kBatch,
  // Never fsync (except on an explicit Flush()): the kernel writes back when it chooses,
  // within about 30 s on a default Linux.
  kNever,
};

// ParseFsyncPolicy() accepts exactly "always", "batch" or "never".
absl::StatusOr<FsyncPolicy> ParseFsyncPolicy(std::string_view text);

// FsyncPolicyName() returns "always", "batch" or "never".
std::string_view FsyncPolicyName(FsyncPolicy policy);

struct HistoryLogOptions {
  FsyncPolicy fsync_policy = FsyncPolicy::kBatch;

  // kBatch only: the least time between two background fsyncs. Zero means fsync as soon
  // as anything was appended (bursts still share one).
  absl::Duration batch_interval = absl::Milliseconds(100);

  // If set, called with the duration of every fdatasync(2) call on appended lines,
  // successful or not (see fsync_errors()); for a latency histogram. It runs on whichever
  // thread did the fsync (an Append() caller under kAlways, the background thread under
  // kBatch, a Flush() caller, the destructor), possibly on several threads at once, and
  // with no HistoryLog lock held; it must be thread-safe, quick, and must not call back
  // into the HistoryLog. It must outlive the HistoryLog.
  std::function<void(absl::Duration)> on_fsync;
};

// LoadResult is a history file as read back by HistoryLog::Load().
struct LoadResult {
  // Per room, the newest `per_room_limit` records in file order, which is Append() order
  // (the records' times are whatever the writer stored; they are not re-sorted).
  std::map<std::string, std::deque<HistoryRecord>> rooms;
  // Valid record lines read, including those older than the per-room limit.
  int64_t records_loaded = 0;
  // Records kept in `rooms`.
  int64_t records_retained = 0;
  // Complete lines that were not valid records (see history_codec.h), skipped.
  int64_t corrupt_lines_skipped = 0;
  // The file ended in a partial line, a write torn by a crash (or one still in progress
  // if a server is appending right now); it was skipped and is not counted as corrupt.
  bool torn_tail = false;
};

// HistoryLog appends chat records to a history file, one line each, and reads them back.
//
// Threading: thread-safe. Append() may be called from any number of threads at once;
// each record's line is written whole, with one write(2) (continued after a partial
// write or EINTR) under an internal mutex, so lines never interleave. Order: lines appear
// in the file in the order their Append() calls took that mutex; a caller that needs an
// order (a room's order of lines) calls Append() while holding its own lock, and the file
// then has that order. fsyncs run outside the mutex, so under kBatch an Append() never
// waits for an fsync.
//
// One HistoryLog per file: Open() takes an exclusive flock(2) on the file, released when
// the HistoryLog is destroyed or the process dies, so a second server started by mistake
// on the same file fails to open it instead of interleaving with the first.
//
// Example (the server):
//   absl::StatusOr<LoadResult> old = HistoryLog::Load(path, history_size);
//   if (!old.ok()) return old.status();
//   ... seed each room from old->rooms; log old->corrupt_lines_skipped, old->torn_tail ...
//   absl::StatusOr<std::unique_ptr<HistoryLog>> log = HistoryLog::Open(path, options);
//   if (!log.ok()) return log.status();
//   // In the room, under the room's lock, before broadcasting the line:
//   if (absl::Status s = (*log)->Append({room, now, name, text}); !s.ok()) {
//     LOG(ERROR) << s;  // count it, and still broadcast: the chat goes on without history
//   }
class HistoryLog {
 public:
  // HistoryLog::Open() opens `path` for appending (O_WRONLY|O_APPEND|O_CLOEXEC), creating
  // it with mode 0640 (less the umask) and the version header if it is missing or empty.
  // Errors: the open(2) error (e.g. NotFound for a missing directory, PermissionDenied;
  // a FIFO without a reader fails here too, instead of blocking); FailedPrecondition if
  // the file is not a regular file, not a version-1 history file, or open by another
  // HistoryLog; InvalidArgument for a negative batch_interval.
  //
  // An existing file is never rewritten, with one exception: if it holds only part of
  // the header (the process died while creating it), it is emptied and the header written
  // again. If it ends in a partial line (the process died mid-write, or the disk filled),
  // the first Append() ends that line with kTornLineTerminator (history_codec.h).
  // A new file is made durable (file and directory fsynced) unless the policy is kNever.
  static absl::StatusOr<std::unique_ptr<HistoryLog>> Open(const std::string& path,
                                                          HistoryLogOptions options = {});

  // HistoryLog::Load() reads the history file at `path`: per room the newest
  // `per_room_limit` records, in file order. A missing file is an empty result, not an
  // error. Corrupt lines are skipped, counted and logged (line numbers and reasons, never
  // their contents); a partial last line is skipped and flagged. Errors only when the file
  // cannot be read at all (the open(2)/read(2) error) or has another format or version
  // (FailedPrecondition).
  //
  // Memory is bounded whatever the file's size: it streams the file, holds one line
  // (at most kMaxLineBytes) and the records kept, (number of rooms) x per_room_limit.
  // Safe to call while a HistoryLog appends to the same file, even in another process; it
  // sees a prefix of the file (whose last line may look torn).
  static absl::StatusOr<LoadResult> Load(const std::string& path, size_t per_room_limit);

  HistoryLog(const HistoryLog&) = delete;
  HistoryLog& operator=(const HistoryLog&) = delete;

  // Stops the background thread, fsyncs what is not yet durable (unless kNever) and closes
  // the file. An fsync error here is only logged; call Flush() first to see it.
  ~HistoryLog();

  // HistoryLog::Append() writes `record` as one line at the end of the file. OK means the
  // whole line is in the file (and, under kAlways, on disk). Otherwise:
  //   - the line could not be written (an I/O error such as ResourceExhausted for ENOSPC,
  //     or InvalidArgument if its line would exceed kMaxLineBytes): nothing of it will be
  //     read back (a partial line is ended as corrupt, see Open()); counted in
  //     write_errors(). Later appends are unaffected and may well succeed.
  //   - kAlways only: the line was written but its fsync failed; counted in
  //     fsync_errors(). It survives a process crash but may not survive a power loss.
  // The caller decides what an error means; the server logs it, counts it and still
  // broadcasts the line, since losing history should not stop the chat.
  absl::Status Append(const HistoryRecord& record) ABSL_LOCKS_EXCLUDED(mu_);

  // HistoryLog::Flush() makes every line appended before the call durable: it fsyncs,
  // unless a concurrent fsync already covers them or there is nothing new. Works under
  // every policy (under kNever it is the only fsync). Returns the fsync's error, if any.
  absl::Status Flush() ABSL_LOCKS_EXCLUDED(mu_);

  // Counters, each a snapshot.
  int64_t records_appended() const ABSL_LOCKS_EXCLUDED(mu_);  // successful Append()s
  // Append()s that failed to write their line (it will not be read back).
  int64_t write_errors() const ABSL_LOCKS_EXCLUDED(mu_);
  int64_t fsyncs() const ABSL_LOCKS_EXCLUDED(mu_);        // successful fsyncs
  int64_t fsync_errors() const ABSL_LOCKS_EXCLUDED(mu_);  // failed fsyncs
  // Lines written but not yet covered by a successful fsync.
  int64_t unsynced_records() const ABSL_LOCKS_EXCLUDED(mu_);

  const std::string& path() const { return path_; }
  FsyncPolicy fsync_policy() const { return options_.fsync_policy; }

 private:
  using SteadyTime = std::chrono::steady_clock::time_point;

  HistoryLog(std::string path, int fd, HistoryLogOptions options, bool partial_line);

  // Makes every line up to number `seq` (1-based, in file order) durable: returns at once
  // if an fsync already covered it, waits for an fsync in progress, or runs one itself.
  absl::Status SyncThrough(int64_t seq) ABSL_LOCKS_EXCLUDED(mu_);

  // The kBatch background thread's body.
  void FlushLoop(std::stop_token stop) ABSL_LOCKS_EXCLUDED(mu_);

  bool NoSyncRunning() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !sync_running_; }
  bool FlusherHasWork() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stopping_ || appended_ > synced_;
  }
  bool Stopping() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; }

  const std::string path_;
  const int fd_;  // written under mu_; fdatasync'ed outside it
  const HistoryLogOptions options_;

  mutable absl::Mutex mu_;
  // The file may end in a partial line: the next Append() first writes
  // kTornLineTerminator.
  bool partial_line_ ABSL_GUARDED_BY(mu_);
  int64_t appended_ ABSL_GUARDED_BY(mu_) = 0;       // lines written; the last one's number
  int64_t synced_ ABSL_GUARDED_BY(mu_) = 0;         // lines 1..synced_ are durable
  bool sync_running_ ABSL_GUARDED_BY(mu_) = false;  // one fdatasync at a time
  int64_t write_errors_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t fsyncs_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t fsync_errors_ ABSL_GUARDED_BY(mu_) = 0;
  // When the last fsync attempt ended; under kBatch the next waits batch_interval from it.
  SteadyTime last_sync_end_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;  // the background thread should exit

  // Declared last: it runs FlushLoop(), which uses every member above.
  std::jthread flusher_;
};

}  // namespace chat::history

#endif  // CHAT_HISTORY_HISTORY_LOG_H_
