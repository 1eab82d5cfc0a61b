#include "chat/history/history_log.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "chat/history/history_codec.h"
#include "chat/testing/test_files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace chat::history {

// For readable failures; the escaped form shows every byte.
void PrintTo(const HistoryRecord& record, std::ostream* os) {
  *os << "{" << absl::ToUnixMicros(record.time) << " room=\"" << EscapeField(record.room)
      << "\" name=\"" << EscapeField(record.name) << "\" text=\"" << EscapeField(record.text)
      << "\"}";
}

void PrintTo(FsyncPolicy policy, std::ostream* os) { *os << FsyncPolicyName(policy); }

namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;
using ::testing::SizeIs;

HistoryRecord Record(std::string room, int64_t micros, std::string name, std::string text) {
  return HistoryRecord{std::move(room), absl::FromUnixMicros(micros), std::move(name),
                       std::move(text)};
}

using testing::ReadFile;

void WriteFile(const std::string& path, std::string_view contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  ASSERT_TRUE(out.good());
}

void AppendToFile(const std::string& path, std::string_view contents) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  ASSERT_TRUE(out.good());
}

HistoryLogOptions Never() {
  HistoryLogOptions options;
  options.fsync_policy = FsyncPolicy::kNever;
  return options;
}

// Counts on_fsync calls; the callback may run on any thread.
class FsyncCounter {
 public:
  std::function<void(absl::Duration)> Callback() {
    return [this](absl::Duration latency) {
      absl::MutexLock lock(&mu_);
      EXPECT_GE(latency, absl::ZeroDuration());
      ++calls_;
    };
  }
  int calls() const {
    absl::MutexLock lock(&mu_);
    return calls_;
  }
  // Waits (bounded only by the test's timeout) until there were at least `n` calls.
  void AwaitCalls(int n) const {
    absl::MutexLock lock(&mu_);
    auto reached = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return calls_ >= n; };
    mu_.Await(absl::Condition(&reached));
  }

 private:
  mutable absl::Mutex mu_;
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
};

class HistoryLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Parameterized tests' names have a '/'.
    path_ = absl::StrCat(
        ::testing::TempDir(), "/",
        absl::StrReplaceAll(::testing::UnitTest::GetInstance()->current_test_info()->name(),
                            {{"/", "_"}}),
        ".history");
    std::remove(path_.c_str());
  }

  std::unique_ptr<HistoryLog> OpenOrDie(HistoryLogOptions options = Never()) {
    absl::StatusOr<std::unique_ptr<HistoryLog>> log = HistoryLog::Open(path_, std::move(options));
    EXPECT_TRUE(log.ok()) << log.status();
    return log.ok() ? *std::move(log) : nullptr;
  }

  LoadResult LoadOrDie(size_t per_room_limit = 1000000) {
    absl::StatusOr<LoadResult> result = HistoryLog::Load(path_, per_room_limit);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *std::move(result) : LoadResult{};
  }

  std::string path_;
};

TEST_F(HistoryLogTest, NewFileHasTheHeaderAndMode0640) {
  ASSERT_NE(OpenOrDie(), nullptr);
  EXPECT_EQ(ReadFile(path_), kHistoryHeader);
  struct stat st;
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777 & ~0640, 0u) << "mode is 0640 less the umask";
  LoadResult result = LoadOrDie();
  EXPECT_THAT(result.rooms, IsEmpty());
  EXPECT_EQ(result.records_loaded, 0);
  EXPECT_FALSE(result.torn_tail);
}

TEST_F(HistoryLogTest, MissingFileLoadsEmpty) {
  absl::StatusOr<LoadResult> result = HistoryLog::Load(path_ + ".missing", 10);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_THAT(result->rooms, IsEmpty());
  EXPECT_EQ(result->records_loaded, 0);
  EXPECT_EQ(result->corrupt_lines_skipped, 0);
  EXPECT_FALSE(result->torn_tail);
}

