// chat/server.h: the listening socket, the client limit, and the accept loop.
//
// Defines:
//   ServerOptions - where to listen and the limits.
//   Server        - owns the room, the sessions, and the admission gate.

#ifndef CHAT_SERVER_H_
#define CHAT_SERVER_H_

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "chat/abuse/address_limits.h"
#include "chat/admission_gate.h"
#include "chat/history/history_log.h"
#include "chat/history_journal.h"
#include "chat/transport/proxy_header.h"
#include "chat/clock.h"
#include "chat/cluster/inbox.h"
#include "chat/cluster/presence.h"
#include "chat/cluster/room_streams.h"
#include "chat/name_registry.h"
#include "chat/core/lobby.h"
#include "chat/identity/login_throttle.h"
#include "chat/identity/registration_limit.h"
#include "chat/identity/password.h"
#include "chat/identity/store.h"
#include "chat/metrics/http_server.h"
#include "chat/metrics/server_metrics.h"
#include "chat/moderation.h"
#include "chat/motd.h"
#include "chat/protocol.h"
#include "chat/session.h"
#include "chat/socket.h"
#include "chat/transport/transport.h"

namespace chat {

// Makes the transport for a connection just accepted on one listening port. Runs on the
// acceptor thread, so it must not block (a TLS handshake happens later, in the session).
using TransportFactory = std::function<std::unique_ptr<Transport>(ScopedFd)>;

// Makes the Protocol a connection on one listening port speaks (net-cat lines, JSON, ...).
// Runs on the acceptor thread.
using ProtocolFactory = std::function<std::unique_ptr<Protocol>(const SessionOptions&)>;

// A listening port besides the plain one (TLS, WebSocket). Its clients share everything
// with the plain port's: the client limit, per-address limits, names, rooms, metrics.
struct ListenerOptions {
  // Names the listener in logs ("tls"); unique per server.
  std::string name;
  // As ServerOptions::address and ::port.
  std::string address;
  int port = 0;
  TransportFactory make_transport;
  // Null: net-cat. (Initialised so that listeners written before it need not name it.)
  ProtocolFactory make_protocol = nullptr;
  // How a connection the per-address limits refuse is told why (`notice` is a net-cat
  // line), before any transport exists: the web port wraps it in an HTTP response, so a
  // browser shows it. Null: the line as it is.
  std::function<std::string(std::string_view notice)> frame_refusal = nullptr;
  // Each connection costs a TLS handshake: the per-address handshake limit applies.
  bool handshakes = false;
};

struct ServerOptions {
  // Numeric address to bind; empty means every interface (dual-stack where possible).
  std::string address;
  // 0 picks a free port; port() tells which.
  int port = 8989;
  int max_clients = 10;
  // Connections beyond max_clients wait here, in the kernel, until a slot frees.
  int listen_backlog = 128;
  size_t history_size = 10000;  // lines per room
  size_t history_room_bytes = size_t{1} << 20;   // per room; 0: no byte bound
  size_t history_total_bytes = size_t{64} << 20;  // all rooms; 0: no cap
  size_t max_rooms = 100;
  // Unused rooms (nobody in them) are removed after this long; zero: never.
  absl::Duration room_expiry = absl::Hours(24);
  // Rooms one source address may have created that still exist; 0: no cap.
  size_t max_rooms_per_ip = 5;
  // Joins and leaves reach people in sweeps this far apart (see LobbyOptions); zero: at
  // once, like chat lines.
  absl::Duration notice_wake_interval = absl::Milliseconds(20);
  // On shutdown, how long clients get to receive the farewell before being cut off.
  absl::Duration shutdown_grace = absl::Seconds(1);
  // Durable history: every chat line is appended here before it is broadcast, and read
  // back at start-up. Empty: history lives in memory only.
  std::string history_file;
  history::FsyncPolicy history_fsync = history::FsyncPolicy::kBatch;
  // One chat across instances (--redis): every room is a Redis stream shared by every
  // server pointed at the same Redis, which then replaces `history_file`. Unset: this
  // server alone, no Redis needed.
  std::optional<cluster::RoomStreamsOptions> cluster;
  // With `cluster`: names are unique across the instances, each claim a lease in Redis
  // this long, renewed every third of it; a crashed instance's names free themselves
  // within it, and its users' leaves are announced then.
  absl::Duration name_lease = absl::Seconds(15);
  // Prometheus /metrics and /healthz over HTTP, when set (0 picks a free port). The
  // address defaults to loopback so metrics are not public by accident.
  std::optional<int> metrics_port;
  std::string metrics_address = "127.0.0.1";
  // Reported as tcpchat_build_info{version=...}.
  std::string version = "dev";
  SessionOptions session;
  // Limits per source address (IPv4 address, IPv6 /64); Disabled() for load tests.
  AddressLimitsOptions address_limits;
  // Load balancers whose connections start with a PROXY header naming the client
  // (--proxy_protocol_from), on every listener. The header is read by the session's
  // reader within the login timeout; per-address limits, bans and logs use the client's
  // address from it. Empty: nobody, every connection's own address stands.
  TrustedProxies trusted_proxies;
  // Registered names: the store (not owned; it must outlive the server), or null for
  // none (every name free for anyone); password guessing limits per address; the cost of
  // each password hash.
  identity::IdentityStore* identity = nullptr;
  identity::LoginThrottleOptions login_throttle;
  // Names one address may register per day.
  identity::RegistrationLimitOptions registrations;
  identity::PasswordOptions password_options = identity::PasswordOptions::Interactive();
  // Moderation (needs `identity`): the registered names that are operators once logged
  // in with their password (--operators), besides those /op made; and how many names
  // may be muted at once.
  std::vector<std::string> operators;
  size_t max_mutes = 10000;
};

// The line every client gets when the server stops.
inline constexpr std::string_view kShutdownNotice = "\nServer is shutting down. Goodbye!\n";

// Server accepts clients and gives each a Session; everyone starts in room "general".
//
// Example:
//   Server server(options, RealClock::Default(), absl::LocalTimeZone());
//   if (absl::Status s = server.Listen(); !s.ok()) ...
//   std::jthread t([&] { server.Run(); });
//   ...
//   server.Stop();  // Run() returns after every session has ended
//
// Thread-safe.
class Server {
 public:
  Server(ServerOptions options, const Clock& clock, absl::TimeZone time_zone);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Server::Listen() restores the history file (if configured) and binds the listening
  // socket. Call once, before Run().
  absl::Status Listen();

