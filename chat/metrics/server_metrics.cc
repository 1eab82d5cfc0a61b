#include "chat/metrics/server_metrics.h"

#include <dirent.h>

#include <chrono>
#include <cmath>
#include <limits>

namespace chat::metrics {

std::string_view DisconnectReasonLabel(DisconnectReason reason) {
  switch (reason) {
    case DisconnectReason::kPeerClosed:
      return "peer_closed";
    case DisconnectReason::kReadError:
      return "read_error";
    case DisconnectReason::kSlowReader:
      return "slow_reader";
    case DisconnectReason::kSendTimeout:
      return "send_timeout";
    case DisconnectReason::kStopped:
      return "stopped";
    case DisconnectReason::kLoginTimeout:
      return "login_timeout";
    case DisconnectReason::kIdle:
      return "idle";
    case DisconnectReason::kFlooding:
      return "flooding";
    case DisconnectReason::kQuit:
      return "quit";
    case DisconnectReason::kLoginRefused:
      return "login_refused";
    case DisconnectReason::kProtocolError:
      return "protocol_error";
    case DisconnectReason::kKicked:
      return "kicked";
    case DisconnectReason::kBanned:
      return "banned";
  }
  return "unknown";
}

std::string_view RejectReasonLabel(RejectReason reason) {
  switch (reason) {
    case RejectReason::kTooLong:
      return "too_long";
    case RejectReason::kRateLimited:
      return "rate_limited";
    case RejectReason::kEmpty:
      return "empty";
    case RejectReason::kBadName:
      return "bad_name";
    case RejectReason::kAddressRateLimited:
      return "address_rate_limited";
  }
  return "unknown";
}

std::string_view RefusedConnectionReasonLabel(RefusedConnectionReason reason) {
  switch (reason) {
    case RefusedConnectionReason::kTooManyPending:
      return "pending";
    case RefusedConnectionReason::kTooManyConnections:
      return "connections";
    case RefusedConnectionReason::kTooManyAddresses:
      return "addresses";
    case RefusedConnectionReason::kTooManyHandshakes:
      return "handshakes";
  }
  return "unknown";
}

std::string_view ModerationActionLabel(ModerationAction action) {
  switch (action) {
    case ModerationAction::kKick: return "kick";
    case ModerationAction::kBan: return "ban";
    case ModerationAction::kUnban: return "unban";
    case ModerationAction::kMute: return "mute";
    case ModerationAction::kUnmute: return "unmute";
    case ModerationAction::kOp: return "op";
    case ModerationAction::kDeop: return "deop";
    case ModerationAction::kTopic: return "topic";
  }
  return "unknown";
}

std::vector<double> FsyncLatencyBuckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
}

int CountProcessThreads() {
  // opendir/readdir rather than std::filesystem: no exceptions, no allocation per entry.
  DIR* dir = ::opendir("/proc/self/task");
  if (dir == nullptr) return -1;
  int threads = 0;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') ++threads;  // skip "." and ".."
  }
  ::closedir(dir);
  return threads;
}

namespace {

// Registers one counter series per reason, in enum order, so that the array can be
// indexed by the enum's value.
template <typename Reason, size_t kCount>
std::array<Counter*, kCount> AddByReason(Registry& registry, std::string_view name,
                                         std::string_view help, std::string_view (*label)(Reason),
                                         std::string_view label_name = "reason") {
  std::array<Counter*, kCount> counters{};
  for (size_t i = 0; i < kCount; ++i) {
    counters[i] = &registry.AddCounter(
        name, help, {{std::string(label_name), std::string(label(static_cast<Reason>(i)))}});
  }
  return counters;
}

}  // namespace

