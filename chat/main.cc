// TCPChat server entry point: flags, logging, signals. The only reader of FLAGS_*.
//
//   server [--port=8989] [port]
//   server --tls_port=8990 --tls_cert_file=cert.pem --tls_key_file=key.pem

#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "chat/clock.h"
#include "chat/cluster/redis_client.h"
#include "chat/cluster/redis_store.h"
#include "chat/history/history_log.h"
#include "chat/identity/login_throttle.h"
#include "chat/identity/password.h"
#include "chat/identity/sqlite_store.h"
#include "chat/motd.h"
#include "chat/name.h"
#include "chat/server.h"
#include "chat/transport/proxy_header.h"
#include "chat/transport/tls_context.h"
#include "chat/transport/tls_transport.h"
#include "chat/web/endpoint.h"
#include "chat/web/web_listener.h"
#include "gflags/gflags.h"
#include "glog/logging.h"

DEFINE_int32(port, 8989,
             "TCP port to listen on; 0 picks a free port (the chosen one is printed). A single "
             "positional argument also sets it, as in `server 2525`.");
DEFINE_string(address, "",
              "Numeric IP address to listen on. Empty: every interface, IPv6 and IPv4.");
DEFINE_int32(max_clients, 10,
             "Most clients served at once. Further connections wait in the listen backlog "
             "(they see nothing) until someone leaves.");
DEFINE_uint64(max_rooms, 100,
              "Rooms that may exist at once, `general` included, so nobody can exhaust memory "
              "by inventing room names.");
DEFINE_uint64(history_size, 10000,
              "Chat lines kept in memory per room and replayed to each client joining it; "
              "the oldest drop off. 0 keeps none.");
DEFINE_uint64(history_room_bytes, 1 << 20,
              "Bytes of history kept in memory per room (text plus 64 bytes per line), on top "
              "of --history_size; the oldest lines drop off. 0: bounded by lines only.");
DEFINE_uint64(history_total_bytes, 64 << 20,
              "Bytes of history kept in memory by all rooms together; when over, the rooms "
              "with the most history lose their oldest lines first. 0: no server-wide cap.");
DEFINE_string(room_expiry, "24h",
              "Remove a room (and its in-memory history) once nobody has been in it for this "
              "long, so invented rooms cannot use up --max_rooms for good. 0: never.");
DEFINE_uint64(max_rooms_per_ip, 5,
              "Rooms one source address (IPv4 address or IPv6 /64) may have created that "
              "still exist. 0: no limit.");
DEFINE_uint64(max_line_bytes, 4096,
              "Longest accepted line in bytes, without its newline, counted after invalid "
              "UTF-8 is replaced. Longer lines are dropped and the sender is told.");
DEFINE_uint64(max_outbox_bytes, 1 << 20,
              "Output a client may fall behind by, in bytes, before it is disconnected as "
              "too slow, so one stalled reader cannot grow the server's memory. History "
              "replayed on joining counts too and is cut to half of this. 0: no limit.");
DEFINE_string(send_timeout, "10s",
              "Disconnect a client whose socket accepts no data for this long (e.g. 10s, "
              "500ms). 0 disables.");
DEFINE_double(max_msgs_per_sec, 20,
              "Flood control: lines a client may send per second on average (token bucket). "
              "0 disables flood control (e.g. for load tests).");
DEFINE_double(burst, 50, "Flood control: lines a client may send at once before the rate applies.");
DEFINE_uint64(flood_disconnect_after, 1000,
              "Disconnect a client after this many lines dropped in one flood. 0: only drop.");
DEFINE_string(login_timeout, "60s",
              "Close a connection that has not given a valid name this long after connecting, "
              "so idle or half-open sockets cannot hold the client slots. 0 disables.");
DEFINE_string(idle_timeout, "0",
              "Disconnect a logged-in client that sends nothing for this long, with a notice. "
              "0 (the default) disables.");
// Per source address: an IPv4 address, or an IPv6 /64 (IPv4 clients of the dual-stack
// listener count as IPv4). Each limit is off at 0.
DEFINE_int32(max_pending_per_ip, 3,
             "Connections one address may have at the name prompt; one more is told why and "
             "closed at once, so silent sockets cannot hold the client slots. 0: no limit.");
DEFINE_int32(max_connections_per_ip, 0,
             "Connections one address may have in all. 0 (the default): no limit, so ten "
             "friends behind one NAT can all chat.");
DEFINE_double(logins_per_minute_per_ip, 30,
              "Logins per minute one address may make on average (each sends a join and a "
              "leave notice to a room). 0: no limit.");
