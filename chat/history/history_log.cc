#include "chat/history/history_log.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "chat/scoped_fd.h"
#include "glog/logging.h"

namespace chat::history {
namespace {

// Load() reads the file in chunks of this size.
constexpr size_t kReadChunkBytes = 64 << 10;

// Load() logs at most this many skipped lines one by one, then only a total, so that a
// badly damaged file does not flood the log.
constexpr int64_t kMaxLineWarnings = 20;

// After a failed fsync the background thread waits at least this long before retrying,
// even with a zero batch_interval, rather than spin on a failing disk.
constexpr absl::Duration kRetryAfterFsyncError = absl::Seconds(1);

// The header line without its newline, for messages.
constexpr std::string_view kHeaderLine = kHistoryHeader.substr(0, kHistoryHeader.size() - 1);

absl::Status ErrnoError(int error, std::string_view what, std::string_view path) {
  return absl::ErrnoToStatus(error, absl::StrCat(what, " ", path));
}

// WriteFully() writes all of `data` to `fd`, continuing after partial writes and EINTR.
// `written` is how many bytes were written, also on error.
absl::Status WriteFully(int fd, std::string_view data, std::string_view path, size_t& written) {
  written = 0;
  while (written < data.size()) {
    const ssize_t n = ::write(fd, data.data() + written, data.size() - written);
    if (n > 0) {
      written += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      // write(2) of a non-zero count returns 0 only if it can make no progress at all;
      // call that an I/O error rather than loop on it.
      return ErrnoError(n < 0 ? errno : EIO, "write", path);
    }
  }
  return absl::OkStatus();
}

// PreadFully() reads up to `size` bytes at `offset`, fewer only at the end of the file.
absl::StatusOr<size_t> PreadFully(int fd, char* data, size_t size, off_t offset,
                                  std::string_view path) {
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::pread(fd, data + done, size - done, offset + static_cast<off_t>(done));
    if (n > 0) {
      done += static_cast<size_t>(n);
    } else if (n == 0) {
      break;
    } else if (errno != EINTR) {
      return ErrnoError(errno, "read", path);
    }
  }
  return done;
}

int FdatasyncRetryingEintr(int fd) {
  int rc;
  do {
    rc = ::fdatasync(fd);
  } while (rc != 0 && errno == EINTR);
  return rc;
}

// SyncDirectory() fsyncs the directory holding `path`, so that a newly created file's
// directory entry survives a power loss too.
absl::Status SyncDirectory(const std::string& path) {
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "."
                          : slash == 0               ? "/"
                                                     : path.substr(0, slash);
  ScopedFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoError(errno, "open directory", dir);
  if (::fsync(fd.get()) != 0) return ErrnoError(errno, "fsync directory", dir);
  return absl::OkStatus();
}

absl::Status OtherFormatError(HeaderKind kind, std::string_view path) {
  if (kind == HeaderKind::kOtherVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        path, " is a history file of another format version; this server reads and writes \"",
        kHeaderLine, "\""));
  }
  return absl::FailedPreconditionError(absl::StrCat(
      path, " is not a TCPChat history file: it does not start with \"", kHeaderLine, "\""));
}

// What Open() needs to know about a non-empty file before appending to it.
struct ExistingFile {
  HeaderKind header;
  bool ends_in_newline;
};

// InspectExisting() reads the start and the last byte of the non-empty file that `st`
// describes. It opens the file again for reading (the appending descriptor is
// write-only) and checks that it is the same file.
absl::StatusOr<ExistingFile> InspectExisting(const std::string& path, const struct stat& st) {
  ScopedFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (fd.get() < 0) return ErrnoError(errno, "open", path);
  struct stat read_st;
  if (::fstat(fd.get(), &read_st) != 0) return ErrnoError(errno, "stat", path);
  if (read_st.st_dev != st.st_dev || read_st.st_ino != st.st_ino) {
    return absl::AbortedError(absl::StrCat(path, " was replaced while being opened"));
  }
  std::string head(kHistoryHeader.size(), '\0');
  absl::StatusOr<size_t> head_size = PreadFully(fd.get(), head.data(), head.size(), 0, path);
  if (!head_size.ok()) return head_size.status();
  head.resize(*head_size);
  ExistingFile existing{ClassifyHeader(head), true};
  if (existing.header == HeaderKind::kValid) {
    char last = '\0';
    absl::StatusOr<size_t> n = PreadFully(fd.get(), &last, 1, st.st_size - 1, path);
    if (!n.ok()) return n.status();
    existing.ends_in_newline = *n == 1 && last == '\n';
  }
  return existing;
}

}  // namespace