TEST_F(HistoryLogTest, TrickyRecordsRoundTripExactly) {
  std::string all_bytes;
  for (int b = 0; b < 256; ++b) all_bytes += static_cast<char>(b);
  std::string long_text;  // longer than Load()'s read chunk, so it spans chunks
  for (int i = 0; long_text.size() < 300000; ++i) long_text += absl::StrCat(i, "\t\\\n\xff ");
  const std::vector<HistoryRecord> records = {
      Record("lobby", 1700000000000001, all_bytes, all_bytes),
      Record("lobby", 1700000000000002, "tab\tname", "a\tb\t\tc"),
      Record("lobby", 1700000000000003, "back\\slash", "C:\\path\\n\\"),
      Record("lobby", 1700000000000004, "Lee", "literal \\n, not a newline"),
      Record("lobby", 1700000000000005, "Lee", "a real\nnewline\r\n"),
      Record("lobby", 1700000000000006, "Lee", ""),
      Record("lobby", 1700000000000007, "", "empty name"),
      Record("lobby", 1700000000000008, "Lee", long_text),
      Record("lobby", 1700000000000009, "\xc3\xa9l\xc3\xa9onore", "caf\xc3\xa9 \xf0\x9f\x90\xa7"),
      Record("lobby", 1700000000000010, "bad\xff\xfeutf8", "\xc3(\xa0\xa1\x80"),
      Record("lobby", 1700000000000011, "nul", std::string("\0\0x\0", 4)),
      Record("lobby", 1700000000000012, "#not-a-header", "#tcpchat-history v1"),
  };
  {
    std::unique_ptr<HistoryLog> log = OpenOrDie();
    ASSERT_NE(log, nullptr);
    for (const HistoryRecord& record : records) ASSERT_TRUE(log->Append(record).ok());
    EXPECT_EQ(log->records_appended(), static_cast<int64_t>(records.size()));
  }
  // One line per record, plus the header.
  const std::string contents = ReadFile(path_);
  EXPECT_EQ(std::count(contents.begin(), contents.end(), '\n'),
            static_cast<int64_t>(records.size()) + 1);

  LoadResult result = LoadOrDie();
  EXPECT_EQ(result.records_loaded, static_cast<int64_t>(records.size()));
  EXPECT_EQ(result.corrupt_lines_skipped, 0);
  EXPECT_FALSE(result.torn_tail);
  ASSERT_THAT(result.rooms, SizeIs(1));
  EXPECT_THAT(result.rooms["lobby"], ElementsAreArray(records));
}

TEST_F(HistoryLogTest, RoomNamesAreBytesToo) {
  const std::vector<HistoryRecord> records = {
      Record("", 1, "a", "empty room name"),
      Record("r\to\no\\m", 2, "b", "escaped room"),
      Record("\xff", 3, "c", "non-UTF-8 room"),
  };
  {
    std::unique_ptr<HistoryLog> log = OpenOrDie();
    ASSERT_NE(log, nullptr);
    for (const HistoryRecord& record : records) ASSERT_TRUE(log->Append(record).ok());
  }
  LoadResult result = LoadOrDie();
  ASSERT_THAT(result.rooms, SizeIs(3));
  for (const HistoryRecord& record : records) {
    EXPECT_THAT(result.rooms[record.room], ElementsAre(record));
  }
}

TEST_F(HistoryLogTest, ReopeningAppendsAfterExistingRecords) {
  {
    std::unique_ptr<HistoryLog> log = OpenOrDie();
    ASSERT_NE(log, nullptr);
    ASSERT_TRUE(log->Append(Record("lobby", 1, "a", "first run")).ok());
  }
  {
    std::unique_ptr<HistoryLog> log = OpenOrDie();
    ASSERT_NE(log, nullptr);
    ASSERT_TRUE(log->Append(Record("lobby", 2, "b", "second run")).ok());
  }
  EXPECT_EQ(ReadFile(path_),
            absl::StrCat(kHistoryHeader, "1\tlobby\ta\tfirst run\n", "2\tlobby\tb\tsecond run\n"));
  EXPECT_THAT(LoadOrDie().rooms["lobby"], SizeIs(2));
}

