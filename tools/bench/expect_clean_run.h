// tools/bench/expect_clean_run.h: what the chat_bench tests expect of a run with nothing
// wrong: every line delivered once, in order, in one global order, and exit status 0.

#ifndef TOOLS_BENCH_EXPECT_CLEAN_RUN_H_
#define TOOLS_BENCH_EXPECT_CLEAN_RUN_H_

#include <cstdint>
#include <optional>

#include "gtest/gtest.h"
#include "tools/bench/load.h"

namespace chat::bench {

// ExpectCleanRun() adds a test failure for each way `result` falls short of a clean run
// of `clients` x `messages`.
inline void ExpectCleanRun(const LoadResult& result, int clients, int messages) {
  const int64_t expected = int64_t{clients} * (clients - 1) * messages;
  EXPECT_EQ(result.deliveries_expected, expected);
  EXPECT_EQ(result.deliveries_received, expected);
  EXPECT_EQ(result.messages_sent, int64_t{clients} * messages);
  EXPECT_EQ(result.lost, 0);
  EXPECT_EQ(result.duplicated, 0);
  EXPECT_EQ(result.order_violations, 0);
  EXPECT_EQ(result.same_global_order, std::optional<bool>(true));
  EXPECT_EQ(result.self_echoes, 0);
  EXPECT_EQ(result.garbled, 0);
  EXPECT_EQ(result.clients_disconnected, 0);
  EXPECT_FALSE(result.timed_out);
  EXPECT_FALSE(result.setup_failed);
  EXPECT_EQ(result.error, "");
  EXPECT_EQ(ExitCode(result), 0);
}

}  // namespace chat::bench

#endif  // TOOLS_BENCH_EXPECT_CLEAN_RUN_H_