absl::StatusOr<FsyncPolicy> ParseFsyncPolicy(std::string_view text) {
  if (text == "always") return FsyncPolicy::kAlways;
  if (text == "batch") return FsyncPolicy::kBatch;
  if (text == "never") return FsyncPolicy::kNever;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown fsync policy \"", text, "\"; want always, batch or never"));
}

std::string_view FsyncPolicyName(FsyncPolicy policy) {
  switch (policy) {
    case FsyncPolicy::kAlways:
      return "always";
    case FsyncPolicy::kBatch:
      return "batch";
    case FsyncPolicy::kNever:
      return "never";
  }
  return "unknown";
}

absl::StatusOr<std::unique_ptr<HistoryLog>> HistoryLog::Open(const std::string& path,
                                                             HistoryLogOptions options) {
  if (options.batch_interval < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("history batch_interval must not be negative");
  }
  // O_NONBLOCK only so that a FIFO at `path` fails below instead of hanging open(2); it
  // means nothing for a regular file, and is cleared once we know that is what this is.
  ScopedFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK, 0640));
  if (fd.get() < 0) return ErrnoError(errno, "open", path);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return ErrnoError(errno, "stat", path);
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(path, " is not a regular file"));
  }
  if (const int flags = ::fcntl(fd.get(), F_GETFL);
      flags < 0 || ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK) != 0) {
    return ErrnoError(errno, "fcntl", path);
  }
  // Two writers could interleave their repairs and records; make the second one fail.
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return absl::FailedPreconditionError(
          absl::StrCat(path,
                       " is already open for appending (by another HistoryLog, "
                       "perhaps in another server process)"));
    }
    return ErrnoError(errno, "flock", path);
  }
  // The size read above may predate the lock; read it again now that no other HistoryLog
  // can append.
  if (::fstat(fd.get(), &st) != 0) return ErrnoError(errno, "stat", path);

  bool write_header = st.st_size == 0;
  bool partial_line = false;
  if (st.st_size > 0) {
    absl::StatusOr<ExistingFile> existing = InspectExisting(path, st);
    if (!existing.ok()) return existing.status();
    switch (existing->header) {
      case HeaderKind::kValid:
        if (!existing->ends_in_newline) {
          // Not truncated away: the bytes stay for anyone investigating, and the first
          // Append() ends the line so that it reads back as one corrupt line.
          LOG(WARNING) << "history " << path
                       << " ends in a partial line, a write torn by a crash; it will be "
                          "skipped as corrupt";
          partial_line = true;
        }
        break;
      case HeaderKind::kIncomplete:
        // Only part of the header, so no records: the process died creating the file.
        LOG(WARNING) << "history " << path << " holds only " << st.st_size
                     << " bytes of its header; writing it again";
        if (::ftruncate(fd.get(), 0) != 0) return ErrnoError(errno, "truncate", path);
        write_header = true;
        break;
      case HeaderKind::kOtherVersion:
      case HeaderKind::kForeign:
        return OtherFormatError(existing->header, path);
    }
  }
  if (write_header) {
    size_t written;
    if (absl::Status s = WriteFully(fd.get(), kHistoryHeader, path, written); !s.ok()) {
      return s;
    }
    if (options.fsync_policy != FsyncPolicy::kNever) {
      if (FdatasyncRetryingEintr(fd.get()) != 0) return ErrnoError(errno, "fdatasync", path);
      if (absl::Status s = SyncDirectory(path); !s.ok()) return s;
    }
  }
  return std::unique_ptr<HistoryLog>(
      new HistoryLog(path, fd.Release(), std::move(options), partial_line));
}

HistoryLog::HistoryLog(std::string path, int fd, HistoryLogOptions options, bool partial_line)
    : path_(std::move(path)),
      fd_(fd),
      options_(std::move(options)),
      partial_line_(partial_line),
      // The first background fsync waits a full interval from now, as if one just ran.
      last_sync_end_(std::chrono::steady_clock::now()) {
  if (options_.fsync_policy == FsyncPolicy::kBatch) {
    flusher_ = std::jthread([this](std::stop_token stop) { FlushLoop(std::move(stop)); });
  }
}

HistoryLog::~HistoryLog() {
  if (flusher_.joinable()) {
    flusher_.request_stop();
    flusher_.join();
  }
  if (options_.fsync_policy != FsyncPolicy::kNever) {
    if (absl::Status s = Flush(); !s.ok()) {
      LOG(ERROR) << "history " << path_ << ": final fsync failed: " << s;
    }
  }
  if (::close(fd_) != 0) {
    LOG(ERROR) << "history " << path_ << ": close failed: " << std::strerror(errno);
  }
}