  // Server::AddListener() adds a listening port whose connections speak through the
  // transports `listener.make_transport` makes. Call before Listen(); the plain port
  // (ServerOptions::port, plain TCP) is always there.
  void AddListener(ListenerOptions listener);

  // The plain port (after Listen()).
  int port() const { return listeners_.front().port; }
  // The port of the listener added as `name` (after Listen()), or 0 if there is none.
  int port_of(std::string_view name) const;
  // The metrics HTTP port (after Listen()), or 0 when metrics are off.
  int metrics_port() const { return http_ == nullptr ? 0 : http_->port(); }
  metrics::ServerMetrics& metrics() { return metrics_; }
  // The message of the day shown after each login (empty: none); replaceable at any time.
  Motd& motd() { return motd_; }

  // Server::Run() accepts connections until Stop(), then says goodbye to every client,
  // waits up to shutdown_grace for them to get it, cuts off the rest, and joins every
  // thread before returning.
  void Run() ABSL_LOCKS_EXCLUDED(mu_);

  // Server::Stop() makes Run() wind down. Returns at once; safe to call repeatedly and
  // from any thread, including before Run().
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);

  Lobby& lobby() { return lobby_; }
  Room& default_room() { return lobby_.default_room(); }
  const AdmissionGate& gate() const { return gate_; }
  // Sessions not yet destroyed (finished ones are reaped on the next accept).
  size_t session_count() const ABSL_LOCKS_EXCLUDED(mu_);

