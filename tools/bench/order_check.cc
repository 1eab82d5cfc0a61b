// tools/bench/order_check.cc: chain merging (a topological sort over the receivers'
// sequences) and the pairwise fallback.

#include "tools/bench/order_check.h"

#include <algorithm>
#include <cstddef>

namespace chat::bench {

bool HasCommonTotalOrder(const std::vector<std::vector<int32_t>>& orders, int32_t num_messages) {
  const size_t messages = static_cast<size_t>(num_messages);
  // A message can be placed next once it is at the head of every sequence containing it.
  // Kahn's algorithm over the sequences themselves: no edge list is ever built.
  std::vector<int32_t> containing(messages, 0);
  for (const std::vector<int32_t>& order : orders) {
    for (int32_t id : order) ++containing[static_cast<size_t>(id)];
  }
  std::vector<int32_t> heads_at(messages, 0);
  // Intrusive lists: the sequences whose head is message m are first_waiting[m], then
  // next_waiting[...] until -1. A sequence waits on one message at a time.
  std::vector<int32_t> first_waiting(messages, -1);
  std::vector<int32_t> next_waiting(orders.size(), -1);
  std::vector<size_t> head(orders.size(), 0);
  std::vector<int32_t> ready;

  const auto arrive = [&](size_t seq) {
    const size_t id = static_cast<size_t>(orders[seq][head[seq]]);
    next_waiting[seq] = first_waiting[id];
    first_waiting[id] = static_cast<int32_t>(seq);
    if (++heads_at[id] == containing[id]) ready.push_back(static_cast<int32_t>(id));
  };
  for (size_t seq = 0; seq < orders.size(); ++seq) {
    if (!orders[seq].empty()) arrive(seq);
  }

  int64_t distinct = 0;
  for (int32_t count : containing) distinct += count > 0 ? 1 : 0;
  int64_t placed = 0;
  while (!ready.empty()) {
    const size_t id = static_cast<size_t>(ready.back());
    ready.pop_back();
    ++placed;
    for (int32_t seq = first_waiting[id]; seq != -1;) {
      const int32_t next = next_waiting[static_cast<size_t>(seq)];
      const size_t s = static_cast<size_t>(seq);
      if (++head[s] < orders[s].size()) arrive(s);
      seq = next;
    }
    first_waiting[id] = -1;
  }
  return placed == distinct;
}

std::optional<bool> SameGlobalOrder(const std::vector<std::vector<int32_t>>& orders,
                                    int32_t num_messages, int64_t pairwise_budget) {
  if (HasCommonTotalOrder(orders, num_messages)) return true;

  // Position of each message in receiver b's sequence; then walk receiver a's sequence
  // and require those positions to increase.
  std::vector<int32_t> position(static_cast<size_t>(num_messages), -1);
  int64_t steps = 0;
  for (size_t b = 1; b < orders.size(); ++b) {
    std::fill(position.begin(), position.end(), -1);
    for (size_t i = 0; i < orders[b].size(); ++i) {
      position[static_cast<size_t>(orders[b][i])] = static_cast<int32_t>(i);
    }
    for (size_t a = 0; a < b; ++a) {
      steps += static_cast<int64_t>(orders[a].size());
      if (steps > pairwise_budget) return std::nullopt;
      int32_t last = -1;
      for (int32_t id : orders[a]) {
        const int32_t p = position[static_cast<size_t>(id)];
        if (p < 0) continue;
        if (p < last) return false;
        last = p;
      }
    }
  }
  return true;
}

}  // namespace chat::bench