absl::Status HistoryLog::Append(const HistoryRecord& record) {
  std::string line = EncodeRecord(record);  // outside the lock: it can be long
  int64_t seq;
  {
    absl::MutexLock lock(&mu_);
    if (line.size() > kMaxLineBytes) {
      ++write_errors_;
      return absl::InvalidArgumentError(absl::StrCat(
          "history record line of ", line.size(), " bytes is over the limit of ", kMaxLineBytes));
    }
    // End a partial line first, in the same write(2), or this record would be glued to
    // it and both would read back as one corrupt line.
    const size_t prefix = partial_line_ ? kTornLineTerminator.size() : 0;
    if (partial_line_) line.insert(0, kTornLineTerminator);
    size_t written = 0;
    if (absl::Status s = WriteFully(fd_, line, path_, written); !s.ok()) {
      ++write_errors_;
      // Some of this line but not all (or part of the terminator) reached the file: the
      // next Append() must end it. Exactly the terminator: the old partial line is ended.
      partial_line_ = written != prefix;
      return s;
    }
    partial_line_ = false;
    seq = ++appended_;
  }
  if (options_.fsync_policy == FsyncPolicy::kAlways) return SyncThrough(seq);
  return absl::OkStatus();
}

absl::Status HistoryLog::Flush() {
  int64_t seq;
  {
    absl::MutexLock lock(&mu_);
    seq = appended_;
  }
  return SyncThrough(seq);
}

absl::Status HistoryLog::SyncThrough(int64_t seq) {
  int64_t target;
  {
    absl::MutexLock lock(&mu_);
    // Group commit: while one fsync runs, later callers wait for it and then find their
    // line covered if it was written before that fsync began.
    while (true) {
      if (synced_ >= seq) return absl::OkStatus();
      if (!sync_running_) break;
      mu_.Await(absl::Condition(this, &HistoryLog::NoSyncRunning));
    }
    sync_running_ = true;
    target = appended_;  // every line written so far is covered by an fsync starting now
  }
  const SteadyTime start = std::chrono::steady_clock::now();
  const int rc = FdatasyncRetryingEintr(fd_);
  const int error = errno;
  const SteadyTime end = std::chrono::steady_clock::now();
  {
    absl::MutexLock lock(&mu_);
    sync_running_ = false;
    last_sync_end_ = end;
    if (rc == 0) {
      synced_ = std::max(synced_, target);
      ++fsyncs_;
    } else {
      // Linux may drop the failed pages' dirty state, so a later successful fsync does not
      // prove them durable; we only count and report it.
      ++fsync_errors_;
    }
  }
  if (options_.on_fsync) options_.on_fsync(absl::FromChrono(end - start));
  if (rc != 0) return ErrnoError(error, "fdatasync", path_);
  return absl::OkStatus();
}

void HistoryLog::FlushLoop(std::stop_token stop) {
  // request_stop() (from the destructor) sets stopping_ under mu_, which wakes the waits.
  std::stop_callback wake(stop, [this] {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  });
  int64_t failures_in_a_row = 0;
  while (true) {
    int64_t through;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(this, &HistoryLog::FlusherHasWork));
      // Let the rest of the interval pass, so that one fsync covers the whole burst.
      const absl::Duration least_gap =
          failures_in_a_row > 0 ? std::max(options_.batch_interval, kRetryAfterFsyncError)
                                : options_.batch_interval;
      const absl::Duration wait =
          least_gap - absl::FromChrono(std::chrono::steady_clock::now() - last_sync_end_);
      if (wait > absl::ZeroDuration()) {
        mu_.AwaitWithTimeout(absl::Condition(this, &HistoryLog::Stopping), wait);
      }
      if (stopping_) return;  // the destructor fsyncs what is left
      through = appended_;
    }
    if (absl::Status s = SyncThrough(through); s.ok()) {
      failures_in_a_row = 0;
    } else if (++failures_in_a_row % 100 == 1) {
      LOG(ERROR) << "history " << path_ << ": background fsync failed (" << failures_in_a_row
                 << " in a row): " << s;
    }
  }
}