  // Server::AwaitNoLiveSessions() waits up to `timeout` until every session has
  // finished; true if they have. For tests and diagnostics.
  bool AwaitNoLiveSessions(absl::Duration timeout) const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void AcceptLoop() ABSL_LOCKS_EXCLUDED(mu_);
  struct Listener {
    ListenerOptions options;
    ScopedFd fd;
    int port = 0;
    // Its series in metrics_ (labelled with options.name), registered by Listen().
    metrics::Counter* accepted = nullptr;
    metrics::Gauge* connected = nullptr;
  };
  // Waits until one of the listeners has a connection to accept and returns it, taking
  // turns so a busy port cannot starve another; null (errno set) if poll() failed. With
  // a single listener, returns it at once: its blocking accept() does the waiting.
  Listener* AwaitConnection() ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status Bind(Listener& listener);
  // `proxied`: the connection is from a trusted balancer; the session admits it once
  // its PROXY header is read, and `ticket` is empty.
  void StartSession(const Listener& listener, ScopedFd fd, AddressLimits::Ticket ticket,
                    bool proxied = false) ABSL_LOCKS_EXCLUDED(mu_);
  // Applies the per-address connection limits to a new connection; false if it was
  // refused (told why, and closed).
  bool Admit(const ListenerOptions& listener, ScopedFd& fd, AddressLimits::Ticket* ticket);
  // The same for address `key`: its ticket, or what to tell the client (framed for the
  // listener). Thread-safe: a proxied session's reader calls it.
  std::variant<AddressLimits::Ticket, std::string> AdmitAddress(const ListenerOptions& listener,
                                                                const std::string& key);
  void OnSessionFinished(Session* session) ABSL_LOCKS_EXCLUDED(mu_);
  void ShutdownSessions() ABSL_LOCKS_EXCLUDED(mu_);
  std::vector<Session*> LiveSessions() const ABSL_LOCKS_EXCLUDED(mu_);
  // Destroys finished sessions (joining their threads). Never call with mu_ held: a
  // finishing session's last act takes mu_.
  void ReapFinished() ABSL_LOCKS_EXCLUDED(mu_);
  bool NoLiveSessions() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return live_.empty(); }
  bool Accepting() const ABSL_LOCKS_EXCLUDED(mu_);
  // options_.cluster with its counters in metrics_ (registering the Redis series).
  cluster::RoomStreamsOptions CountedClusterOptions();
  absl::Status OpenHistory();
  // Sleeps up to `delay` unless Stop() is called meanwhile.
  void SleepUnlessStopped(absl::Duration delay) ABSL_LOCKS_EXCLUDED(mu_);

  // Rooms are built before the history file is opened (in Listen), so they journal
  // through this slot, which is filled in before any session exists.
  class JournalSlot final : public Journal {
   public:
    void Record(std::string_view room, const Event& event) override {
      if (target != nullptr) target->Record(room, event);
    }
    Journal* target = nullptr;
  };

  const ServerOptions options_;
  const absl::TimeZone time_zone_;
  metrics::ServerMetrics metrics_;
  JournalSlot journal_slot_;
  std::unique_ptr<HistoryJournal> journal_;
  // Before the registry, which claims through it until the last session is gone.
  std::unique_ptr<cluster::Presence> presence_;
  NameRegistry names_;
  // Before the lobby, whose rooms publish through it; stopped first in ~Server.
  std::unique_ptr<cluster::RoomStreams> room_streams_;
  // With `cluster`: private messages and kicks to and from the other instances' users.
  // After names_, into which it delivers; stopped once the sessions are.
  std::unique_ptr<cluster::Inbox> inbox_;
  Lobby lobby_;
  Motd motd_;
  // Set when `identity` is: operators and mutes.
  std::unique_ptr<Moderation> moderation_;
  SessionContext context_;
  AdmissionGate gate_;
  // Declared before the sessions: every Ticket must be gone before it is.
  AddressLimits address_limits_;
  identity::LoginThrottle login_throttle_;
  identity::RegistrationLimit registrations_;
  // The plain port first. Fixed once Listen() starts: the acceptor and Stop() read it
  // without a lock.
  std::vector<Listener> listeners_;
  // Where AwaitConnection() starts looking (acceptor thread only).
  size_t next_listener_ = 0;
  std::unique_ptr<metrics::HttpServer> http_;  // declared after what its handlers read

  // When ReapFinished() last returned free memory to the system (acceptor thread only).
  std::chrono::steady_clock::time_point last_trim_;

  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_map<Session*, std::unique_ptr<Session>> live_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<Session>> finished_ ABSL_GUARDED_BY(mu_);
};

}  // namespace chat

#endif  // CHAT_SERVER_H_