DEFINE_double(login_burst_per_ip, 60, "Logins one address may make at once.");
DEFINE_double(tls_handshakes_per_minute_per_ip, 300,
              "TLS connections (the TLS port, and the web port with a certificate) one "
              "address may open per minute, with a minute's worth at once; each costs the "
              "server a handshake. One more is told why in plain text and closed before "
              "any handshake. 0: no limit.");
DEFINE_double(ip_lines_per_sec, 40,
              "Lines per second all of one address's connections may send together, on "
              "average; reconnecting does not refill it. 0: no limit.");
DEFINE_double(ip_line_burst, 100, "Lines one address may send at once.");
DEFINE_double(ip_bytes_per_sec, 32768,
              "Bytes per second (after sanitising) all of one address's connections may send "
              "together, on average. 0: no limit.");
DEFINE_double(ip_byte_burst, 131072, "Bytes one address may send at once.");
DEFINE_double(rooms_per_hour_per_ip, 10,
              "New rooms one address may create per hour on average. 0: no limit.");
DEFINE_double(room_burst_per_ip, 10, "New rooms one address may create at once.");
DEFINE_string(proxy_protocol_from, "",
              "Comma-separated addresses of TCP load balancers (HAProxy `send-proxy`) whose "
              "connections start with a PROXY protocol v1 header naming the client, e.g. "
              "127.0.0.1. Per-address limits, bans, /whois and logs then use the client's "
              "address. A connection from such an address without a valid header within "
              "--login_timeout is closed. Empty (the default): every connection is taken as "
              "it comes. Never list an address untrusted clients can connect from.");
DEFINE_uint64(max_tracked_ips, 65536,
              "Addresses whose limits are remembered at once (about 450 bytes each); when all "
              "are connected, new addresses are turned away. 0: no bound.");

DEFINE_string(history_file, "",
              "Durable chat history: every chat line is appended to this file before it is "
              "broadcast, and read back on start (e.g. /var/lib/tcpchat/history.log). Empty: "
              "history is kept in memory only.");
DEFINE_string(redis, "",
              "One chat across several servers: HOST:PORT of a Redis (5.0 or later) that "
              "every instance is pointed at; rooms' lines, joins, leaves and renames are "
              "then shared in one order, and their history lives in Redis (instead of "
              "--history_file). Empty: off, this server alone, no Redis needed.");
DEFINE_string(instance_id, "",
              "With --redis: this instance's name in what it writes to Redis, unique per "
              "running server. Empty: HOSTNAME:PID.");
DEFINE_string(redis_timeout, "1s",
              "With --redis: how long connecting to Redis and each command may take; a line "
              "Redis does not take within it is reported to its speaker as not sent.");
DEFINE_string(redis_name_lease, "15s",
              "With --redis: names are unique across the instances; each is held in Redis "
              "for this long and renewed every third of it, so a crashed instance's names "
              "free themselves (and its users' leaves are announced) within it.");
DEFINE_uint64(redis_max_pending_bytes, 8 << 20,
              "With --redis: bytes of lines and notices that may wait for Redis (queued or "
              "sent and unanswered). Past it, as when Redis is down, a line is refused at once "
              "(its speaker is told it was NOT sent) and notices are dropped, so a Redis that "
              "stalls costs bounded memory. 0: no bound.");
DEFINE_string(redis_password_file, "",
              "With --redis: a file holding the password Redis requires (requirepass), sent "
              "with AUTH on every connection; one trailing newline is ignored. A file, not a "
              "flag value, so the password is not in `ps`. The server does not start if it "
              "cannot read it. Empty: no AUTH.");
DEFINE_string(identity_db, "",
              "Registered names: the SQLite database of accounts (password hashes only), "
              "created with its directory if missing, e.g. /var/lib/tcpchat/identity.db. "
              "Empty: off; /register says so and every name is free for anyone.");
DEFINE_bool(redis_identity, false,
            "With --redis: registered names, bans, room topics and ignore lists live in that "
            "Redis, shared by every instance (registration is on, as --identity_db turns it "
            "on for one server): a name registered on one instance needs its password on "
            "all, and a ban on one is enforced by all. Not with --identity_db.");
DEFINE_string(operators, "",
              "Comma-separated registered names that are operators (/kick, /ban, /mute, /op, "
              "/topic) once logged in with their password. Needs --identity_db (or "
              "--redis_identity). Operators made with /op are kept in the database as well.");
DEFINE_int32(login_slow_after, 3,
             "Wrong passwords one address may give before each further try must wait (1 s, "
             "doubling up to 60 s). 0: never slow down.");
