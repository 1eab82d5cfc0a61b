// chat/metrics/server_metrics.h: every metric the chat server exports, by name.
//
// Defines:
//   DisconnectReason, RejectReason - the label values of the by-reason counters.
//   ServerMetrics                  - owns a Registry holding all tcpchat_* metrics and
//                                    exposes each one as a named member.
//   CountProcessThreads            - entries of /proc/self/task.
//   kFsyncLatencyBuckets           - the fsync histogram's bounds, in seconds.

#ifndef CHAT_METRICS_SERVER_METRICS_H_
#define CHAT_METRICS_SERVER_METRICS_H_

#include <array>
#include <functional>
#include <string>
#include <string_view>

#include "chat/metrics/metrics.h"

namespace chat::metrics {

// Why a client connection ended; the `reason` label of tcpchat_disconnects_total.
enum class DisconnectReason {
  kPeerClosed,    // the client closed the connection
  kReadError,     // recv() failed (reset, ...)
  kSlowReader,    // the client's outbox overflowed: it does not read fast enough
  kSendTimeout,   // send() made no progress for the send timeout
  kStopped,       // the server is shutting down
  kLoginTimeout,  // no acceptable name in time
  kIdle,          // silent for longer than the idle timeout
  kFlooding,      // kept exceeding the rate limit
  kQuit,          // the client typed /quit
  kLoginRefused,  // its address logged in too often (per-address login limit)
  kProtocolError,  // the client broke its transport's protocol (e.g. a bad TLS handshake)
  kKicked,        // an operator's /kick (or a /ban of a connected client)
  kBanned,        // a banned address or name tried to log in
};
inline constexpr size_t kDisconnectReasonCount = 13;

// Why an input line was refused; the `reason` label of tcpchat_rejected_lines_total.
enum class RejectReason {
  kTooLong,      // longer than the line limit
  kRateLimited,  // over the per-client message rate
  kEmpty,        // nothing left after trimming
  kBadName,      // an unacceptable login name
  kAddressRateLimited,  // over the per-address line or byte rate
};
inline constexpr size_t kRejectReasonCount = 5;

// Why a connection was closed at once, before its session started (per-address limits).
enum class RefusedConnectionReason {
  kTooManyPending,      // its address has too many connections at the name prompt
  kTooManyConnections,  // its address has too many connections
  kTooManyAddresses,    // every remembered address is connected
  kTooManyHandshakes,   // its address started too many TLS handshakes lately
};
inline constexpr size_t kRefusedConnectionReasonCount = 4;

// What an operator did; the `action` label of tcpchat_moderation_actions_total.
enum class ModerationAction { kKick, kBan, kUnban, kMute, kUnmute, kOp, kDeop, kTopic };
inline constexpr size_t kModerationActionCount = 8;

// The label values, e.g. "peer_closed", "too_long".
std::string_view DisconnectReasonLabel(DisconnectReason reason);
std::string_view RejectReasonLabel(RejectReason reason);
std::string_view RefusedConnectionReasonLabel(RefusedConnectionReason reason);
std::string_view ModerationActionLabel(ModerationAction action);

// Upper bounds for fsync latency in seconds, 1-2.5-5 steps from 100 us to 10 s. Local
// disks fsync in 0.1-10 ms; the long tail is where a stalled disk shows.
std::vector<double> FsyncLatencyBuckets();

// CountProcessThreads() counts the entries of /proc/self/task (one per thread of this
// process), or returns -1 where /proc is not mounted.
int CountProcessThreads();

// ServerMetrics is the chat server's metrics, created once at startup. The server
// increments the members directly; RenderPrometheus() serves a scrape. Thread-safe:
// every member is a lock-free metric (see metrics.h) owned by `registry`.
//
// Example:
//   ServerMetrics metrics("1.2.0");
//   metrics.connections_accepted.Increment();
//   metrics.disconnects(DisconnectReason::kIdle).Increment();
//   metrics.history_fsync_seconds.Observe(absl::ToDoubleSeconds(elapsed));
struct ServerMetrics {
  // `version` becomes the label of tcpchat_build_info. Uptime counts from here.
  explicit ServerMetrics(std::string_view version);
  ServerMetrics(const ServerMetrics&) = delete;
  ServerMetrics& operator=(const ServerMetrics&) = delete;

  std::string RenderPrometheus() const { return registry.RenderPrometheus(); }