ServerMetrics::ServerMetrics(std::string_view version)
    : connected_clients(registry.AddGauge("tcpchat_connected_clients",
                                          "Open client connections, logged in or not.")),
      logged_in_clients(registry.AddGauge("tcpchat_logged_in_clients",
                                          "Clients that have picked a name and joined the room.")),
      admission_blocked(registry.AddGauge(
          "tcpchat_admission_blocked",
          "1 while every client slot is taken and new connections wait in the listen "
          "backlog, else 0.")),
      connections_accepted(
          registry.AddCounter("tcpchat_connections_accepted_total", "TCP connections accepted.")),
      messages_received(registry.AddCounter("tcpchat_messages_received_total",
                                            "Chat messages accepted from clients.")),
      messages_broadcast(
          registry.AddCounter("tcpchat_messages_broadcast_total",
                              "Lines (messages and notices) broadcast to the room.")),
      deliveries(
          registry.AddCounter("tcpchat_deliveries_total",
                              "Lines queued to recipients; a broadcast to N clients counts N.")),
      received_bytes(
          registry.AddCounter("tcpchat_received_bytes_total", "Bytes read from client sockets.")),
      sent_bytes(
          registry.AddCounter("tcpchat_sent_bytes_total", "Bytes written to client sockets.")),
      slow_client_disconnects(registry.AddCounter(
          "tcpchat_slow_client_disconnects_total",
          "Clients disconnected because they read too slowly and their outbox overflowed.")),
      history_write_errors(registry.AddCounter("tcpchat_history_write_errors_total",
                                               "Failed writes of the chat history file.")),
      history_fsync_seconds(registry.AddHistogram("tcpchat_history_fsync_duration_seconds",
                                                  "Time each fsync of the chat history file took.",
                                                  FsyncLatencyBuckets())),
      disconnects_by_reason(AddByReason<DisconnectReason, kDisconnectReasonCount>(
          registry, "tcpchat_disconnects_total", "Client connections ended, by reason.",
          &DisconnectReasonLabel)),
      rejected_lines_by_reason(AddByReason<RejectReason, kRejectReasonCount>(
          registry, "tcpchat_rejected_lines_total", "Input lines refused, by reason.",
          &RejectReasonLabel)),
      refused_connections_by_reason(
          AddByReason<RefusedConnectionReason, kRefusedConnectionReasonCount>(
              registry, "tcpchat_refused_connections_total",
              "Connections closed at once by the per-address limits, by reason.",
              &RefusedConnectionReasonLabel)),
      moderation_actions_by_action(AddByReason<ModerationAction, kModerationActionCount>(
          registry, "tcpchat_moderation_actions_total", "Operators' moderation actions, by action.",
          &ModerationActionLabel, "action")),
      failed_logins(registry.AddCounter("tcpchat_failed_logins_total",
                                        "Wrong passwords given for registered names.")),
      tls_handshake_failures(registry.AddCounter(
          "tcpchat_tls_handshake_failures_total",
          "TLS handshakes that failed because the client broke the protocol.")),
      tls_certificate_reload_failures(registry.AddCounter(
          "tcpchat_tls_certificate_reload_failures_total",
          "Certificate reloads (SIGHUP) that kept the old certificate: the new files were "
          "unusable.")) {
  registry.AddCallbackGauge("tcpchat_process_threads", "Threads in the server process.", [] {
    const int threads = CountProcessThreads();
    return threads < 0 ? std::numeric_limits<double>::quiet_NaN() : threads;
  });
  const auto start = std::chrono::steady_clock::now();
  registry.AddCallbackGauge("tcpchat_uptime_seconds", "Seconds since the server started.", [start] {
    // steady_clock: uptime must not jump when the wall clock is set.
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  });
  registry.AddCallbackGauge("tcpchat_build_info", "The server's version, as a label; always 1.",
                            [] { return 1.0; }, {{"version", std::string(version)}});
}

ServerMetrics::TransportMetrics ServerMetrics::AddTransport(std::string_view transport) {
  const Labels labels = {{"transport", std::string(transport)}};
  return TransportMetrics{
      registry.AddCounter("tcpchat_transport_connections_accepted_total",
                          "Connections accepted, by the transport of their port.", labels),
      registry.AddGauge("tcpchat_transport_connected_clients",
                        "Open client connections, by the transport of their port.", labels)};
}

ServerMetrics::RedisMetrics ServerMetrics::AddRedis(std::function<bool()> up,
                                                    std::function<double()> pending_bytes) {
  registry.AddCallbackGauge("tcpchat_redis_up",
                            "1 while Redis (--redis) answers this instance, else 0.",
                            [up = std::move(up)] { return up() ? 1.0 : 0.0; });
  registry.AddCallbackGauge(
      "tcpchat_redis_pending_bytes",
      "Bytes of lines and notices waiting for Redis (see --redis_max_pending_bytes).",
      std::move(pending_bytes));
  constexpr char kLines[] = "tcpchat_redis_refused_lines_total";
  constexpr char kLinesHelp[] =
      "Chat lines and emotes not sent (their speaker was told) because Redis did not take "
      "them, by reason.";
  constexpr char kNotices[] = "tcpchat_redis_dropped_notices_total";
  constexpr char kNoticesHelp[] =
      "Joins, leaves and other notices not announced because Redis did not take them, by "
      "reason.";
  const Labels unavailable = {{"reason", "unavailable"}};
  const Labels queue_full = {{"reason", "queue_full"}};
  return RedisMetrics{registry.AddCounter(kLines, kLinesHelp, unavailable),
                      registry.AddCounter(kLines, kLinesHelp, queue_full),
                      registry.AddCounter(kNotices, kNoticesHelp, unavailable),
                      registry.AddCounter(kNotices, kNoticesHelp, queue_full)};
}

}  // namespace chat::metrics