absl::StatusOr<LoadResult> HistoryLog::Load(const std::string& path, size_t per_room_limit) {
  LoadResult result;
  // O_NONBLOCK so that a FIFO fails below instead of hanging open(2); it means nothing
  // for a regular file.
  ScopedFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (fd.get() < 0) {
    if (errno == ENOENT) return result;  // no history yet
    return ErrnoError(errno, "open", path);
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return ErrnoError(errno, "stat", path);
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(path, " is not a regular file"));
  }

  std::string head(kHistoryHeader.size(), '\0');
  absl::StatusOr<size_t> head_size = PreadFully(fd.get(), head.data(), head.size(), 0, path);
  if (!head_size.ok()) return head_size.status();
  head.resize(*head_size);
  switch (const HeaderKind kind = ClassifyHeader(head)) {
    case HeaderKind::kValid:
      break;
    case HeaderKind::kIncomplete:
      if (!head.empty()) {
        LOG(WARNING) << "history " << path
                     << " holds only part of its header, a write torn by a crash; no records";
        result.torn_tail = true;
      }
      return result;
    case HeaderKind::kOtherVersion:
    case HeaderKind::kForeign:
      return OtherFormatError(kind, path);
  }
  if (::lseek(fd.get(), static_cast<off_t>(kHistoryHeader.size()), SEEK_SET) < 0) {
    return ErrnoError(errno, "seek", path);
  }

  int64_t line_number = 1;  // the header
  auto skip = [&](std::string_view why) {
    if (++result.corrupt_lines_skipped <= kMaxLineWarnings) {
      LOG(WARNING) << "history " << path << ": skipped corrupt line " << line_number << ": " << why;
    }
  };
  auto take_line = [&](std::string_view line) {
    absl::StatusOr<HistoryRecord> record = DecodeRecord(line);
    if (!record.ok()) {
      skip(record.status().message());
      return;
    }
    ++result.records_loaded;
    if (per_room_limit == 0) return;
    std::deque<HistoryRecord>& room = result.rooms[record->room];
    room.push_back(*std::move(record));
    if (room.size() > per_room_limit) room.pop_front();
  };

  std::vector<char> buffer(kReadChunkBytes);
  std::string partial;    // the start of a line that goes on in the next chunk
  bool overlong = false;  // the current line is over kMaxLineBytes: drop it to its end
  while (true) {
    const ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, "read", path);
    }
    if (n == 0) break;
    std::string_view chunk(buffer.data(), static_cast<size_t>(n));
    while (!chunk.empty()) {
      const size_t newline = chunk.find('\n');
      const bool line_ends = newline != std::string_view::npos;
      const std::string_view piece = chunk.substr(0, newline);
      chunk.remove_prefix(line_ends ? newline + 1 : chunk.size());
      // A line's bytes plus its "\n" may be at most kMaxLineBytes.
      if (!overlong && partial.size() + piece.size() >= kMaxLineBytes) {
        overlong = true;
        partial.clear();
      }
      if (!line_ends) {
        if (!overlong) partial.append(piece);
        continue;
      }
      ++line_number;
      if (overlong) {
        skip(absl::StrCat("longer than ", kMaxLineBytes, " bytes"));
        overlong = false;
      } else if (partial.empty()) {
        take_line(piece);  // the common case: the whole line is in this chunk
      } else {
        partial.append(piece);
        take_line(partial);
        partial.clear();
      }
    }
  }
  if (overlong || !partial.empty()) {
    LOG(WARNING) << "history " << path << ": line " << line_number + 1
                 << " has no newline at the end of the file, a write torn by a crash (or "
                    "still in progress); skipped";
    result.torn_tail = true;
  }
  if (result.corrupt_lines_skipped > kMaxLineWarnings) {
    LOG(WARNING) << "history " << path << ": skipped " << result.corrupt_lines_skipped
                 << " corrupt lines in all (the first " << kMaxLineWarnings << " are listed)";
  }
  for (const auto& [room, records] : result.rooms) {
    result.records_retained += static_cast<int64_t>(records.size());
  }
  return result;
}

int64_t HistoryLog::records_appended() const {
  absl::MutexLock lock(&mu_);
  return appended_;
}

int64_t HistoryLog::write_errors() const {
  absl::MutexLock lock(&mu_);
  return write_errors_;
}

int64_t HistoryLog::fsyncs() const {
  absl::MutexLock lock(&mu_);
  return fsyncs_;
}

int64_t HistoryLog::fsync_errors() const {
  absl::MutexLock lock(&mu_);
  return fsync_errors_;
}

int64_t HistoryLog::unsynced_records() const {
  absl::MutexLock lock(&mu_);
  return appended_ - synced_;
}

}  // namespace chat::history