TEST_F(HistoryLogTest, PerRoomLimitKeepsTheNewestInOrder) {
  std::vector<HistoryRecord> lobby;
  std::vector<HistoryRecord> games;
  {
    std::unique_ptr<HistoryLog> log = OpenOrDie();
    ASSERT_NE(log, nullptr);
    for (int i = 0; i < 10; ++i) {
      lobby.push_back(Record("lobby", 100 + i, "a", absl::StrCat("lobby ", i)));
      ASSERT_TRUE(log->Append(lobby.back()).ok());
      if (i % 3 == 0) {
        games.push_back(Record("games", 200 + i, "b", absl::StrCat("games ", i)));
        ASSERT_TRUE(log->Append(games.back()).ok());
      }
    }
  }
  LoadResult result = LoadOrDie(4);
  EXPECT_EQ(result.records_loaded, 14);
  EXPECT_EQ(result.records_retained, 8);
  ASSERT_THAT(result.rooms, SizeIs(2));
  EXPECT_THAT(result.rooms["lobby"],
              ElementsAre(lobby[6], lobby[7], lobby[8], lobby[9]));  // newest 4, oldest first
  EXPECT_THAT(result.rooms["games"], ElementsAreArray(games));       // all 4 fit

  result = LoadOrDie(1);
  EXPECT_THAT(result.rooms["lobby"], ElementsAre(lobby.back()));
  EXPECT_THAT(result.rooms["games"], ElementsAre(games.back()));

  result = LoadOrDie(0);  // count only
  EXPECT_EQ(result.records_loaded, 14);
  EXPECT_EQ(result.records_retained, 0);
  EXPECT_THAT(result.rooms, IsEmpty());
}

TEST_F(HistoryLogTest, TornTailIsSkippedAndFlaggedThenEndedByTheNextWriter) {
  const HistoryRecord first = Record("lobby", 1, "a", "one");
  const HistoryRecord second = Record("lobby", 2, "b", "two");
  {
    std::unique_ptr<HistoryLog> log = OpenOrDie();
    ASSERT_NE(log, nullptr);
    ASSERT_TRUE(log->Append(first).ok());
    ASSERT_TRUE(log->Append(second).ok());
  }
  // A crash mid-write: half of a record, no newline. Had the text been cut short, a
  // plain "\n" would make it a valid shorter record; the writer must not let that happen.
  const std::string torn = EncodeRecord(Record("lobby", 3, "c", "three, and then some"));
  AppendToFile(path_, torn.substr(0, torn.size() - 10));

  LoadResult result = LoadOrDie();
  EXPECT_TRUE(result.torn_tail);
  EXPECT_EQ(result.records_loaded, 2);
  EXPECT_EQ(result.corrupt_lines_skipped, 0);
  EXPECT_THAT(result.rooms["lobby"], ElementsAre(first, second));

  // The restarted server appends: the partial line is ended, never glued to the record.
  const HistoryRecord fourth = Record("lobby", 4, "d", "four");
  {
    std::unique_ptr<HistoryLog> log = OpenOrDie();
    ASSERT_NE(log, nullptr);
    ASSERT_TRUE(log->Append(fourth).ok());
  }
  result = LoadOrDie();
  EXPECT_FALSE(result.torn_tail);
  EXPECT_EQ(result.records_loaded, 3);
  EXPECT_EQ(result.corrupt_lines_skipped, 1);  // the torn record, read back as corrupt
  EXPECT_THAT(result.rooms["lobby"], ElementsAre(first, second, fourth));
}

TEST_F(HistoryLogTest, CorruptLinesAreSkippedAndCounted) {
  const HistoryRecord good1 = Record("lobby", 1, "a", "before");
  const HistoryRecord good2 = Record("lobby", 2, "b", "between");
  const HistoryRecord good3 = Record("lobby", 3, "c", "after");
  WriteFile(path_, absl::StrCat(kHistoryHeader,                        //
                                EncodeRecord(good1),                   //
                                "5\tlobby\tx\tbad escape \\q\n",       // corrupt
                                "6\tlobby\tonly three fields\n",       // corrupt
                                "7\tlobby\tx\ttoo\tmany\tfields\n",    // corrupt
                                EncodeRecord(good2),                   //
                                "noon\tlobby\tx\tnon-numeric time\n",  // corrupt
                                "\n",                                  // corrupt: empty
                                std::string("\0\0\0\0\0\0\n", 7),      // corrupt: zeros
                                "#a comment is not a record\n",        // corrupt
                                EncodeRecord(good3)));
  LoadResult result = LoadOrDie();
  EXPECT_EQ(result.records_loaded, 3);
  EXPECT_EQ(result.corrupt_lines_skipped, 7);
  EXPECT_FALSE(result.torn_tail);
  EXPECT_THAT(result.rooms["lobby"], ElementsAre(good1, good2, good3));
}

