#include "chat/server.h"

#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <sys/socket.h>

#include <chrono>
#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "chat/abuse/address_key.h"
#include "chat/message.h"
#include "chat/name.h"
#include "chat/transport/tcp_transport.h"
#include "glog/logging.h"

namespace chat {
namespace {

// After accept() fails for lack of descriptors or memory, wait this long before retrying:
// retrying at once would spin a core while nothing can change.
constexpr absl::Duration kAcceptBackoff = absl::Milliseconds(100);

// A room log keeps at least this much, whatever the flags, so slightly slow readers are
// not cut off just because history is turned off.
constexpr size_t kMinRoomLogBytes = 256 * 1024;

LobbyOptions LobbyOptionsOf(const ServerOptions& options, Sequencer* sequencer) {
  LobbyOptions lobby;
  lobby.room.sequencer = sequencer;
  // Without a byte bound, history is bounded by its line count and the line limit.
  const size_t history_bytes =
      options.history_room_bytes > 0
          ? options.history_room_bytes
          : options.history_size *
                (options.session.max_line_bytes + kMaxNameBytes + Event::kOverheadBytes);
  // The log keeps what history needs and at least what a reader may lag by, so a reader
  // within its limit never loses an event; never unbounded (0 would mean that). Lines
  // that notices push out of it are kept apart, within the same history bounds.
  lobby.room.log = RoomLogOptions{
      std::max({history_bytes, options.session.max_outbox_bytes, kMinRoomLogBytes}),
      options.history_size, options.history_room_bytes};
  lobby.max_history_bytes = options.history_total_bytes;
  lobby.max_rooms = options.max_rooms;
  lobby.room_expiry = options.room_expiry;
  lobby.max_rooms_per_creator = options.max_rooms_per_ip;
  lobby.notice_wake_interval = options.notice_wake_interval;
  return lobby;
}

}  // namespace

Server::Server(ServerOptions options, const Clock& clock, absl::TimeZone time_zone)
    : options_(std::move(options)),
      time_zone_(time_zone),
      metrics_(options_.version),
      room_streams_(options_.cluster.has_value()
                        ? std::make_unique<cluster::RoomStreams>(CountedClusterOptions())
                        : nullptr),
      lobby_(LobbyOptionsOf(options_, room_streams_.get()), clock, &journal_slot_),
      gate_(options_.max_clients,
            [this](bool blocked) { metrics_.admission_blocked.Set(blocked ? 1 : 0); }),
      address_limits_(options_.address_limits, clock),
      login_throttle_(options_.login_throttle),
      registrations_(options_.registrations) {
  context_.lobby = &lobby_;
  context_.metrics = &metrics_;
  context_.names = &names_;
  if (options_.cluster.has_value()) {
    cluster::PresenceOptions presence;
    presence.address = options_.cluster->address;
    presence.instance_id = options_.cluster->instance_id;
    presence.timeout = options_.cluster->timeout;
    presence.lease = options_.name_lease;
    presence.stream_max_len = options_.cluster->max_len;
    presence.clock = &clock;
    presence_ = std::make_unique<cluster::Presence>(std::move(presence));
    names_.Share(presence_.get());
  }
  context_.motd = &motd_;
  context_.clock = &clock;
  context_.time_zone = time_zone;
  context_.options = options_.session;
  context_.address_limits = options_.address_limits;
  context_.identity = options_.identity;
  context_.login_throttle = &login_throttle_;
  context_.registrations = &registrations_;
  context_.password_options = options_.password_options;
  if (options_.cluster.has_value()) {
    cluster::InboxOptions inbox;
    inbox.address = options_.cluster->address;
    inbox.instance_id = options_.cluster->instance_id;
    inbox.timeout = options_.cluster->timeout;
    // Stop() waits for the inbox's XREAD at most this long.
    inbox.block = std::min(options_.cluster->timeout / 2, absl::Milliseconds(500));
    // moderation_ is set below, before Start() runs the inbox thread.
    inbox.is_protected = [this](std::string_view key) {
      absl::StatusOr<bool> is_operator = IsOperatorKey(moderation_.get(), options_.identity, key);
      LOG_IF(ERROR, !is_operator.ok())
          << "identity store: looking up an operator for another instance's kick: "
          << is_operator.status();
      return !is_operator.ok() || *is_operator;  // unreadable: protected
    };
    inbox_ = std::make_unique<cluster::Inbox>(inbox, &names_, &clock);
    context_.remote = inbox_.get();
  }
  if (options_.identity != nullptr) {
    std::vector<std::string> operator_keys;
    for (const std::string& name : options_.operators) operator_keys.push_back(NameKey(name));
    moderation_ = std::make_unique<Moderation>(std::move(operator_keys), options_.max_mutes);
    context_.moderation = moderation_.get();
  }
  listeners_.push_back(Listener{
      ListenerOptions{"tcp", options_.address, options_.port,
                      [](ScopedFd fd) { return std::make_unique<TcpTransport>(std::move(fd)); }},
      ScopedFd(), 0});
}

void Server::AddListener(ListenerOptions listener) {
  CHECK(!listeners_.front().fd.valid()) << "AddListener() after Listen()";
  listeners_.push_back(Listener{std::move(listener), ScopedFd(), 0});
}

int Server::port_of(std::string_view name) const {
  for (const Listener& listener : listeners_) {
    if (listener.options.name == name) return listener.port;
  }
  return 0;
}

absl::Status Server::Bind(Listener& listener) {
  const ListenerOptions& options = listener.options;
  absl::StatusOr<ScopedFd> fd = ListenTcp(options.address, options.port, options_.listen_backlog);
  if (!fd.ok()) return fd.status();
  absl::StatusOr<int> port = LocalPort(fd->get());
  if (!port.ok()) return port.status();
  // With several listeners, poll() picks the ready one, and a connection it reports may
  // be gone by the time accept() runs. A lone listener keeps its blocking accept(), which
  // holds a descriptor number reserved while it waits, so when descriptors run out one
  // more client still gets in (server_fd_exhaustion_test).
  if (listeners_.size() > 1 && !SetNonBlocking(fd->get())) {
    return absl::InternalError(absl::StrCat("fcntl(O_NONBLOCK): ", std::strerror(errno)));
  }
  listener.fd = *std::move(fd);
  listener.port = *port;
  const metrics::ServerMetrics::TransportMetrics series = metrics_.AddTransport(options.name);
  listener.accepted = &series.accepted;
  listener.connected = &series.connected;
  return absl::OkStatus();
}

Server::~Server() {
  Stop();
  // No more replicated events: the follower must not keep a room alive past the lobby.
  if (room_streams_ != nullptr) room_streams_->Stop();
  // After the last session released its name (ShutdownSessions, in Run).
  if (presence_ != nullptr) presence_->Stop();
  if (inbox_ != nullptr) inbox_->Stop();
  if (http_ != nullptr) http_->Stop();
  ReapFinished();
}

absl::Status Server::OpenHistory() {
  HistoryJournal::Stats stats;
  history::HistoryLogOptions log_options;
  log_options.fsync_policy = options_.history_fsync;
  log_options.on_fsync = [this](absl::Duration latency) {
    metrics_.history_fsync_seconds.Observe(absl::ToDoubleSeconds(latency));
  };
  absl::StatusOr<std::unique_ptr<HistoryJournal>> journal = HistoryJournal::Open(
      options_.history_file, std::move(log_options), options_.history_size, lobby_,
      &stats, [this] { metrics_.history_write_errors.Increment(); });
  if (!journal.ok()) {
    return absl::Status(journal.status().code(),
                        absl::StrCat("history file ", options_.history_file, ": ",
                                     journal.status().message()));
  }
  journal_ = *std::move(journal);
  journal_slot_.target = journal_.get();
  LOG(INFO) << "history " << options_.history_file << ": " << stats.records_loaded
            << " lines in " << stats.rooms << " room(s) read back";
  LOG_IF(WARNING, stats.rooms_skipped > 0)
      << "history " << options_.history_file << ": " << stats.rooms_skipped
      << " room(s) left out: more rooms than --max_rooms=" << options_.max_rooms
      << " (the most recently active ones were restored)";
  LOG_IF(WARNING, stats.corrupt_lines_skipped > 0)
      << "history " << options_.history_file << ": skipped " << stats.corrupt_lines_skipped
      << " corrupt line(s)";
  LOG_IF(WARNING, stats.torn_tail)
      << "history " << options_.history_file
      << ": the last line was cut short by a crash and was skipped";
  return absl::OkStatus();
}

absl::Status Server::Listen() {
  if (room_streams_ != nullptr) {
    if (!options_.history_file.empty()) {
      return absl::InvalidArgumentError(
          "--history_file and --redis: with --redis the history is in Redis");
    }
    room_streams_->Start();
    inbox_->Start();
    presence_->Start([this] { return names_.DescribeAll(); },
                     [this](const std::string& name) {
                       names_.Kick(name, std::string(kNameLostElsewhere));
                     });
    LOG(INFO) << "rooms shared through redis " << options_.cluster->address.host << ":"
              << options_.cluster->address.port << " as instance "
              << options_.cluster->instance_id;
  }
  if (!options_.history_file.empty()) {
    if (absl::Status status = OpenHistory(); !status.ok()) return status;
  }
  for (Listener& listener : listeners_) {
    if (absl::Status status = Bind(listener); !status.ok()) {
      if (&listener == &listeners_.front()) return status;  // the classic message
      return absl::Status(status.code(), absl::StrCat(listener.options.name, " port ",
                                                      listener.options.port, ": ",
                                                      status.message()));
    }
    if (&listener != &listeners_.front()) {
      LOG(INFO) << "listening for " << listener.options.name << " on port " << listener.port;
    }
  }
  if (options_.metrics_port.has_value()) {
    metrics::HttpServerOptions http_options;
    http_options.address = options_.metrics_address;
    http_options.port = *options_.metrics_port;
    http_ = std::make_unique<metrics::HttpServer>(
        http_options, [this] { return metrics_.RenderPrometheus(); },
        [this] { return Accepting() && (room_streams_ == nullptr || room_streams_->redis_up()); },
        [this] { return std::string(Accepting() ? "redis unavailable\n" : "not accepting\n"); });
    if (absl::Status status = http_->Start(); !status.ok()) {
      return absl::Status(status.code(),
                          absl::StrCat("metrics on ", options_.metrics_address, ":",
                                       *options_.metrics_port, ": ", status.message()));
    }
    LOG(INFO) << "metrics on http://" << options_.metrics_address << ":" << http_->port()
              << "/metrics";
  }
  return absl::OkStatus();
}

cluster::RoomStreamsOptions Server::CountedClusterOptions() {
  cluster::RoomStreamsOptions cluster = *options_.cluster;
  // Scraped after room_streams_ exists; it is only null before the constructor ends.
  const metrics::ServerMetrics::RedisMetrics redis = metrics_.AddRedis(
      [this] { return room_streams_ != nullptr && room_streams_->redis_up(); },
      [this] {
        return room_streams_ != nullptr ? static_cast<double>(room_streams_->pending_bytes()) : 0;
      });
  cluster.counters = {&redis.lines_unavailable, &redis.notices_unavailable,
                      &redis.lines_queue_full, &redis.notices_queue_full};
  return cluster;
}

bool Server::Accepting() const {
  absl::MutexLock lock(&mu_);
  return !stopping_ && listeners_.front().fd.valid();
}

void Server::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  gate_.Close();
  // Wakes the acceptor's poll(); accept() then fails (EINVAL for a shut-down listener).
  for (const Listener& listener : listeners_) {
    if (listener.fd.valid()) ::shutdown(listener.fd.get(), SHUT_RDWR);
  }
}

