// tools/bench/proc_status.h: the two numbers chat_bench reports about the server process.
//
// Defines:
//   ProcStatus     - peak resident memory and thread count.
//   ReadProcStatus - parses /proc/<pid>/status (Linux).

#ifndef TOOLS_BENCH_PROC_STATUS_H_
#define TOOLS_BENCH_PROC_STATUS_H_

#include <cstdint>
#include <optional>

namespace chat::bench {

struct ProcStatus {
  int64_t peak_rss_kb = 0;  // VmHWM: the high-water mark, so sampling at the end suffices
  int64_t threads = 0;      // Threads: the current count, so callers sample it repeatedly
};

// ReadProcStatus() returns nullopt if the process does not exist or cannot be read.
std::optional<ProcStatus> ReadProcStatus(int pid);

}  // namespace chat::bench

#endif  // TOOLS_BENCH_PROC_STATUS_H_