DEFINE_int32(login_lockout_after, 10,
             "Wrong passwords from one address within --login_lockout that refuse it for "
             "--login_lockout. 0: never lock out.");
DEFINE_string(login_lockout, "15m",
              "How long an address that gave too many wrong passwords is refused, and the "
              "window they are counted in.");
DEFINE_int32(max_concurrent_password_hashes, 2,
             "Password hashes (Argon2id, 19 MiB each) computed at once; further logins and "
             "/register wait their turn, so a crowd typing passwords cannot take the "
             "server's memory. 0: no limit.");
DEFINE_string(password_hash_wait, "10s",
              "How long a login or /register waits for a free password hashing slot (see "
              "--max_concurrent_password_hashes) before the client is told the server is "
              "busy and to try again. Slots go first come, first served. 0: wait as long "
              "as it takes.");
DEFINE_double(password_ops_per_minute, 6,
              "Password checks and hashes one connection may cause per minute (login "
              "passwords, /register, /password, /unregister), as many at once; over it the "
              "client is told to try again later. 0: no limit.");
DEFINE_double(max_registrations_per_address, 3,
              "Names one address (IPv4, IPv6 /64) may /register per day, as many at once; "
              "over it /register says when to try again. Against name squatting. 0: no "
              "limit.");
DEFINE_uint64(max_mutes, 10000,
              "Names that may be muted at once (/mute; kept in memory, each entry at most "
              "~400 bytes); over it /mute says to /unmute someone first. 0: no bound.");
DEFINE_string(history_fsync, "batch",
              "When the history file is fsynced: always (every line), batch (at most every "
              "100 ms, one fsync per batch), or never (leave it to the OS).");
DEFINE_int32(metrics_port, 0,
             "Serve Prometheus metrics at http://<metrics_address>:<port>/metrics and a "
             "health check at /healthz. 0: off.");
DEFINE_string(metrics_address, "127.0.0.1",
              "Numeric address for the metrics endpoint; loopback by default so metrics are "
              "not public by accident.");
DEFINE_int32(http_port, 0,
             "Serve the chat page for browsers at http://<http_address>:<port>/ and its "
             "WebSocket endpoint at /ws (JSON; see README). Browser users share the rooms, "
             "names and limits of nc users. 0: off.");
DEFINE_string(http_address, "",
              "Numeric address for the chat page and its WebSocket. Empty: every interface, "
              "IPv6 and IPv4, like --address.");
DEFINE_string(http_allowed_origins, "",
              "Comma-separated origins (https://example.org, http://localhost:3000) whose "
              "pages may open the WebSocket besides the chat's own page; '*' allows any page "
              "(only on a private network). Empty: only the chat's own page.");
DEFINE_bool(log_message_text, false,
            "Log what people say, at INFO. Off by default: chat text is private; logs only "
            "say who sent how many bytes (at --v=1).");
DEFINE_int32(thread_stack_kib, 256,
             "Stack size of every thread the server starts (two per client), in KiB. The "
             "default of glibc (8 MiB) is address space a thousand clients never use. 0: "
             "the system default.");
DEFINE_int32(tls_port, 0,
             "Also serve the same chat over TLS on this port, e.g. 8990 (clients: `openssl "
             "s_client -quiet -connect host:8990`). Needs --tls_cert_file and --tls_key_file. "
             "0 (the default): no TLS.");
DEFINE_string(tls_address, "",
              "Numeric IP address for the TLS port. Empty: the same as --address.");
DEFINE_string(tls_cert_file, "",
              "PEM certificate chain for TLS, the server's certificate first. Re-read on "
              "SIGHUP (new connections get the new one; nobody is dropped).");
DEFINE_string(tls_key_file, "",
              "PEM private key of --tls_cert_file. Re-read with it on SIGHUP.");
DEFINE_string(motd_file, "",
              "Message of the day: this file's text (at most 4 KiB, each line sanitised like "
              "chat text) is shown to every client after login, after the history. Re-read "
              "on SIGHUP. Empty (the default): none.");
DEFINE_string(shutdown_grace, "1s",
              "On SIGINT/SIGTERM, how long clients get to receive the goodbye line before "
              "their connections are cut.");