void Server::Run() {
  CHECK(listeners_.front().fd.valid()) << "Listen() first";
  AcceptLoop();
  ShutdownSessions();
}

void Server::AcceptLoop() {
  while (gate_.Acquire()) {
    ReapFinished();
    Listener* const listener = AwaitConnection();
    const int fd =
        listener == nullptr ? -1 : ::accept4(listener->fd.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) {
      metrics_.connections_accepted.Increment();
      listener->accepted->Increment();
      ScopedFd connection(fd);
      AddressLimits::Ticket ticket;
      if (options_.trusted_proxies.Trusts(fd)) {
        // Who the client is arrives in its first bytes: the session reads and admits.
        StartSession(*listener, std::move(connection), {}, /*proxied=*/true);
        continue;
      }
      // Before the transport exists: a refused client is told in plain text and costs no
      // handshake.
      if (Admit(listener->options, connection, &ticket)) {
        StartSession(*listener, std::move(connection), std::move(ticket));  // it releases the slot
      } else {
        gate_.Release();  // refused at once: the slot is free again
      }
      continue;
    }
    const int error = errno;
    gate_.Release();
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
    }
    switch (ClassifyAcceptError(error)) {
      case AcceptFailure::kNothingPending:
      case AcceptFailure::kRetryNow:
        break;
      case AcceptFailure::kOutOfResources:
        LOG(WARNING) << "accept: " << std::strerror(error) << "; retrying in "
                     << kAcceptBackoff;
        SleepUnlessStopped(kAcceptBackoff);
        break;
      case AcceptFailure::kUnexpected:
        LOG(ERROR) << "accept: " << std::strerror(error) << "; retrying in " << kAcceptBackoff;
        SleepUnlessStopped(kAcceptBackoff);
        break;
    }
  }
}