  Counter& disconnects(DisconnectReason reason) const {
    return *disconnects_by_reason[static_cast<size_t>(reason)];
  }
  Counter& rejected_lines(RejectReason reason) const {
    return *rejected_lines_by_reason[static_cast<size_t>(reason)];
  }
  Counter& refused_connections(RefusedConnectionReason reason) const {
    return *refused_connections_by_reason[static_cast<size_t>(reason)];
  }
  Counter& moderation_actions(ModerationAction action) const {
    return *moderation_actions_by_action[static_cast<size_t>(action)];
  }

  // Declared first, so it is constructed before, and destroyed after, the references
  // below, which all point into it. More metrics may be added to it by the server.
  Registry registry;

  // tcpchat_connected_clients: open client connections, logged in or not.
  Gauge& connected_clients;
  // tcpchat_logged_in_clients: clients that have picked a name and joined the room.
  Gauge& logged_in_clients;
  // tcpchat_admission_blocked: 1 while every client slot is taken and new connections
  // wait in the listen backlog, else 0.
  Gauge& admission_blocked;
  // tcpchat_connections_accepted_total: TCP connections accepted.
  Counter& connections_accepted;
  // tcpchat_messages_received_total: chat messages accepted from clients.
  Counter& messages_received;
  // tcpchat_messages_broadcast_total: lines (messages and notices) sent to the room.
  Counter& messages_broadcast;
  // tcpchat_deliveries_total: lines queued to recipients (a broadcast to N counts N).
  Counter& deliveries;
  // tcpchat_received_bytes_total: bytes read from client sockets.
  Counter& received_bytes;
  // tcpchat_sent_bytes_total: bytes written to client sockets.
  Counter& sent_bytes;
  // tcpchat_slow_client_disconnects_total: clients cut off because they read too slowly.
  Counter& slow_client_disconnects;
  // tcpchat_history_write_errors_total: failed writes of the chat history file.
  Counter& history_write_errors;
  // tcpchat_history_fsync_duration_seconds: how long each history fsync took.
  Histogram& history_fsync_seconds;
  // tcpchat_disconnects_total{reason}: connections ended, by DisconnectReason.
  const std::array<Counter*, kDisconnectReasonCount> disconnects_by_reason;
  // tcpchat_rejected_lines_total{reason}: input lines refused, by RejectReason.
  const std::array<Counter*, kRejectReasonCount> rejected_lines_by_reason;
  // tcpchat_refused_connections_total{reason}: connections closed at once by the
  // per-address limits, by RefusedConnectionReason.
  const std::array<Counter*, kRefusedConnectionReasonCount> refused_connections_by_reason;
  // tcpchat_moderation_actions_total{action}: operators' actions, by ModerationAction.
  const std::array<Counter*, kModerationActionCount> moderation_actions_by_action;
  // tcpchat_failed_logins_total: wrong passwords given for registered names.
  Counter& failed_logins;
  // tcpchat_tls_handshake_failures_total: TLS handshakes the client broke (garbage, no
  // common version or cipher); handshakes cut off by the login timeout are not counted.
  Counter& tls_handshake_failures;
  // tcpchat_tls_certificate_reload_failures_total: SIGHUP reloads that kept the old
  // certificate because the new files were unusable.
  Counter& tls_certificate_reload_failures;

  // The series of one listening port's transport ("tcp", "tls"), registered when the
  // port opens:
  //   tcpchat_transport_connections_accepted_total{transport}
  //   tcpchat_transport_connected_clients{transport}
  struct TransportMetrics {
    Counter& accepted;
    Gauge& connected;
  };
  TransportMetrics AddTransport(std::string_view transport);

  // The series of --redis, registered when it is on:
  //   tcpchat_redis_up                          `up()` at each scrape: 1 or 0
  //   tcpchat_redis_pending_bytes               `pending_bytes()` at each scrape
  //   tcpchat_redis_refused_lines_total{reason}    chat lines and /me not sent
  //   tcpchat_redis_dropped_notices_total{reason}  joins, leaves, renames not announced
  // with reason "unavailable" (Redis unreachable, timed out, or refused it) or
  // "queue_full" (--redis_max_pending_bytes were already waiting for Redis).
  struct RedisMetrics {
    Counter& lines_unavailable;
    Counter& lines_queue_full;
    Counter& notices_unavailable;
    Counter& notices_queue_full;
  };
  RedisMetrics AddRedis(std::function<bool()> up, std::function<double()> pending_bytes);
  // Computed at scrape time, so they have no member:
  //   tcpchat_process_threads         CountProcessThreads() (NaN without /proc)
  //   tcpchat_uptime_seconds          seconds since this object was constructed
  //   tcpchat_build_info{version}     always 1
};

}  // namespace chat::metrics

#endif  // CHAT_METRICS_SERVER_METRICS_H_