namespace {

constexpr char kUsage[] = "[USAGE]: ./TCPChat $port";
constexpr char kVersion[] = "0.5.0";

[[noreturn]] void UsageExit() {
  std::cout << kUsage << std::endl;
  std::exit(1);
}

bool ParseDurationFlag(const std::string& text, absl::Duration* out) {
  if (text == "0") {
    *out = absl::ZeroDuration();
    return true;
  }
  return absl::ParseDuration(text, out) && *out >= absl::ZeroDuration();
}

bool ValidateDuration(const char* flag, const std::string& value) {
  absl::Duration unused;
  if (ParseDurationFlag(value, &unused)) return true;
  std::cerr << "--" << flag << ": expected a duration like 10s or 500ms, got '" << value
            << "'\n";
  return false;
}
DEFINE_validator(send_timeout, &ValidateDuration);
DEFINE_validator(shutdown_grace, &ValidateDuration);
DEFINE_validator(login_timeout, &ValidateDuration);
DEFINE_validator(idle_timeout, &ValidateDuration);
DEFINE_validator(room_expiry, &ValidateDuration);
DEFINE_validator(login_lockout, &ValidateDuration);
DEFINE_validator(redis_timeout, &ValidateDuration);
DEFINE_validator(redis_name_lease, &ValidateDuration);
DEFINE_validator(password_hash_wait, &ValidateDuration);

bool ValidateFsyncPolicy(const char* flag, const std::string& value) {
  if (chat::history::ParseFsyncPolicy(value).ok()) return true;
  std::cerr << "--" << flag << ": expected always, batch or never, got '" << value << "'\n";
  return false;
}
DEFINE_validator(history_fsync, &ValidateFsyncPolicy);

// Resolves --port and the optional positional port, exiting with the classic usage line
// on anything else.
int PortFromCommandLine(int argc, char** argv) {
  if (argc > 2) UsageExit();
  if (argc == 2) {
    int port = 0;
    if (!absl::SimpleAtoi(argv[1], &port) || port < 1 || port > 65535) UsageExit();
    return port;
  }
  if (FLAGS_port < 0 || FLAGS_port > 65535) UsageExit();
  return FLAGS_port;
}

// Blocks SIGINT/SIGTERM (and our private wake-up signal, and SIGHUP when there is
// something to reload) in the calling thread; every thread started afterwards inherits
// the mask, so only the signal thread sees them, and handles them as ordinary code
// (sigwait), not in a signal handler.
sigset_t BlockSignals(bool reload_on_hangup) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGUSR2);
  // With nothing to reload (no TLS, no --motd_file), SIGHUP keeps its default (the
  // server ends with its terminal).
  if (reload_on_hangup) sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

// The TLS flags, checked; nullopt (after saying why) if they do not make sense.
struct TlsFlags {
  int port = 0;  // 0: no TLS port of its own
  std::string address;
  std::string cert_file;  // empty: no TLS anywhere (the web port is plain http too)
  std::string key_file;
  bool enabled() const { return !cert_file.empty(); }
};
std::optional<TlsFlags> TlsFromCommandLine() {
  TlsFlags tls;
  if (FLAGS_tls_port < 0 || FLAGS_tls_port > 65535) {
    std::cerr << "--tls_port: expected 0 (off) or a port in 1..65535\n";
    return std::nullopt;
  }
  const bool any_file = !FLAGS_tls_cert_file.empty() || !FLAGS_tls_key_file.empty();
  if (FLAGS_tls_port == 0 && !any_file) return tls;
  if (FLAGS_tls_cert_file.empty() || FLAGS_tls_key_file.empty()) {
    std::cerr << (FLAGS_tls_port != 0 ? "--tls_port" : "TLS")
              << " needs --tls_cert_file and --tls_key_file (tools/make_cert.sh "
                 "makes a self-signed pair for trying it out)\n";
    return std::nullopt;
  }
  tls.port = FLAGS_tls_port;
  tls.address = FLAGS_tls_address.empty() ? FLAGS_address : FLAGS_tls_address;
  tls.cert_file = FLAGS_tls_cert_file;
  tls.key_file = FLAGS_tls_key_file;
  return tls;
}

// Runs the server until a signal stops it; the process's exit status. `motd`: the
// message of the day read from --motd_file.
int Serve(const chat::ServerOptions& options, const TlsFlags& tls, std::string motd);

}  // namespace

