// tools/bench/proc_status.cc: a minimal /proc/<pid>/status reader.

#include "tools/bench/proc_status.h"

#include <fstream>
#include <string>
#include <string_view>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace chat::bench {

std::optional<ProcStatus> ReadProcStatus(int pid) {
  if (pid <= 0) return std::nullopt;
  std::ifstream file(absl::StrCat("/proc/", pid, "/status"));
  if (!file) return std::nullopt;
  ProcStatus status;
  bool saw_threads = false;
  std::string line;
  while (std::getline(file, line)) {
    const std::string_view text(line);
    const size_t colon = text.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view key = text.substr(0, colon);
    // "VmHWM:\t    1234 kB" and "Threads:\t5".
    std::string_view value = absl::StripAsciiWhitespace(text.substr(colon + 1));
    if (const size_t space = value.find(' '); space != std::string_view::npos) {
      value = value.substr(0, space);
    }
    if (key == "VmHWM") {
      if (!absl::SimpleAtoi(value, &status.peak_rss_kb)) status.peak_rss_kb = 0;
    } else if (key == "Threads") {
      saw_threads = absl::SimpleAtoi(value, &status.threads);
    }
  }
  // A zombie has no memory lines but still has Threads; a file without it is not one
  // we understand.
  if (!saw_threads) return std::nullopt;
  return status;
}

}  // namespace chat::bench