bool Server::Admit(const ListenerOptions& listener, ScopedFd& fd,
                   AddressLimits::Ticket* ticket) {
  std::variant<AddressLimits::Ticket, std::string> admission =
      AdmitAddress(listener, PeerAddressKey(fd.get()));
  if (AddressLimits::Ticket* admitted = std::get_if<AddressLimits::Ticket>(&admission)) {
    *ticket = std::move(*admitted);
    return true;
  }
  const std::string& notice = std::get<std::string>(admission);
  // One try, never blocking the acceptor: a fresh socket's buffer has room for a line.
  ::send(fd.get(), notice.data(), notice.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  ::shutdown(fd.get(), SHUT_WR);
  return false;
}

std::variant<AddressLimits::Ticket, std::string> Server::AdmitAddress(
    const ListenerOptions& listener, const std::string& key) {
  AddressLimits::Admission admission = address_limits_.AdmitConnection(key, listener.handshakes);
  if (admission.admitted()) return std::move(admission.ticket);
  using metrics::RefusedConnectionReason;
  std::string notice;
  RefusedConnectionReason reason = RefusedConnectionReason::kTooManyAddresses;
  switch (admission.refusal) {
    case AdmissionRefusal::kTooManyPending:
      reason = RefusedConnectionReason::kTooManyPending;
      notice = FormatTooManyPending(options_.address_limits.max_pending_per_address);
      break;
    case AdmissionRefusal::kTooManyConnections:
      reason = RefusedConnectionReason::kTooManyConnections;
      notice = FormatTooManyConnections(options_.address_limits.max_connections_per_address);
      break;
    case AdmissionRefusal::kTooManyHandshakes:
      reason = RefusedConnectionReason::kTooManyHandshakes;
      notice = FormatTooManyHandshakes(admission.retry_after);
      break;
    case AdmissionRefusal::kTooManyAddresses:
    case AdmissionRefusal::kNone:
      notice = std::string(kServerBusy);
      break;
  }
  metrics_.refused_connections(reason).Increment();
  LOG_EVERY_N(WARNING, 100) << "refused a connection from " << key << " ("
                            << AdmissionRefusalName(admission.refusal) << "; "
                            << google::COUNTER << " so far)";
  if (listener.frame_refusal) notice = listener.frame_refusal(notice);
  return notice;
}

Server::Listener* Server::AwaitConnection() {
  if (listeners_.size() == 1) return &listeners_.front();  // accept() itself waits
  std::vector<pollfd> polls;
  polls.reserve(listeners_.size());
  for (const Listener& listener : listeners_) {
    polls.push_back(pollfd{.fd = listener.fd.get(), .events = POLLIN, .revents = 0});
  }
  if (::poll(polls.data(), polls.size(), -1) < 0) return nullptr;
  for (size_t i = 0; i < polls.size(); ++i) {
    const size_t at = (next_listener_ + i) % polls.size();
    if (polls[at].revents != 0) {
      next_listener_ = at + 1;
      return &listeners_[at];
    }
  }
  errno = EAGAIN;  // poll() returned with nothing to accept
  return nullptr;
}

void Server::StartSession(const Listener& listener, ScopedFd fd, AddressLimits::Ticket ticket,
                          bool proxied) {
  metrics::Gauge* const connected = listener.connected;
  connected->Increment();
  const ListenerOptions& options = listener.options;
  std::optional<Session::Proxied> proxy;
  if (proxied) {
    // Listeners live as long as the server, which outlives its sessions.
    proxy = Session::Proxied{
        .admit = [this, &options](const std::string& key) { return AdmitAddress(options, key); },
        .header_timeout = options_.session.login_timeout};
  }
  auto session = std::make_unique<Session>(
      options.make_transport(std::move(fd)), context_,
      [this, connected](Session* s) {
        connected->Decrement();
        OnSessionFinished(s);
      },
      std::move(ticket), options.make_protocol ? options.make_protocol(options_.session) : nullptr,
      std::move(proxy));
  Session* raw = session.get();
  {
    absl::MutexLock lock(&mu_);
    live_.emplace(raw, std::move(session));
  }
  raw->Start();
}

void Server::OnSessionFinished(Session* session) {
  {
    absl::MutexLock lock(&mu_);
    auto node = live_.extract(session);
    CHECK(!node.empty());
    finished_.push_back(std::move(node.mapped()));
  }
  gate_.Release();
}

void Server::ReapFinished() {
  std::vector<std::unique_ptr<Session>> finished;
  {
    absl::MutexLock lock(&mu_);
    finished.swap(finished_);
  }
  if (finished.empty()) return;
  finished.clear();  // joins each finished reader thread (it is returning already)
  // Give what departed clients used back to the system, so memory falls after an
  // attack instead of staying at its peak in malloc's free lists. At most once a second:
  // a trim walks every arena, and connection churn must not pay that per client.
  const auto now = std::chrono::steady_clock::now();
  if (now - last_trim_ >= std::chrono::seconds(1)) {
    last_trim_ = now;
    malloc_trim(0);
  }
}

std::vector<Session*> Server::LiveSessions() const {
  absl::MutexLock lock(&mu_);
  std::vector<Session*> sessions;
  sessions.reserve(live_.size());
  for (const auto& [raw, owned] : live_) sessions.push_back(raw);
  return sessions;
}

void Server::ShutdownSessions() {
  // Sessions leave live_ only through OnSessionFinished() and are destroyed only by this
  // thread (ReapFinished), so the raw pointers stay valid while we use them here.
  const std::vector<Session*> sessions = LiveSessions();
  LOG(INFO) << "shutting down: saying goodbye to " << sessions.size() << " client(s)";
  // Everyone's output is closed before anyone's reader wakes up, so no client receives
  // the leave notices of the others being disconnected.
  for (Session* session : sessions) session->SayGoodbye(kShutdownNotice);
  for (Session* session : sessions) session->Stop();
  if (!gate_.AwaitAllReleased(options_.shutdown_grace)) {
    const std::vector<Session*> stragglers = LiveSessions();
    LOG(WARNING) << "cutting off " << stragglers.size()
                 << " client(s) that did not take the goodbye in " << options_.shutdown_grace;
    for (Session* session : stragglers) session->Abort();
    gate_.AwaitAllReleased(absl::InfiniteDuration());
  }
  ReapFinished();
  LOG(INFO) << "all sessions closed";
}

void Server::SleepUnlessStopped(absl::Duration delay) {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(&stopping_), delay);
}

size_t Server::session_count() const {
  absl::MutexLock lock(&mu_);
  return live_.size() + finished_.size();
}

}  // namespace chat

namespace chat {

bool Server::AwaitNoLiveSessions(absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  return mu_.AwaitWithTimeout(absl::Condition(this, &Server::NoLiveSessions), timeout);
}

}  // namespace chat