// A negative number would otherwise reach gflags as an unknown flag ("-1").
bool LooksLikeNegativeNumber(const char* arg) {
  int ignored;
  return arg[0] == '-' && absl::SimpleAtoi(arg, &ignored);
}

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (LooksLikeNegativeNumber(argv[i])) UsageExit();
    // gflags would name the binary ("server"); people know the product.
    if (std::string_view(argv[i]) == "--version" || std::string_view(argv[i]) == "-version") {
      std::cout << "tcpchat " << kVersion << std::endl;
      return 0;
    }
  }
  gflags::SetUsageMessage("A group chat server for nc and telnet clients, and browsers.\n  server [--port=N] [N]");
  gflags::ParseCommandLineFlags(&argc, &argv, /*remove_flags=*/true);
  const int port = PortFromCommandLine(argc, argv);

  // Log to stderr unless the operator asked for log files with --log_dir. (glog's own
  // default for log_dir comes from the environment, e.g. TEST_TMPDIR, so ask whether the
  // flag was given rather than whether it is empty.)
  if (gflags::GetCommandLineFlagInfoOrDie("logtostderr").is_default) {
    FLAGS_logtostderr = gflags::GetCommandLineFlagInfoOrDie("log_dir").is_default;
  }
  // Named for the product, not the binary: log files are tcpchat.INFO, tcpchat.WARNING...
  google::InitGoogleLogging("tcpchat");
  google::InstallFailureSignalHandler();

  // A client vanishing mid-send must be an error code, not a fatal SIGPIPE. (Sends use
  // MSG_NOSIGNAL too; this also covers anything else that writes.)
  signal(SIGPIPE, SIG_IGN);

  chat::ServerOptions options;
  options.address = FLAGS_address;
  options.port = port;
  options.max_clients = FLAGS_max_clients > 0 ? FLAGS_max_clients : 1;
  options.history_size = FLAGS_history_size;
  options.max_rooms = FLAGS_max_rooms;
  options.history_room_bytes = FLAGS_history_room_bytes;
  options.history_total_bytes = FLAGS_history_total_bytes;
  ParseDurationFlag(FLAGS_room_expiry, &options.room_expiry);
  options.max_rooms_per_ip = FLAGS_max_rooms_per_ip;
  chat::AddressLimitsOptions& ip = options.address_limits;
  ip.max_pending_per_address = std::max(0, FLAGS_max_pending_per_ip);
  ip.max_connections_per_address = std::max(0, FLAGS_max_connections_per_ip);
  ip.logins_per_minute = std::max(0.0, FLAGS_logins_per_minute_per_ip);
  ip.login_burst = std::max(1.0, FLAGS_login_burst_per_ip);
  ip.handshakes_per_minute = std::max(0.0, FLAGS_tls_handshakes_per_minute_per_ip);
  ip.lines_per_second = std::max(0.0, FLAGS_ip_lines_per_sec);
  ip.line_burst = std::max(1.0, FLAGS_ip_line_burst);
  ip.bytes_per_second = std::max(0.0, FLAGS_ip_bytes_per_sec);
  ip.byte_burst = std::max(1.0, FLAGS_ip_byte_burst);
  ip.rooms_per_hour = std::max(0.0, FLAGS_rooms_per_hour_per_ip);
  ip.room_burst = std::max(1.0, FLAGS_room_burst_per_ip);
  ip.max_tracked_addresses = FLAGS_max_tracked_ips;
  options.session.max_line_bytes = FLAGS_max_line_bytes;
  options.session.max_outbox_bytes = FLAGS_max_outbox_bytes;
  ParseDurationFlag(FLAGS_send_timeout, &options.session.send_timeout);
  options.session.max_msgs_per_sec = std::max(0.0, FLAGS_max_msgs_per_sec);
  options.session.burst = std::max(1.0, FLAGS_burst);
  options.session.flood_disconnect_after = FLAGS_flood_disconnect_after;
  ParseDurationFlag(FLAGS_login_timeout, &options.session.login_timeout);
  ParseDurationFlag(FLAGS_idle_timeout, &options.session.idle_timeout);
  ParseDurationFlag(FLAGS_shutdown_grace, &options.shutdown_grace);
  options.history_file = FLAGS_history_file;
  if (FLAGS_redis.empty() && !FLAGS_redis_password_file.empty()) {
    std::cerr << "--redis_password_file: only with --redis\n";
    return 1;
  }
  if (!FLAGS_redis.empty()) {
    absl::StatusOr<chat::cluster::RedisAddress> address =
        chat::cluster::ParseRedisAddress(FLAGS_redis);
    if (!address.ok()) {
      std::cerr << "--redis: expected HOST:PORT, " << address.status().message() << "\n";
      return 1;
    }
    if (!FLAGS_history_file.empty()) {
      std::cerr << "--redis and --history_file: with --redis the history is in Redis\n";
      return 1;
    }
    chat::cluster::RoomStreamsOptions cluster;
    cluster.address = *std::move(address);
    cluster.instance_id = FLAGS_instance_id;
    if (cluster.instance_id.empty()) {
      char host[HOST_NAME_MAX + 1] = {};
      ::gethostname(host, sizeof(host) - 1);
      cluster.instance_id = absl::StrCat(host, ":", ::getpid());
    }
    ParseDurationFlag(FLAGS_redis_timeout, &cluster.timeout);
    if (cluster.timeout <= absl::ZeroDuration()) cluster.timeout = absl::Seconds(1);
    ParseDurationFlag(FLAGS_redis_name_lease, &options.name_lease);
    if (options.name_lease <= absl::ZeroDuration()) {
      std::cerr << "--redis_name_lease: names need a lease longer than 0\n";
      return 1;
    }
    // Renewed every third of the lease, each renewal taking up to the timeout: shorter,
    // one slow renewal can let a name lapse (and its user be disconnected if taken).
    LOG_IF(WARNING, options.name_lease < 3 * cluster.timeout)
        << "--redis_name_lease=" << FLAGS_redis_name_lease
        << " is under three --redis_timeout: a slow Redis may let names lapse";
    // The stream keeps what a joiner is replayed; an instance that was away longer
    // resumes from what is left.
    cluster.max_len = std::max<uint64_t>(FLAGS_history_size, 1);
    cluster.history_lines = FLAGS_history_size;
    cluster.max_pending_bytes = FLAGS_redis_max_pending_bytes;
    if (!FLAGS_redis_password_file.empty()) {
      absl::StatusOr<std::string> password =
          chat::cluster::ReadRedisPasswordFile(FLAGS_redis_password_file);
      if (!password.ok()) {
        std::cerr << "--redis_password_file: " << password.status().message() << "\n";
        return 1;
      }
      cluster.address.password = *std::move(password);
    }
    options.cluster = std::move(cluster);
  }
  options.login_throttle.slow_after = std::max(0, FLAGS_login_slow_after);
  options.login_throttle.lockout_after = std::max(0, FLAGS_login_lockout_after);
  ParseDurationFlag(FLAGS_login_lockout, &options.login_throttle.lockout);
  // The window failures are counted in; with no lockout, still 15 minutes for the delays.
  options.login_throttle.window = options.login_throttle.lockout > absl::ZeroDuration()
                                      ? options.login_throttle.lockout
                                      : absl::Minutes(15);
  options.login_throttle.max_tracked = FLAGS_max_tracked_ips;
  chat::identity::LimitConcurrentHashing(std::max(0, FLAGS_max_concurrent_password_hashes));
  absl::Duration hash_wait = absl::ZeroDuration();
  ParseDurationFlag(FLAGS_password_hash_wait, &hash_wait);
  chat::identity::LimitHashingWait(hash_wait);
  options.session.password_ops_per_minute = std::max(0.0, FLAGS_password_ops_per_minute);
  options.registrations.per_day = std::max(0.0, FLAGS_max_registrations_per_address);
  options.max_mutes = FLAGS_max_mutes;
  options.registrations.max_tracked = FLAGS_max_tracked_ips;
  if (FLAGS_metrics_port < 0 || FLAGS_metrics_port > 65535) {
    std::cerr << "--metrics_port: expected 0 (off) or a port in 1..65535\n";
    return 1;
  }
  if (FLAGS_metrics_port > 0) options.metrics_port = FLAGS_metrics_port;
  if (FLAGS_http_port < 0 || FLAGS_http_port > 65535) {
    std::cerr << "--http_port: expected 0 (off) or a port in 1..65535\n";
    return 1;
  }
  chat::OriginPolicy origins;
  if (std::optional<std::string> refusal =
          chat::ParseOriginList(FLAGS_http_allowed_origins, &origins)) {
    std::cerr << "--http_allowed_origins: " << *refusal << "\n";
    return 1;
  }
  absl::StatusOr<chat::TrustedProxies> proxies =
      chat::TrustedProxies::Parse(FLAGS_proxy_protocol_from);
  if (!proxies.ok()) {
    std::cerr << "--proxy_protocol_from: " << proxies.status().message() << "\n";
    return 1;
  }
  options.trusted_proxies = *std::move(proxies);
  options.metrics_address = FLAGS_metrics_address;
  options.session.log_message_text = FLAGS_log_message_text;
  options.version = kVersion;
  options.history_fsync = *chat::history::ParseFsyncPolicy(FLAGS_history_fsync);
  const std::optional<TlsFlags> tls = TlsFromCommandLine();
  if (!tls.has_value()) return 1;
  std::string motd;
  if (!FLAGS_motd_file.empty()) {
    absl::StatusOr<std::string> read = chat::ReadMotdFile(FLAGS_motd_file);
    if (!read.ok()) {
      std::cerr << "--motd_file: " << read.status().message() << "\n";
      return 1;
    }
    motd = *std::move(read);
  }

  const int status = Serve(options, *tls, std::move(motd));
  LOG(INFO) << "bye";
  // Only now: the server (and its metrics thread) is gone, so nothing logs after this.
  google::ShutdownGoogleLogging();
  return status;
}

