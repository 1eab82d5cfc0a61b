// tools/bench/load.h: the chat_bench load generator, as a library the tool and its test
// share.
//
// Defines:
//   LoadOptions       - what to run: clients, messages, payload size, pacing, limits.
//   LoadResult        - what was measured and checked.
//   RunLoad           - connect, log in, wait for everyone, send, read, check.
//   SetupFailure      - the result for options rejected before running.
//   ToJson            - a LoadResult as the tool's single output line.
//   ExitCode          - the tool's exit status for a LoadResult.
//   CheckLoopbackHost - chat_bench only ever talks to loopback addresses.
//
// A run, in order: N clients connect (a bounded number handshaking at once) and log in as
// <prefix>0 .. <prefix>N-1; once every client has received its own first prompt (the
// server makes it a room member atomically with that prompt; over WebSocket, the
// "welcome") the measured phase starts:
// each client sends M marked lines, bounded by a per-sender in-flight window and an
// optional rate, while every client reads everything. The phase ends when every client
// has received every other client's lines, or when nothing more arrives for
// window_timeout after the last line was sent (the missing ones count as lost), or at the
// overall timeout.

#ifndef TOOLS_BENCH_LOAD_H_
#define TOOLS_BENCH_LOAD_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "tools/bench/transport.h"

namespace chat::bench {

struct LoadOptions {
  // Numeric loopback address (127.0.0.0/8 or ::1), or "localhost".
  std::string host = "127.0.0.1";
  int port = 0;
  // Other servers of one cluster (each instance's port, same transport): client i
  // connects to (port, more_ports...)[i % (1 + more_ports.size())], so the load is
  // spread evenly and every line must cross instances to reach everyone.
  std::vector<int> more_ports;
  // What `port` speaks: the plain port (tcp), the TLS port (tls), or the web port's
  // WebSocket (ws; wss when the server has a certificate, which makes the web port TLS).
  Transport transport = Transport::kTcp;
  // Clients that both send and read.
  int clients = 10;
  int messages_per_client = 100;
  // Each line's length without its newline; the marker alone may be longer (no padding).
  int payload_bytes = 32;
  // Lines per second per client; 0: as fast as the window allows.
  double rate = 0;
  // Most lines per sender not yet received by every other client; 0: unlimited.
  int window = 16;
  // A full window with no progress for this long counts a stall; its lines stop counting
  // as in flight. Also how long the run waits for stragglers after the last send.
  absl::Duration window_timeout = absl::Seconds(1);
  // The whole run, connecting included. RunLoad() returns by then (plus a moment to
  // close sockets).
  absl::Duration timeout = absl::Seconds(60);
  // One extra client that logs in and then never reads (see LoadResult::stalled_*).
  bool stalled_client = false;
  int stalled_rcvbuf_bytes = 4096;
  // If positive, the server's process: its peak RSS and thread count are reported.
  int server_pid = 0;
  std::string name_prefix = "b";
  // Clients connecting or logging in at once (a listen backlog may be small).
  int connect_concurrency = 64;
  // The global-order check keeps every arrival sequence: 4 bytes per delivery. Above
  // this many expected deliveries it is skipped.
  int64_t order_check_max_deliveries = 20'000'000;
  // Progress on stderr once a second.
  bool verbose = false;
};

struct LatencySummary {
  double p50_ms = 0;
  double p90_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
};

struct LoadResult {
  // The setup, echoed.
  std::string host;
  int port = 0;
  int servers = 1;  // 1 + LoadOptions::more_ports
  std::string transport;
  int clients = 0;
  int messages_per_client = 0;
  // Longest line sent (without newline); the requested size unless the marker is longer.
  int payload_bytes = 0;
  int window = 0;
  double rate = 0;
  std::string nonce;

  int64_t messages_sent = 0;
  int64_t deliveries_expected = 0;
  // Distinct (message, receiver) pairs received.
  int64_t deliveries_received = 0;
  int64_t lost = 0;
  int64_t duplicated = 0;
  // A receiver got sender S's line q after S's line q' > q.
  int64_t order_violations = 0;
  // nullopt when not checked; order_check says why.
  std::optional<bool> same_global_order;
  std::string order_check;
  // A sender received its own line back (the protocol sends it only to the others).
  int64_t self_echoes = 0;
  // This run's marker with unparsable fields, or an impossible sender/sequence number.
  int64_t garbled = 0;
  // Markers from other runs (replayed history); ignored.
  int64_t foreign_markers = 0;

  double join_s = 0;
  double elapsed_s = 0;
  double deliveries_per_sec = 0;
  std::optional<LatencySummary> latency;
  int64_t window_stalls = 0;
  // Reading clients whose connection ended during the run.
  int clients_disconnected = 0;

  std::optional<int64_t> server_peak_rss_kb;
  std::optional<int64_t> server_threads;

  bool stalled_client = false;
  // Whether the server closed the stalled client's connection (seen when it finally
  // reads, after the measured phase); nullopt if it never got to join.
  std::optional<bool> stalled_client_disconnected;
  // This run's lines the stalled client still found queued for it.
  int64_t stalled_client_received = 0;
  int64_t stalled_client_expected = 0;

  bool setup_failed = false;
  bool timed_out = false;
  // The first thing that went wrong, or a hint about the server; empty if nothing.
  std::string error;
};

// RunLoad() runs the whole load test on the calling thread (one epoll loop, non-blocking
// sockets; it starts no threads) and returns the result; it never throws and never
// exits. Raises this process's RLIMIT_NOFILE soft limit to the hard limit.
LoadResult RunLoad(const LoadOptions& options);

// SetupFailure() is the result of a run that could not start: the options echoed, and
// `error`. For callers that reject options before RunLoad().
LoadResult SetupFailure(const LoadOptions& options, std::string error);

// ToJson() renders `result` as one line of JSON, without a trailing newline.
std::string ToJson(const LoadResult& result);

// ExitCode(): 0 all good, 1 loss, duplicates, order problems or a dropped client,
// 2 timeout, 3 setup failure.
int ExitCode(const LoadResult& result);

// CheckLoopbackHost() accepts 127.0.0.0/8, ::1 (and ::ffff:127.x.y.z), and "localhost".
absl::Status CheckLoopbackHost(const std::string& host);

}  // namespace chat::bench

#endif  // TOOLS_BENCH_LOAD_H_