TEST_F(HistoryLogTest, OverlongLinesAreSkipped) {
  const HistoryRecord good = Record("lobby", 1, "a", "fine");
  std::string huge = absl::StrCat("1\tlobby\tx\t", std::string(kMaxLineBytes, 'x'), "\n");
  WriteFile(path_, absl::StrCat(kHistoryHeader, huge, EncodeRecord(good), huge, EncodeRecord(good),
                                huge.substr(0, huge.size() - 1)));
  LoadResult result = LoadOrDie();
  EXPECT_EQ(result.records_loaded, 2);
  EXPECT_EQ(result.corrupt_lines_skipped, 2);
  EXPECT_TRUE(result.torn_tail);  // the last, unterminated one
  EXPECT_THAT(result.rooms["lobby"], ElementsAre(good, good));
}

TEST_F(HistoryLogTest, AppendRefusesARecordOverTheLineLimit) {
  std::unique_ptr<HistoryLog> log = OpenOrDie();
  ASSERT_NE(log, nullptr);
  absl::Status status = log->Append(Record("lobby", 1, "a", std::string(kMaxLineBytes, 'x')));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_EQ(log->write_errors(), 1);
  EXPECT_TRUE(log->Append(Record("lobby", 2, "b", "small")).ok());
  EXPECT_EQ(log->records_appended(), 1);
  log.reset();
  LoadResult result = LoadOrDie();
  EXPECT_EQ(result.records_loaded, 1);
  EXPECT_EQ(result.corrupt_lines_skipped, 0);
}

// Makes write(2) beyond `limit` bytes of file size fail with EFBIG (after a partial write),
// for the life of the object. SIGXFSZ is ignored meanwhile, or it would kill the test.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t limit) {
    old_handler_ = ::signal(SIGXFSZ, SIG_IGN);
    ::getrlimit(RLIMIT_FSIZE, &old_limit_);
    rlimit limited = old_limit_;
    limited.rlim_cur = limit;
    EXPECT_EQ(::setrlimit(RLIMIT_FSIZE, &limited), 0) << errno;
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &old_limit_);
    ::signal(SIGXFSZ, old_handler_);
  }

 private:
  rlimit old_limit_;
  sighandler_t old_handler_;
};

TEST_F(HistoryLogTest, AFailedPartialWriteIsEndedAndLaterAppendsSurvive) {
  const HistoryRecord first = Record("lobby", 1, "a", "one");
  const HistoryRecord failed = Record("lobby", 2, "b", std::string(100, 'x'));
  const HistoryRecord third = Record("lobby", 3, "c", "three");
  std::unique_ptr<HistoryLog> log = OpenOrDie();
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(log->Append(first).ok());
  {
    // Room for 10 more bytes: write(2) writes those, then fails with EFBIG.
    FileSizeLimit limit(kHistoryHeader.size() + EncodeRecord(first).size() + 10);
    absl::Status status = log->Append(failed);
    EXPECT_FALSE(status.ok());
    EXPECT_EQ(log->write_errors(), 1);
    // Still full: the terminator cannot be written either; nothing changes.
    EXPECT_FALSE(log->Append(third).ok());
    EXPECT_EQ(log->write_errors(), 2);
  }
  ASSERT_TRUE(log->Append(third).ok());  // room again
  log.reset();

  const std::string expected_tail =
      absl::StrCat(EncodeRecord(failed).substr(0, 10), kTornLineTerminator, EncodeRecord(third));
  EXPECT_TRUE(ReadFile(path_).ends_with(expected_tail));
  LoadResult result = LoadOrDie();
  EXPECT_EQ(result.records_loaded, 2);
  EXPECT_EQ(result.corrupt_lines_skipped, 1);
  EXPECT_FALSE(result.torn_tail);
  EXPECT_THAT(result.rooms["lobby"], ElementsAre(first, third));
}