namespace {

// Makes every thread started from now on use a stack of `kib` KiB (0: leave the default).
void SetThreadStackSize(int kib) {
  if (kib <= 0) return;
#if defined(__SANITIZE_THREAD__)
  // ThreadSanitizer's pthread_create fails with EINVAL once a default attribute is set
  // (seen with g++ 12), so its builds keep the system default.
  return;
#endif
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  const size_t bytes = std::max<size_t>(PTHREAD_STACK_MIN, static_cast<size_t>(kib) * 1024);
  if (pthread_attr_setstacksize(&attr, bytes) != 0 || pthread_setattr_default_np(&attr) != 0) {
    LOG(WARNING) << "--thread_stack_kib=" << kib << ": could not set the default stack size";
  }
  pthread_attr_destroy(&attr);
}

// Reads the certificate and key again, keeping the old ones if the new are unusable.
void ReloadTls(chat::TlsServerContext& tls, chat::metrics::ServerMetrics& metrics) {
  if (absl::Status status = tls.Reload(); !status.ok()) {
    metrics.tls_certificate_reload_failures.Increment();
    LOG(ERROR) << "SIGHUP: kept the old TLS certificate: " << status.message();
    return;
  }
  LOG(INFO) << "SIGHUP: reloaded TLS certificate " << tls.cert_file() << " and key "
            << tls.key_file() << "; new connections use them";
}

// Reads --motd_file again, keeping the old message if the file is now unusable.
void ReloadMotd(chat::Motd& motd) {
  absl::StatusOr<std::string> read = chat::ReadMotdFile(FLAGS_motd_file);
  if (!read.ok()) {
    LOG(ERROR) << "SIGHUP: kept the old message of the day: " << read.status().message();
    return;
  }
  motd.Set(*std::move(read));
  LOG(INFO) << "SIGHUP: reloaded the message of the day from " << FLAGS_motd_file;
}

int Serve(const chat::ServerOptions& options, const TlsFlags& tls_flags, std::string motd) {
  SetThreadStackSize(FLAGS_thread_stack_kib);
  const bool reload_motd = !FLAGS_motd_file.empty();
  // Before any thread exists (the metrics server starts one in Listen()), so every
  // thread inherits the mask and only the signal thread sees SIGINT/SIGTERM/SIGHUP.
  const sigset_t signals =
      BlockSignals(/*reload_on_hangup=*/tls_flags.enabled() || reload_motd);
  const int port = options.port;
  // Declared before the server, which points into it.
  std::unique_ptr<chat::identity::IdentityStore> identity;
  chat::ServerOptions with_identity = options;
  if (FLAGS_redis_identity) {
    if (!options.cluster.has_value()) {
      std::cerr << "--redis_identity needs --redis\n";
      return 1;
    }
    if (!FLAGS_identity_db.empty()) {
      std::cerr << "--redis_identity and --identity_db: registered names are either in Redis "
                   "(shared by every instance) or in one server's file, not both\n";
      return 1;
    }
    chat::cluster::RedisStoreOptions store;
    store.address = options.cluster->address;
    store.timeout = options.cluster->timeout;
    auto redis_store = std::make_unique<chat::cluster::RedisStore>(store);
    // Not fatal: the rooms wait for Redis too, and each use of the store retries.
    if (absl::Status up = redis_store->Ping(); !up.ok()) {
      LOG(WARNING) << "registered names in redis: not reachable yet: " << up;
    }
    identity = std::move(redis_store);
    with_identity.identity = identity.get();
    LOG(INFO) << "registered names in redis " << FLAGS_redis;
  } else if (!FLAGS_identity_db.empty()) {
    if (options.cluster.has_value()) {
      // Each instance would keep its own accounts and bans: a name registered on one
      // would be free on the next, and a ban would hold on one instance only.
      std::cerr << "--identity_db with --redis: every instance would have its own accounts "
                   "and bans; use --redis_identity to keep them in Redis\n";
      return 1;
    }
    absl::StatusOr<std::unique_ptr<chat::identity::SqliteStore>> opened =
        chat::identity::SqliteStore::Open(FLAGS_identity_db);
    if (!opened.ok()) {
      std::cerr << "cannot open --identity_db: " << opened.status().message() << "\n";
      LOG_IF(ERROR, !FLAGS_logtostderr) << "cannot open --identity_db: " << opened.status();
      return 1;
    }
    identity = *std::move(opened);
    with_identity.identity = identity.get();
    LOG(INFO) << "registered names in " << FLAGS_identity_db;
  }
  for (absl::string_view name : absl::StrSplit(FLAGS_operators, ',', absl::SkipWhitespace())) {
    name = absl::StripAsciiWhitespace(name);
    if (std::optional<std::string> bad = chat::ValidateName(name)) {
      std::cerr << "--operators: '" << name << "': " << *bad << "\n";
      return 1;
    }
    with_identity.operators.push_back(std::string(name));
  }
  if (!with_identity.operators.empty()) {
    if (identity == nullptr) {
      std::cerr << "--operators needs --identity_db or --redis_identity: operators are "
                   "registered names\n";
      return 1;
    }
    LOG(INFO) << "operators: " << absl::StrJoin(with_identity.operators, ", ");
  }
  // Declared before the server: its listeners (and so every session's transport factory)
  // point into it.
  std::unique_ptr<chat::TlsServerContext> tls;
  chat::Server server(with_identity, chat::RealClock::Default(), absl::LocalTimeZone());
  server.motd().Set(std::move(motd));
  // Null without TLS; with it, what the TLS port and the web port (https, wss) run over.
  chat::TransportFactory make_tls;
  if (tls_flags.enabled()) {
    absl::StatusOr<std::unique_ptr<chat::TlsServerContext>> loaded =
        chat::TlsServerContext::Load(tls_flags.cert_file, tls_flags.key_file);
    if (!loaded.ok()) {
      std::cerr << "cannot start TLS: " << loaded.status().message() << "\n";
      LOG_IF(ERROR, !FLAGS_logtostderr) << "cannot start TLS: " << loaded.status();
      return 1;
    }
    tls = *std::move(loaded);
    chat::metrics::Counter* const failures = &server.metrics().tls_handshake_failures;
    make_tls = [context = tls.get(), failures](chat::ScopedFd fd) -> std::unique_ptr<chat::Transport> {
      return std::make_unique<chat::TlsTransport>(std::move(fd), context->Current().get(), failures);
    };
  }
  if (tls_flags.port != 0) {
    chat::ListenerOptions listener{"tls", tls_flags.address, tls_flags.port, make_tls};
    listener.handshakes = true;
    server.AddListener(std::move(listener));
  }
  if (FLAGS_http_port > 0) {
    chat::WebSocketOptions web;
    // Checked at startup (ParseArguments), so this cannot fail here.
    CHECK(!chat::ParseOriginList(FLAGS_http_allowed_origins, &web.origins).has_value());
    chat::ListenerOptions listener =
        chat::WebListener(FLAGS_http_address, FLAGS_http_port, make_tls, std::move(web));
    listener.handshakes = make_tls != nullptr;  // https/wss: every connection handshakes
    server.AddListener(std::move(listener));
  }
  if (absl::Status status = server.Listen(); !status.ok()) {
    // Once for the person at the terminal; the log gets it too only when it is a file.
    std::cerr << "cannot start on port " << port << ": " << status.message() << "\n";
    LOG_IF(ERROR, !FLAGS_logtostderr) << "cannot start on port " << port << ": " << status;
    return 1;
  }
  std::cout << "Listening on the port :" << server.port() << std::endl;
  if (tls_flags.port != 0) {
    std::cout << "Listening for TLS on the port :" << server.port_of("tls") << std::endl;
  }
  if (const int web = server.port_of("web"); web > 0) {
    std::cout << "Chat page on port " << web << ": " << (tls != nullptr ? "https" : "http")
              << "://localhost:" << web << "/" << std::endl;
  }
  LOG(INFO) << "listening on port " << server.port() << ", at most " << options.max_clients
            << " clients";

  std::thread signal_thread([&server, &tls, signals, reload_motd] {
    bool stopping = false;
    while (true) {
      int signal_number = 0;
      sigwait(&signals, &signal_number);
      if (signal_number == SIGUSR2) return;  // main is done; nothing to stop
      if (signal_number == SIGHUP) {  // blocked only when there is something to reload
        if (tls != nullptr) ReloadTls(*tls, server.metrics());
        if (reload_motd) ReloadMotd(server.motd());
        continue;
      }
      if (stopping) {
        // A second SIGINT/SIGTERM: the operator does not want to wait.
        LOG(WARNING) << "second signal; exiting now";
        google::FlushLogFiles(google::GLOG_INFO);
        std::_Exit(1);
      }
      LOG(INFO) << "received " << strsignal(signal_number) << "; shutting down";
      server.Stop();
      stopping = true;
    }
  });

  server.Run();
  pthread_kill(signal_thread.native_handle(), SIGUSR2);
  signal_thread.join();
  return 0;
}

}  // namespace
