// tools/bench/order_check.h: did every receiver see the messages in the same order?
//
// Defines:
//   SameGlobalOrder - true if every pair of receivers saw the messages they both have in
//                     the same relative order.
//
// Comparing every pair directly costs O(receivers^2 * deliveries), hours at 1000 clients.
// So the check first tries to merge all arrival sequences into one total order (linear
// time): if that works, every pair agrees. Only if it fails does it compare pairs, which
// then usually finds a disagreeing pair quickly.

#ifndef TOOLS_BENCH_ORDER_CHECK_H_
#define TOOLS_BENCH_ORDER_CHECK_H_

#include <cstdint>
#include <optional>
#include <vector>

namespace chat::bench {

// SameGlobalOrder() takes, per receiver, the ids (in [0, num_messages)) of the messages
// it received, in arrival order, each at most once. Returns true if every pair of
// receivers agrees on the relative order of the messages both received, false if some
// pair disagrees, and nullopt if the answer needed more than `pairwise_budget` steps of
// pairwise comparison (possible only when the sequences admit no common total order yet
// no disagreeing pair was found within the budget).
std::optional<bool> SameGlobalOrder(const std::vector<std::vector<int32_t>>& orders,
                                    int32_t num_messages, int64_t pairwise_budget);

// HasCommonTotalOrder() is true if one sequence of all the messages contains every
// receiver's sequence as a subsequence. Implies (but is stronger than) pairwise agreement.
bool HasCommonTotalOrder(const std::vector<std::vector<int32_t>>& orders, int32_t num_messages);

}  // namespace chat::bench

#endif  // TOOLS_BENCH_ORDER_CHECK_H_