class ConcurrentAppendTest : public HistoryLogTest,
                             public ::testing::WithParamInterface<FsyncPolicy> {};

TEST_P(ConcurrentAppendTest, LinesAreWholeAndEachThreadsOrderIsKept) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 100;
  FsyncCounter counter;
  HistoryLogOptions options;
  options.fsync_policy = GetParam();
  options.batch_interval = absl::ZeroDuration();  // the flusher races the appenders
  options.on_fsync = counter.Callback();
  std::unique_ptr<HistoryLog> log = OpenOrDie(options);
  ASSERT_NE(log, nullptr);

  // Long (up to the server's 4096-byte line), escape-heavy texts make long writes, where
  // interleaving would show.
  auto text = [](int thread, int i) {
    return absl::StrCat(thread, " ", i, " ",
                        std::string((thread * 7919 + i * 104729) % 4096, "\t\n\\x"[i % 4]));
  };
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&log, &text, t] {
        for (int i = 0; i < kPerThread; ++i) {
          absl::Status status =
              log->Append(Record("lobby", i, absl::StrCat("thread", t), text(t, i)));
          ASSERT_TRUE(status.ok()) << status;
        }
      });
    }
  }
  EXPECT_EQ(log->records_appended(), kThreads * kPerThread);
  EXPECT_EQ(log->write_errors(), 0);
  if (GetParam() == FsyncPolicy::kAlways) {
    EXPECT_EQ(log->unsynced_records(), 0);
    EXPECT_GE(counter.calls(), 1);
    EXPECT_LE(counter.calls(), kThreads * kPerThread);  // concurrent appenders may share
  }
  log.reset();
  if (GetParam() == FsyncPolicy::kNever) {
    EXPECT_EQ(counter.calls(), 0);
  }

  const std::string contents = ReadFile(path_);
  EXPECT_EQ(std::count(contents.begin(), contents.end(), '\n'), kThreads * kPerThread + 1);
  LoadResult result = LoadOrDie();
  EXPECT_EQ(result.records_loaded, kThreads * kPerThread);
  EXPECT_EQ(result.corrupt_lines_skipped, 0);
  EXPECT_FALSE(result.torn_tail);
  std::vector<int> next(kThreads, 0);
  for (const HistoryRecord& record : result.rooms["lobby"]) {
    int t = -1;
    ASSERT_TRUE(absl::SimpleAtoi(absl::StripPrefix(record.name, "thread"), &t));
    ASSERT_TRUE(t >= 0 && t < kThreads);
    const int i = next[t]++;
    EXPECT_EQ(absl::ToUnixMicros(record.time), i) << "thread " << t << " out of order";
    EXPECT_EQ(record.text, text(t, i));
  }
  EXPECT_THAT(next, ::testing::Each(kPerThread));
}

INSTANTIATE_TEST_SUITE_P(AllPolicies, ConcurrentAppendTest,
                         ::testing::Values(FsyncPolicy::kAlways, FsyncPolicy::kBatch,
                                           FsyncPolicy::kNever),
                         [](const ::testing::TestParamInfo<FsyncPolicy>& info) {
                           return std::string(FsyncPolicyName(info.param));
                         });

TEST_F(HistoryLogTest, AlwaysFsyncsBeforeEachAppendReturns) {
  FsyncCounter counter;
  HistoryLogOptions options;
  options.fsync_policy = FsyncPolicy::kAlways;
  options.on_fsync = counter.Callback();
  std::unique_ptr<HistoryLog> log = OpenOrDie(options);
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(counter.calls(), 0) << "creating the file is not an append";
  for (int i = 1; i <= 5; ++i) {
    ASSERT_TRUE(log->Append(Record("lobby", i, "a", "x")).ok());
    EXPECT_EQ(counter.calls(), i);
    EXPECT_EQ(log->fsyncs(), i);
    EXPECT_EQ(log->unsynced_records(), 0);
  }
  ASSERT_TRUE(log->Flush().ok());
  EXPECT_EQ(counter.calls(), 5) << "nothing new to fsync";
  log.reset();
  EXPECT_EQ(counter.calls(), 5);
}

TEST_F(HistoryLogTest, BatchCoversABurstWithOneFsync) {
  FsyncCounter counter;
  HistoryLogOptions options;
  options.fsync_policy = FsyncPolicy::kBatch;
  // The background thread waits an interval from Open() before its first fsync; an hour
  // means it never runs during this test, so every count below is exact.
  options.batch_interval = absl::Hours(1);
  options.on_fsync = counter.Callback();
  std::unique_ptr<HistoryLog> log = OpenOrDie(options);
  ASSERT_NE(log, nullptr);
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(log->Append(Record("lobby", i, "a", "x")).ok());
  EXPECT_EQ(counter.calls(), 0) << "Append() does not wait for the disk under kBatch";
  EXPECT_EQ(log->unsynced_records(), 100);

  ASSERT_TRUE(log->Flush().ok());
  EXPECT_EQ(counter.calls(), 1);
  EXPECT_EQ(log->unsynced_records(), 0);
  ASSERT_TRUE(log->Flush().ok());
  EXPECT_EQ(counter.calls(), 1) << "nothing new to fsync";

  for (int i = 0; i < 50; ++i) ASSERT_TRUE(log->Append(Record("lobby", i, "a", "y")).ok());
  log.reset();  // the destructor fsyncs what is left: one more for 50 lines
  EXPECT_EQ(counter.calls(), 2);
}

TEST_F(HistoryLogTest, BatchBackgroundThreadEventuallyFsyncs) {
  FsyncCounter counter;
  HistoryLogOptions options;
  options.fsync_policy = FsyncPolicy::kBatch;
  options.batch_interval = absl::Milliseconds(1);
  options.on_fsync = counter.Callback();
  std::unique_ptr<HistoryLog> log = OpenOrDie(options);
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(counter.calls(), 0) << "no fsync while nothing was appended";

  ASSERT_TRUE(log->Append(Record("lobby", 1, "a", "x")).ok());
  counter.AwaitCalls(1);  // the background thread; only the test's timeout bounds this
  EXPECT_EQ(log->fsyncs(), 1);
  EXPECT_EQ(log->unsynced_records(), 0);

  ASSERT_TRUE(log->Append(Record("lobby", 2, "a", "y")).ok());
  counter.AwaitCalls(2);
  EXPECT_EQ(log->unsynced_records(), 0);
  log.reset();
  EXPECT_EQ(counter.calls(), 2) << "nothing left for the destructor";
}

TEST_F(HistoryLogTest, NeverFsyncsUnlessAskedTo) {
  FsyncCounter counter;
  HistoryLogOptions options = Never();
  options.on_fsync = counter.Callback();
  std::unique_ptr<HistoryLog> log = OpenOrDie(options);
  ASSERT_NE(log, nullptr);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(log->Append(Record("lobby", i, "a", "x")).ok());
  EXPECT_EQ(counter.calls(), 0);
  EXPECT_EQ(log->unsynced_records(), 10);
  ASSERT_TRUE(log->Flush().ok());  // explicit
  EXPECT_EQ(counter.calls(), 1);
  ASSERT_TRUE(log->Append(Record("lobby", 10, "a", "x")).ok());
  log.reset();
  EXPECT_EQ(counter.calls(), 1) << "no fsync on close either";
  EXPECT_EQ(LoadOrDie().records_loaded, 11);
}

TEST_F(HistoryLogTest, OpenFailsOnAnUnwritablePath) {
  // A missing directory, a directory, and a path through a regular file.
  absl::StatusOr<std::unique_ptr<HistoryLog>> log =
      HistoryLog::Open(absl::StrCat(::testing::TempDir(), "/no/such/dir/history"));
  EXPECT_EQ(log.status().code(), absl::StatusCode::kNotFound) << log.status();
  log = HistoryLog::Open(::testing::TempDir());
  EXPECT_FALSE(log.ok());
  WriteFile(path_, kHistoryHeader);
  log = HistoryLog::Open(path_ + "/history");
  EXPECT_FALSE(log.ok());
}

TEST_F(HistoryLogTest, NotARegularFileIsRefusedWithoutHanging) {
  ASSERT_EQ(::mkfifo(path_.c_str(), 0600), 0) << errno;  // open(2) would block on a FIFO
  // Without a reader, opening a FIFO to write fails at once (ENXIO).
  EXPECT_FALSE(HistoryLog::Open(path_, Never()).ok());
  EXPECT_EQ(HistoryLog::Load(path_, 10).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(HistoryLogTest, OpenFailsWithoutPermission) {
  if (::geteuid() == 0) GTEST_SKIP() << "root may write anywhere";
  const std::string dir = absl::StrCat(::testing::TempDir(), "/read_only");
  ASSERT_EQ(::mkdir(dir.c_str(), 0500), 0);
  absl::StatusOr<std::unique_ptr<HistoryLog>> log = HistoryLog::Open(dir + "/history");
  EXPECT_EQ(log.status().code(), absl::StatusCode::kPermissionDenied) << log.status();
}

TEST_F(HistoryLogTest, OpenRejectsANegativeBatchInterval) {
  HistoryLogOptions options;
  options.batch_interval = -absl::Seconds(1);
  EXPECT_EQ(HistoryLog::Open(path_, options).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(HistoryLogTest, OneWriterPerFile) {
  std::unique_ptr<HistoryLog> first = OpenOrDie();
  ASSERT_NE(first, nullptr);
  absl::StatusOr<std::unique_ptr<HistoryLog>> second = HistoryLog::Open(path_, Never());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition) << second.status();
  // Readers are not locked out.
  ASSERT_TRUE(first->Append(Record("lobby", 1, "a", "x")).ok());
  EXPECT_EQ(LoadOrDie().records_loaded, 1);
  first.reset();
  EXPECT_NE(OpenOrDie(), nullptr) << "the lock goes with the HistoryLog";
}

TEST_F(HistoryLogTest, RefusesFilesOfAnotherFormat) {
  for (const std::string& contents :
       {std::string("hello, world\n"), std::string("1\tlobby\tLee\tno header\n"),
        std::string("#tcpchat-history v2\n2\tsomething\n")}) {
    WriteFile(path_, contents);
    EXPECT_EQ(HistoryLog::Open(path_, Never()).status().code(),
              absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(HistoryLog::Load(path_, 10).status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(ReadFile(path_), contents) << "left untouched";
  }
}

TEST_F(HistoryLogTest, ATornHeaderIsWrittenAgain) {
  WriteFile(path_, kHistoryHeader.substr(0, 7));  // died while creating the file
  LoadResult result = LoadOrDie();
  EXPECT_TRUE(result.torn_tail);
  EXPECT_EQ(result.records_loaded, 0);

  const HistoryRecord record = Record("lobby", 1, "a", "x");
  {
    std::unique_ptr<HistoryLog> log = OpenOrDie();
    ASSERT_NE(log, nullptr);
    ASSERT_TRUE(log->Append(record).ok());
  }
  EXPECT_EQ(ReadFile(path_), absl::StrCat(kHistoryHeader, EncodeRecord(record)));
  result = LoadOrDie();
  EXPECT_FALSE(result.torn_tail);
  EXPECT_THAT(result.rooms["lobby"], ElementsAre(record));
}

TEST(FsyncPolicyTest, ParsesItsNames) {
  for (FsyncPolicy policy : {FsyncPolicy::kAlways, FsyncPolicy::kBatch, FsyncPolicy::kNever}) {
    absl::StatusOr<FsyncPolicy> parsed = ParseFsyncPolicy(FsyncPolicyName(policy));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, policy);
  }
  EXPECT_EQ(*ParseFsyncPolicy("batch"), FsyncPolicy::kBatch);
  for (std::string_view bad : {"", "Always", "sometimes", "batch "}) {
    EXPECT_EQ(ParseFsyncPolicy(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace chat::history
