// tools/bench/load.cc: RunLoad(): one epoll loop over non-blocking sockets, each client's
// login state machine, the senders' window and pacing, and the bookkeeping that turns
// arrivals into loss, duplicate, order and latency figures.

#include "tools/bench/load.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstring>
#include <functional>
#include <iostream>
#include <memory>
#include <queue>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "chat/message.h"
#include "chat/socket.h"
#include "tools/bench/latency_histogram.h"
#include "tools/bench/marker.h"
#include "tools/bench/order_check.h"
#include "tools/bench/proc_status.h"
#include "tools/bench/transport.h"

namespace chat::bench {
namespace {

constexpr int64_t kNsPerMs = 1'000'000;
constexpr int64_t kNsPerSec = 1'000'000'000;

constexpr size_t kReadChunkBytes = 256 * 1024;
// Reads per readiness event before other sockets get a turn (epoll is level-triggered,
// so whatever is left is reported again).
constexpr int kReadsPerEvent = 4;
// The same for TLS, in SSL_read() calls: each returns at most one record (16 KiB).
constexpr int kTlsReadsPerEvent = 64;
// The web port's answer to the upgrade request, at most.
constexpr size_t kMaxHttpHeadBytes = 16 * 1024;
constexpr int kMaxEvents = 256;
// Lines a sender queues per turn when neither the window nor the rate limits it, so one
// sender cannot monopolise the loop or grow its buffer without bound.
constexpr int kMaxBatch = 64;
constexpr int64_t kSampleEveryNs = 100 * kNsPerMs;
constexpr int64_t kProgressEveryNs = kNsPerSec;
// The loop never sleeps longer than this, so end conditions are noticed promptly.
constexpr int64_t kMaxSleepNs = 100 * kNsPerMs;
// "Name 'b0' is already taken": the previous run's sessions may still be leaving.
constexpr int64_t kNameRetryNs = 100 * kNsPerMs;
constexpr int kNameRetries = 30;
// While logging in, keep this much unscanned text: enough for the prompts searched for
// and for quoting a refusal in the error.
constexpr size_t kHandshakeTailBytes = 256;
// The stalled client's final read: stop after this much silence, or this long overall.
constexpr int64_t kStalledQuietNs = 500 * kNsPerMs;
constexpr int64_t kStalledDrainNs = 2 * kNsPerSec;
// Pairwise order comparisons (only needed when no common total order exists).
constexpr int64_t kPairwiseBudget = 2'000'000'000;
// Refuse runs whose per-receiver bitsets (clients^2 * messages bits) exceed this.
constexpr int64_t kMaxBitsetBytes = int64_t{2} << 30;

// What the server sends when it drops a line. Searched within single reads, so a notice
// split across two reads is missed; they only feed the hint in LoadResult::error. Both
// start with letters that are rare in the stream ('b', as in "b0", is in every prompt),
// which keeps the search cheap.
constexpr std::string_view kFloodNotice = "You are sending too fast";
constexpr std::string_view kTooLongNotice = "was not sent";
constexpr std::string_view kNameTaken = "is already taken";

enum class Phase {
  kWaiting,          // not connected yet
  kConnecting,       // non-blocking connect() in progress
  kTlsHandshake,     // tls, wss: SSL_connect() in progress
  kHttpUpgrade,      // ws, wss: upgrade request sent, reading the answer's head
  kAwaitNamePrompt,  // reading the banner
  kAwaitOwnPrompt,   // name sent; reading history until our prompt
  kJoined,           // a room member
  kClosed,
};

struct Client {
  int index = 0;
  bool stalled = false;
  std::string name;
  std::string own_prompt;  // "][<name>]:"
  ScopedFd fd;
  Phase phase = Phase::kWaiting;
  uint32_t interest = 0;  // current epoll events; 0 = not registered
  SslPtr ssl;                           // tls, wss; declared after fd, so freed first
  std::unique_ptr<WebSocketFrames> ws;  // ws, wss
  bool read_queued = false;             // in LoadRun::read_pending_

  // Login.
  std::string handshake;  // unscanned text
  int name_retries = 0;
  bool name_retry_pending = false;

  // Output not yet accepted by the socket.
  std::string out;
  size_t out_offset = 0;

  // Receiving (reading clients only).
  std::unique_ptr<MarkerScanner> scanner;
  std::vector<uint64_t> received;  // one bit per message id
  std::vector<int32_t> max_seq;    // per sender: highest sequence number seen, or -1
  std::vector<int32_t> order;      // message ids in arrival order, if checked
  int64_t unique = 0;
  bool done = false;

  // Sending. A line is in flight until every other reading client has it; a stall
  // "forgives" everything sent so far (sequence numbers below forgiven_upto).
  int next_seq = 0;
  int64_t forgiven_upto = 0;
  int64_t completed_since_forgiven = 0;
  int64_t last_progress_ns = 0;
  int64_t rate_offset_ns = 0;
  int64_t wake_at_ns = -1;  // the pending timer, -1 if none
  bool ready_queued = false;
  bool finished_sending = false;
  int64_t stalls = 0;
};

std::string JsonString(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  out += "\"";
  return out;
}

std::string ErrnoText(int error) { return std::strerror(error); }

// Parses `host` into `address` (port left 0) if it is a loopback address.
absl::Status CheckLoopbackHostImpl(const std::string& host, sockaddr_storage* address,
                                   socklen_t* length) {
  const std::string numeric = host == "localhost" ? "127.0.0.1" : host;
  sockaddr_in v4{};
  if (::inet_pton(AF_INET, numeric.c_str(), &v4.sin_addr) == 1) {
    if ((ntohl(v4.sin_addr.s_addr) >> 24) != 127) {
      return absl::InvalidArgumentError(absl::StrCat("refusing non-loopback host ", host,
                                                     ": chat_bench only loads 127.0.0.0/8 or ::1"));
    }
    v4.sin_family = AF_INET;
    std::memcpy(address, &v4, sizeof(v4));
    *length = sizeof(v4);
    return absl::OkStatus();
  }
  sockaddr_in6 v6{};
  if (::inet_pton(AF_INET6, numeric.c_str(), &v6.sin6_addr) == 1) {
    const bool mapped_loopback =
        IN6_IS_ADDR_V4MAPPED(&v6.sin6_addr) && v6.sin6_addr.s6_addr[12] == 127;
    if (!IN6_IS_ADDR_LOOPBACK(&v6.sin6_addr) && !mapped_loopback) {
      return absl::InvalidArgumentError(absl::StrCat("refusing non-loopback host ", host,
                                                     ": chat_bench only loads 127.0.0.0/8 or ::1"));
    }
    v6.sin6_family = AF_INET6;
    std::memcpy(address, &v6, sizeof(v6));
    *length = sizeof(v6);
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "--host must be a numeric loopback address (127.0.0.0/8, ::1) or localhost, got '", host,
      "'"));
}

// Where `prompt` ("][name]:") occurs as a prompt: followed by nothing yet or by the
// newline that starts the next event. A history line by the same name continues with
// its text instead.
size_t FindOwnPrompt(std::string_view text, std::string_view prompt) {
  for (size_t from = 0;;) {
    const size_t at = text.find(prompt, from);
    if (at == std::string_view::npos) return at;
    const size_t after = at + prompt.size();
    if (after == text.size() || text[after] == '\n') return at;
    from = at + 1;
  }
}

// LoadRun is one execution of RunLoad(). Single-threaded: every method runs on the
// thread that called Run(), so nothing here needs a lock.
class LoadRun {
 public:
  explicit LoadRun(const LoadOptions& options);
  LoadRun(const LoadRun&) = delete;
  LoadRun& operator=(const LoadRun&) = delete;

  LoadResult Run();

 private:
  int64_t Now() const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() -
                                                                start_)
        .count();
  }

  // Setup.
  bool Prepare();
  bool ResolveAddress();
  // The server port `client` connects to (LoadOptions::more_ports).
  int PortOf(const Client& client) const;
  bool RaiseDescriptorLimit();

  // Failures: the first error is kept. A setup failure ends the run with exit code 3.
  void SetupFail(std::string error);
  void Fail(std::string error);

  // The loop. Returns true once `done()` holds; false on failure or at the deadline.
  bool LoopUntil(const std::function<bool(int64_t now)>& done);
  void HandleEvent(Client& client, uint32_t events);
  void RunTimers(int64_t now);
  void RunReadySenders();
  void Sample(int64_t now);

  // Connections.
  void StartConnects();
  void Connect(Client& client);
  void FinishConnect(Client& client);
  void OnTcpConnected(Client& client);
  void ContinueTlsHandshake(Client& client);
  void OnSecured(Client& client);
  void SetInterest(Client& client, uint32_t events);
  void Read(Client& client);
  void ReadTls(Client& client);
  void RunPendingReads();
  void OnData(Client& client, std::string_view chunk, int64_t now);
  void OnWebSocketData(Client& client, std::string_view chunk, int64_t now);
  void OnWebSocketMessage(Client& client, std::string_view json, int64_t now);
  void OnNameRefused(Client& client, std::string_view reason, int64_t now);
  void OnHandshakeData(Client& client, int64_t now);
  void OnJoined(Client& client, int64_t now);
  void OnConnectionEnded(Client& client, const std::string& why);
  void Close(Client& client);
  void Flush(Client& client, int64_t now);
  bool FlushTls(Client& client);
  void SendName(Client& client, int64_t now);

  // The measured phase.
  void StartMeasuring(int64_t now);
  bool MeasuringDone(int64_t now) const;
  void OnMarker(Client& receiver, const Marker& marker, int64_t now);
  void OnCompleted(Client& sender, int64_t seq, int64_t now);
  int64_t InFlight(const Client& sender) const {
    return (sender.next_seq - sender.forgiven_upto) - sender.completed_since_forgiven;
  }
  void MarkReady(Client& client);
  void Schedule(Client& client, int64_t at_ns);
  void TrySend(Client& client, int64_t now);
  void MaybeFinishedSending(Client& client, int64_t now);

  void DrainStalled();
  void Report(int64_t measure_end_ns);

  const LoadOptions options_;
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  LoadResult result_;

  // Fixed after Prepare().
  int n_ = 0;  // reading (and sending) clients
  int m_ = 0;  // lines per sender
  std::string token_;
  sockaddr_storage address_{};
  socklen_t address_length_ = 0;
  int64_t deadline_ns_ = 0;
  int64_t window_timeout_ns_ = 0;
  int64_t rate_interval_ns_ = 0;
  int64_t expected_per_receiver_ = 0;
  int receivers_per_message_ = 0;
  bool record_order_ = false;

  ScopedFd epoll_;
  std::optional<TlsClientContext> tls_;
  std::vector<Client> clients_;  // n_ reading clients, then the stalled one if any
  std::vector<char> read_buffer_;

  // Progress.
  bool failed_ = false;
  size_t next_connect_ = 0;
  int handshaking_ = 0;
  size_t joined_ = 0;
  bool measuring_ = false;
  int64_t measure_start_ns_ = 0;
  int receivers_done_ = 0;
  int senders_finished_ = 0;
  int64_t last_activity_ns_ = 0;  // last delivery or last sender finishing
  int64_t last_delivery_ns_ = 0;
  std::vector<int32_t> delivered_to_;  // per message id: receivers that have it
  std::vector<size_t> ready_;
  // TLS clients whose SSL holds records epoll cannot see (read ahead, not yet read).
  std::vector<size_t> read_pending_;
  // Reused for every WebSocket message and sent line.
  ServerMessage message_;
  std::string line_;
  std::string json_;
  using Timer = std::pair<int64_t, size_t>;  // (when, client index)
  std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers_;
  int64_t next_sample_ns_ = 0;
  int64_t next_progress_ns_ = kProgressEveryNs;

  // Tallies.
  LatencyHistogram latency_;
  int64_t max_payload_ = 0;
  int64_t flood_notices_ = 0;
  int64_t too_long_notices_ = 0;
};

LoadRun::LoadRun(const LoadOptions& options) : options_(options) {}

void LoadRun::SetupFail(std::string error) {
  if (!failed_) result_.error = std::move(error);
  failed_ = true;
  result_.setup_failed = true;
}

void LoadRun::Fail(std::string error) {
  if (!failed_) result_.error = std::move(error);
  failed_ = true;
}

// The setup, echoed into a result before anything runs.
LoadResult EchoOptions(const LoadOptions& options) {
  LoadResult result;
  result.host = options.host;
  result.port = options.port;
  result.servers = 1 + static_cast<int>(options.more_ports.size());
  result.transport = std::string(TransportName(options.transport));
  result.clients = options.clients;
  result.messages_per_client = options.messages_per_client;
  result.payload_bytes = options.payload_bytes;
  result.window = options.window;
  result.rate = options.rate;
  result.stalled_client = options.stalled_client;
  result.order_check = "not run";
  if (options.clients > 0 && options.messages_per_client > 0) {
    result.deliveries_expected =
        int64_t{options.clients} * (options.clients - 1) * options.messages_per_client;
  }
  return result;
}

bool LoadRun::Prepare() {
  result_ = EchoOptions(options_);

  if (absl::Status status = CheckLoopbackHost(options_.host); !status.ok()) {
    SetupFail(std::string(status.message()));
    return false;
  }
  const LoadOptions& o = options_;
  std::string bad;
  if (o.port < 1 || o.port > 65535) bad = "--port must be in 1..65535";
  for (int more : o.more_ports) {
    if (more < 1 || more > 65535) bad = "--ports must be in 1..65535";
  }
  if (o.clients < 1) bad = "--clients must be at least 1";
  if (o.messages_per_client < 0) bad = "--messages must be at least 0";
  if (o.payload_bytes < 0 || o.payload_bytes > (1 << 20)) bad = "--size must be in 0..1048576";
  if (o.window < 0) bad = "--window must be at least 0";
  if (!(o.rate == 0 || (o.rate >= 0.001 && o.rate <= 1e9))) {
    bad = "--rate must be 0 or in 0.001..1e9";
  }
  // A week bounds every deadline sum far below int64 nanoseconds.
  const absl::Duration week = absl::Hours(24 * 7);
  if (o.window_timeout <= absl::ZeroDuration() || o.window_timeout > week) {
    bad = "--window_timeout must be positive and at most a week";
  }
  if (o.timeout <= absl::ZeroDuration() || o.timeout > week) {
    bad = "--timeout must be positive and at most a week";
  }
  if (o.connect_concurrency < 1) bad = "--connect_concurrency must be at least 1";
  if (o.stalled_client && o.transport != Transport::kTcp) {
    // Its final read decodes nothing: plain bytes only.
    bad = "--stalled_client needs --transport=tcp";
  }
  if (o.name_prefix.empty() || o.name_prefix.size() > 20 || o.name_prefix[0] == '/' ||
      o.name_prefix.find_first_of("[] \t\r\n") != std::string::npos) {
    bad =
        "--name_prefix must be 1..20 characters without brackets or blanks, not starting "
        "with '/'";
  }
  const int64_t ids = int64_t{o.clients} * o.messages_per_client;
  if (ids >= (int64_t{1} << 31)) {
    bad = "--clients * --messages must be below 2^31";
  } else if (int64_t{o.clients} * ((ids + 63) / 64) * 8 > kMaxBitsetBytes) {
    bad = "--clients^2 * --messages is too large for the duplicate bitsets (2 GiB)";
  }
  if (!bad.empty()) {
    SetupFail(bad);
    return false;
  }

  n_ = o.clients;
  m_ = o.messages_per_client;
  result_.nonce = MakeNonce();
  token_ = MarkerToken(result_.nonce);
  deadline_ns_ = absl::ToInt64Nanoseconds(o.timeout);
  window_timeout_ns_ = absl::ToInt64Nanoseconds(o.window_timeout);
  rate_interval_ns_ = o.rate > 0 ? static_cast<int64_t>(1e9 / o.rate) : 0;
  receivers_per_message_ = n_ - 1;
  expected_per_receiver_ = int64_t{n_ - 1} * m_;
  result_.stalled_client_expected = o.stalled_client ? ids : 0;
  record_order_ = n_ >= 2 && result_.deliveries_expected <= o.order_check_max_deliveries;

  if (!ResolveAddress() || !RaiseDescriptorLimit()) return false;

  if (UsesTls(o.transport)) {
    absl::StatusOr<TlsClientContext> tls = TlsClientContext::Create();
    if (!tls.ok()) {
      SetupFail(absl::StrCat("TLS: ", tls.status().message()));
      return false;
    }
    tls_ = *std::move(tls);
  }

  epoll_.Reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_.valid()) {
    SetupFail(absl::StrCat("epoll_create1: ", ErrnoText(errno)));
    return false;
  }
  read_buffer_.resize(kReadChunkBytes);
  delivered_to_.assign(static_cast<size_t>(ids), 0);

  const int total = n_ + (o.stalled_client ? 1 : 0);
  clients_.resize(static_cast<size_t>(total));
  const size_t words = static_cast<size_t>((ids + 63) / 64);
  for (int i = 0; i < total; ++i) {
    Client& c = clients_[static_cast<size_t>(i)];
    c.index = i;
    c.stalled = i == n_;
    c.name = c.stalled ? absl::StrCat(o.name_prefix, "stalled") : absl::StrCat(o.name_prefix, i);
    c.own_prompt = absl::StrCat("][", c.name, "]:");
    c.scanner = std::make_unique<MarkerScanner>(token_);
    if (UsesWebSocket(o.transport)) c.ws = std::make_unique<WebSocketFrames>();
    if (c.stalled) continue;
    c.received.assign(words, 0);
    c.max_seq.assign(static_cast<size_t>(n_), -1);
    if (record_order_) c.order.reserve(static_cast<size_t>(expected_per_receiver_));
    // Paced senders start at evenly spread phases, so a rate does not become
    // synchronised bursts of N lines.
    c.rate_offset_ns = rate_interval_ns_ * i / n_;
  }

  if (o.server_pid > 0) {
    std::optional<ProcStatus> status = ReadProcStatus(o.server_pid);
    if (!status.has_value()) {
      SetupFail(absl::StrCat("--server_pid=", o.server_pid, ": cannot read /proc/", o.server_pid,
                             "/status"));
      return false;
    }
    result_.server_threads = status->threads;
  }
  return true;
}

bool LoadRun::ResolveAddress() {
  absl::Status status = CheckLoopbackHostImpl(options_.host, &address_, &address_length_);
  if (!status.ok()) {
    SetupFail(std::string(status.message()));
    return false;
  }
  return true;
}

int LoadRun::PortOf(const Client& client) const {
  const size_t servers = 1 + options_.more_ports.size();
  const size_t at = static_cast<size_t>(client.index) % servers;
  return at == 0 ? options_.port : options_.more_ports[at - 1];
}

bool LoadRun::RaiseDescriptorLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
    ::getrlimit(RLIMIT_NOFILE, &limit);
  }
  // One socket per client, plus epoll, stdio and whatever the embedding process holds.
  const rlim_t needed = static_cast<rlim_t>(options_.clients) + 64;
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < needed) {
    SetupFail(absl::StrCat("need about ", needed, " file descriptors but RLIMIT_NOFILE is ",
                           limit.rlim_cur, " (raise the hard limit: ulimit -Hn)"));
    return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------
// The loop.

bool LoadRun::LoopUntil(const std::function<bool(int64_t now)>& done) {
  epoll_event events[kMaxEvents];
  while (true) {
    const int64_t now = Now();
    if (failed_) return false;
    if (done(now)) return true;
    if (now >= deadline_ns_) {
      result_.timed_out = true;
      return false;
    }
    Sample(now);

    int64_t wake = std::min({deadline_ns_, now + kMaxSleepNs});
    if (options_.server_pid > 0) wake = std::min(wake, next_sample_ns_);
    if (!timers_.empty()) wake = std::min(wake, timers_.top().first);
    if (!ready_.empty() || !read_pending_.empty()) wake = now;
    const int timeout_ms =
        static_cast<int>(std::max<int64_t>(0, (wake - now + kNsPerMs - 1) / kNsPerMs));

    const int count = ::epoll_wait(epoll_.get(), events, kMaxEvents, timeout_ms);
    if (count < 0 && errno != EINTR) {
      Fail(absl::StrCat("epoll_wait: ", ErrnoText(errno)));
      return false;
    }
    for (int i = 0; i < count && !failed_; ++i) {
      HandleEvent(clients_[events[i].data.u32], events[i].events);
    }
    if (!read_pending_.empty()) RunPendingReads();
    RunTimers(Now());
    RunReadySenders();
  }
}

void LoadRun::HandleEvent(Client& client, uint32_t events) {
  if (client.phase == Phase::kClosed) return;
  if (client.phase == Phase::kConnecting) {
    FinishConnect(client);
    return;
  }
  if (client.phase == Phase::kTlsHandshake) {
    ContinueTlsHandshake(client);
    return;
  }
  // EPOLLHUP/EPOLLERR: reading reports what happened (data first, then EOF or the error).
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
    Read(client);
    if (client.phase == Phase::kClosed) return;
  }
  if (events & EPOLLOUT) {
    Flush(client, Now());
    if (client.out.empty() && measuring_) MarkReady(client);
  }
}

void LoadRun::RunTimers(int64_t now) {
  while (!timers_.empty() && timers_.top().first <= now) {
    const auto [at, index] = timers_.top();
    timers_.pop();
    Client& client = clients_[index];
    if (client.wake_at_ns != at) continue;  // superseded by an earlier timer
    client.wake_at_ns = -1;
    if (client.name_retry_pending) {
      client.name_retry_pending = false;
      SendName(client, now);
    } else {
      MarkReady(client);
    }
  }
}

void LoadRun::RunReadySenders() {
  std::vector<size_t> ready;
  ready.swap(ready_);
  for (size_t index : ready) {
    Client& client = clients_[index];
    client.ready_queued = false;
    if (failed_) return;
    TrySend(client, Now());
  }
}

void LoadRun::Sample(int64_t now) {
  if (options_.server_pid > 0 && now >= next_sample_ns_) {
    if (std::optional<ProcStatus> status = ReadProcStatus(options_.server_pid)) {
      result_.server_threads = std::max(result_.server_threads.value_or(0), status->threads);
    }
    next_sample_ns_ = now + kSampleEveryNs;
  }
  if (options_.verbose && now >= next_progress_ns_) {
    int64_t received = 0;
    for (const Client& c : clients_) received += c.unique;
    std::cerr << absl::StrFormat("chat_bench: %.1fs joined %d/%d, sent %d, deliveries %d/%d\n",
                                 static_cast<double>(now) / kNsPerSec, joined_, clients_.size(),
                                 result_.messages_sent, received, result_.deliveries_expected);
    next_progress_ns_ = now + kProgressEveryNs;
  }
}

// ---------------------------------------------------------------------------------------
// Connections and login.

void LoadRun::StartConnects() {
  while (!failed_ && handshaking_ < options_.connect_concurrency &&
         next_connect_ < clients_.size()) {
    Connect(clients_[next_connect_++]);
  }
}

void LoadRun::Connect(Client& client) {
  sockaddr_storage address = address_;
  const uint16_t port = htons(static_cast<uint16_t>(PortOf(client)));
  if (address.ss_family == AF_INET) {
    reinterpret_cast<sockaddr_in*>(&address)->sin_port = port;
  } else {
    reinterpret_cast<sockaddr_in6*>(&address)->sin6_port = port;
  }
  const int fd = ::socket(address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    SetupFail(absl::StrCat(client.name, ": socket: ", ErrnoText(errno)));
    return;
  }
  client.fd.Reset(fd);
  if (client.stalled && options_.stalled_rcvbuf_bytes > 0) {
    // Before connect(), so the small window is what the server sees from the start.
    const int size = options_.stalled_rcvbuf_bytes;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
  }
  SetNoDelay(fd);  // lines are small and latency is what we measure
  ++handshaking_;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), address_length_) == 0) {
    OnTcpConnected(client);
    return;
  }
  if (errno != EINPROGRESS) {
    SetupFail(absl::StrCat(client.name, ": connect to ", options_.host, ":", PortOf(client), ": ",
                           ErrnoText(errno)));
    return;
  }
  client.phase = Phase::kConnecting;
  SetInterest(client, EPOLLOUT);
}

void LoadRun::FinishConnect(Client& client) {
  int error = 0;
  socklen_t length = sizeof(error);
  if (::getsockopt(client.fd.get(), SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
  if (error != 0) {
    SetupFail(absl::StrCat(client.name, ": connect to ", options_.host, ":", PortOf(client), ": ",
                           ErrnoText(error)));
    return;
  }
  OnTcpConnected(client);
}

void LoadRun::OnTcpConnected(Client& client) {
  if (!UsesTls(options_.transport)) {
    OnSecured(client);
    return;
  }
  client.ssl = tls_->NewSsl(client.fd.get());
  if (client.ssl == nullptr) {
    SetupFail(absl::StrCat(client.name, ": SSL_new: ", TakeSslErrors()));
    return;
  }
  client.phase = Phase::kTlsHandshake;
  ContinueTlsHandshake(client);
}

void LoadRun::ContinueTlsHandshake(Client& client) {
  ERR_clear_error();
  const int done = SSL_connect(client.ssl.get());
  if (done == 1) {
    OnSecured(client);
    // Read ahead may already hold the server's first bytes, which epoll cannot see.
    if (client.phase != Phase::kClosed && !failed_) Read(client);
    return;
  }
  switch (SSL_get_error(client.ssl.get(), done)) {
    case SSL_ERROR_WANT_READ:
      SetInterest(client, EPOLLIN);
      return;
    case SSL_ERROR_WANT_WRITE:
      SetInterest(client, EPOLLOUT);
      return;
    default:
      SetupFail(absl::StrCat(client.name, ": TLS handshake with ", options_.host, ":",
                             options_.port, " failed: ", TakeSslErrors(),
                             " (is --port the server's --tls_port?)"));
  }
}

// The byte stream is ready (TCP connected, TLS handshake done): the chat starts, or the
// WebSocket upgrade first.
void LoadRun::OnSecured(Client& client) {
  if (client.ws == nullptr) {
    client.phase = Phase::kAwaitNamePrompt;
    SetInterest(client, EPOLLIN);
    return;
  }
  client.phase = Phase::kHttpUpgrade;
  SetInterest(client, EPOLLIN);
  client.out = WebSocketFrames::UpgradeRequest(options_.host == "localhost" ? "127.0.0.1"
                                                                            : options_.host,
                                               options_.port, UsesTls(options_.transport));
  Flush(client, Now());
}

void LoadRun::SetInterest(Client& client, uint32_t events) {
  if (events == client.interest) return;
  epoll_event event{};
  event.events = events;
  event.data.u32 = static_cast<uint32_t>(client.index);
  int op = EPOLL_CTL_MOD;
  if (client.interest == 0) op = EPOLL_CTL_ADD;
  if (events == 0) op = EPOLL_CTL_DEL;
  if (::epoll_ctl(epoll_.get(), op, client.fd.get(), &event) != 0) {
    Fail(absl::StrCat(client.name, ": epoll_ctl: ", ErrnoText(errno)));
    return;
  }
  client.interest = events;
}

void LoadRun::Read(Client& client) {
  if (client.ssl != nullptr) {
    ReadTls(client);
    return;
  }
  for (int i = 0; i < kReadsPerEvent; ++i) {
    const ssize_t got = ::recv(client.fd.get(), read_buffer_.data(), read_buffer_.size(), 0);
    if (got > 0) {
      OnData(client, std::string_view(read_buffer_.data(), static_cast<size_t>(got)), Now());
      if (client.phase == Phase::kClosed || failed_) return;
      if (static_cast<size_t>(got) < read_buffer_.size()) return;  // drained
      continue;
    }
    if (got == 0) {
      OnConnectionEnded(client, "the server closed the connection");
      return;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return;
    OnConnectionEnded(client, absl::StrCat("recv: ", ErrnoText(errno)));
    return;
  }
}

void LoadRun::ReadTls(Client& client) {
  SSL* const ssl = client.ssl.get();
  for (int i = 0; i < kTlsReadsPerEvent; ++i) {
    ERR_clear_error();
    const int got = SSL_read(ssl, read_buffer_.data(),
                             static_cast<int>(std::min<size_t>(read_buffer_.size(), INT_MAX)));
    if (got > 0) {
      OnData(client, std::string_view(read_buffer_.data(), static_cast<size_t>(got)), Now());
      if (client.phase == Phase::kClosed || failed_) return;
      continue;
    }
    const int error = SSL_get_error(ssl, got);
    if (error == SSL_ERROR_WANT_READ) return;  // drained: OpenSSL holds no whole record
    if (error == SSL_ERROR_ZERO_RETURN) {
      OnConnectionEnded(client, "the server closed the connection (close_notify)");
      return;
    }
    if (error == SSL_ERROR_SYSCALL && errno == EINTR) continue;
    if (error == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
      OnConnectionEnded(client, errno == 0 ? std::string("the server closed the connection")
                                           : absl::StrCat("recv: ", ErrnoText(errno)));
      return;
    }
    // Includes SSL_ERROR_WANT_WRITE: only a renegotiation or a KeyUpdate would make a
    // read write, and the server starts neither.
    OnConnectionEnded(client, absl::StrCat("SSL_read: ", TakeSslErrors()));
    return;
  }
  // Out of turns with records left in OpenSSL's buffer: epoll would not report them.
  if (SSL_has_pending(ssl) && !client.read_queued) {
    client.read_queued = true;
    read_pending_.push_back(static_cast<size_t>(client.index));
  }
}

void LoadRun::RunPendingReads() {
  std::vector<size_t> pending;
  pending.swap(read_pending_);
  for (size_t index : pending) {
    Client& client = clients_[index];
    client.read_queued = false;
    if (failed_) return;
    if (client.phase != Phase::kClosed) Read(client);
  }
}

void LoadRun::OnData(Client& client, std::string_view chunk, int64_t now) {
  if (client.ws != nullptr) {
    OnWebSocketData(client, chunk, now);
    return;
  }
  // Everything after the name is scanned for markers (history included, so earlier runs'
  // markers are counted as foreign).
  if (client.phase == Phase::kJoined || client.phase == Phase::kAwaitOwnPrompt) {
    client.scanner->Feed(chunk, [&](const Marker& marker) { OnMarker(client, marker, now); });
  }
  if (client.phase == Phase::kJoined) {
    if (chunk.find(kFloodNotice) != std::string_view::npos) ++flood_notices_;
    if (chunk.find(kTooLongNotice) != std::string_view::npos) ++too_long_notices_;
    return;
  }
  client.handshake.append(chunk);
  OnHandshakeData(client, now);
}

void LoadRun::OnHandshakeData(Client& client, int64_t now) {
  std::string& text = client.handshake;
  if (client.phase == Phase::kAwaitNamePrompt) {
    const size_t at = text.find(kNamePrompt);
    if (at == std::string::npos) {
      if (text.size() > kHandshakeTailBytes) text.erase(0, text.size() - kHandshakeTailBytes);
      return;
    }
    const std::string rest = text.substr(at + kNamePrompt.size());
    text.clear();
    client.phase = Phase::kAwaitOwnPrompt;
    SendName(client, now);
    if (rest.empty()) return;
    // Bytes after the name prompt precede our name, so they are not our prompt; pass
    // them through the same path anyway.
    OnData(client, rest, now);
    return;
  }
  if (client.phase != Phase::kAwaitOwnPrompt) return;

  const size_t joined_at = FindOwnPrompt(text, client.own_prompt);
  const size_t refused_at = text.find(kNamePrompt);
  if (joined_at != std::string::npos &&
      (refused_at == std::string::npos || joined_at < refused_at)) {
    OnJoined(client, now);
    return;
  }
  if (refused_at != std::string::npos) {
    // The line before the repeated name prompt says why.
    std::string_view reason = std::string_view(text).substr(0, refused_at);
    while (!reason.empty() && reason.back() == '\n') reason.remove_suffix(1);
    if (const size_t nl = reason.rfind('\n'); nl != std::string_view::npos) {
      reason.remove_prefix(nl + 1);
    }
    const std::string why(reason);
    text.erase(0, refused_at + kNamePrompt.size());
    OnNameRefused(client, why, now);
    return;
  }
  if (text.size() > kHandshakeTailBytes) text.erase(0, text.size() - kHandshakeTailBytes);
}

void LoadRun::OnNameRefused(Client& client, std::string_view reason, int64_t now) {
  if (reason.find(kNameTaken) != std::string_view::npos && client.name_retries < kNameRetries) {
    ++client.name_retries;
    client.name_retry_pending = true;
    Schedule(client, now + kNameRetryNs);
    return;
  }
  SetupFail(absl::StrCat("the server refused the name ", client.name, ": ", reason));
}

void LoadRun::SendName(Client& client, int64_t now) {
  if (client.ws != nullptr) {
    client.ws->AppendText(LoginMessage(client.name), &client.out);
  } else {
    absl::StrAppend(&client.out, client.name, "\n");
  }
  Flush(client, now);
}

void LoadRun::OnWebSocketData(Client& client, std::string_view chunk, int64_t now) {
  if (client.phase == Phase::kHttpUpgrade) {
    std::string& head = client.handshake;
    head.append(chunk);
    const size_t end = head.find("\r\n\r\n");
    if (end == std::string::npos) {
      if (head.size() > kMaxHttpHeadBytes) {
        SetupFail(absl::StrCat(client.name, ": no end to the web port's answer"));
      }
      return;
    }
    if (!head.starts_with("HTTP/1.1 101 ")) {
      SetupFail(absl::StrCat(client.name, ": the web port refused the WebSocket upgrade: ",
                             head.substr(0, head.find("\r\n")),
                             " (is --port the server's --http_port, and --transport=wss if it "
                             "has a certificate?)"));
      return;
    }
    // Frames may follow the head in the same read.
    const std::string rest = head.substr(end + 4);
    head.clear();
    client.phase = Phase::kAwaitNamePrompt;
    if (!rest.empty()) OnWebSocketData(client, rest, now);
    return;
  }
  const WebSocketFrames::Result result = client.ws->Feed(
      chunk, [&](std::string_view message) { OnWebSocketMessage(client, message, now); });
  if (client.phase == Phase::kClosed || failed_) return;
  if (result == WebSocketFrames::Result::kClosed) {
    OnConnectionEnded(client, "the server closed the WebSocket");
  } else if (result == WebSocketFrames::Result::kProtocolError) {
    OnConnectionEnded(client, "the server broke the WebSocket framing");
  }
}

void LoadRun::OnWebSocketMessage(Client& client, std::string_view json, int64_t now) {
  if (client.phase == Phase::kClosed || failed_) return;
  // Nearly every message is a delivery: scanned where it lies, with no parse or copy.
  if (const std::optional<std::string_view> text = PlainChatText(json)) {
    if (client.phase == Phase::kJoined || client.phase == Phase::kAwaitOwnPrompt) {
      client.scanner->FeedMessage(*text,
                                  [&](const Marker& marker) { OnMarker(client, marker, now); });
    }
    return;
  }
  ServerMessage& message = message_;
  if (!ParseServerMessage(json, &message)) {
    Fail(absl::StrCat(client.name, ": not a JSON object from the server: ",
                      json.substr(0, kHandshakeTailBytes)));
    return;
  }
  // Markers end at a newline in net-cat; here at the end of the text.
  const auto scan = [&](std::string& text) {
    text.push_back('\n');
    client.scanner->Feed(text, [&](const Marker& marker) { OnMarker(client, marker, now); });
  };
  const std::string& type = message.type;
  if (type == "chat") {
    if (client.phase == Phase::kJoined || client.phase == Phase::kAwaitOwnPrompt) {
      scan(message.text);
    }
    return;
  }
  if (type == "error") {
    if (client.phase == Phase::kJoined) {
      if (message.text.find(kFloodNotice) != std::string::npos) ++flood_notices_;
      if (message.text.find(kTooLongNotice) != std::string::npos) ++too_long_notices_;
    } else if (client.phase == Phase::kAwaitOwnPrompt) {
      OnNameRefused(client, message.text, now);
    }
    return;
  }
  if (type == "banner" && client.phase == Phase::kAwaitNamePrompt) {
    client.phase = Phase::kAwaitOwnPrompt;
    SendName(client, now);
    return;
  }
  if (type == "welcome" && client.phase == Phase::kAwaitOwnPrompt && message.name == client.name) {
    // The welcome ends with the prompt that makes us a member; its history is the
    // earlier runs' lines (foreign markers), as in net-cat.
    for (std::string& text : message.history_texts) scan(text);
    OnJoined(client, now);
  }
}

void LoadRun::OnJoined(Client& client, int64_t now) {
  client.phase = Phase::kJoined;
  client.handshake.clear();
  client.handshake.shrink_to_fit();
  --handshaking_;
  ++joined_;
  // From here on the stalled client never reads; DrainStalled() looks at it at the end.
  if (client.stalled) SetInterest(client, 0);
  if (joined_ == clients_.size()) result_.join_s = static_cast<double>(now) / kNsPerSec;
  StartConnects();
}

void LoadRun::OnConnectionEnded(Client& client, const std::string& why) {
  if (client.phase != Phase::kJoined || !measuring_) {
    SetupFail(absl::StrCat(
        client.name, ": ", why,
        client.phase == Phase::kJoined ? " (after logging in)" : " (while logging in)"));
  } else if (!client.stalled) {
    ++result_.clients_disconnected;
    Fail(absl::StrCat(client.name, ": ", why, " after ", client.unique, " of ",
                      expected_per_receiver_, " deliveries"));
  }
  Close(client);
}

void LoadRun::Close(Client& client) {
  if (client.interest != 0) SetInterest(client, 0);
  client.fd.Reset();
  client.phase = Phase::kClosed;
}

void LoadRun::Flush(Client& client, int64_t now) {
  if (client.ssl != nullptr && !FlushTls(client)) return;
  while (client.out_offset < client.out.size()) {
    const ssize_t sent = ::send(client.fd.get(), client.out.data() + client.out_offset,
                                client.out.size() - client.out_offset, MSG_NOSIGNAL);
    if (sent >= 0) {
      client.out_offset += static_cast<size_t>(sent);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      SetInterest(client, EPOLLIN | EPOLLOUT);
      return;
    }
    OnConnectionEnded(client, absl::StrCat("send: ", ErrnoText(errno)));
    return;
  }
  client.out.clear();
  client.out_offset = 0;
  if (client.interest & EPOLLOUT) SetInterest(client, EPOLLIN);
  MaybeFinishedSending(client, now);
}

// Writes all of `out` through TLS; false if some is left (EPOLLOUT asked for) or the
// connection ended.
bool LoadRun::FlushTls(Client& client) {
  while (client.out_offset < client.out.size()) {
    ERR_clear_error();
    const int sent = SSL_write(
        client.ssl.get(), client.out.data() + client.out_offset,
        static_cast<int>(std::min<size_t>(client.out.size() - client.out_offset, INT_MAX)));
    if (sent > 0) {
      client.out_offset += static_cast<size_t>(sent);
      continue;
    }
    const int error = SSL_get_error(client.ssl.get(), sent);
    if (error == SSL_ERROR_WANT_WRITE) {
      SetInterest(client, EPOLLIN | EPOLLOUT);
      return false;
    }
    if (error == SSL_ERROR_SYSCALL && errno == EINTR) continue;
    OnConnectionEnded(client, absl::StrCat("SSL_write: ", error == SSL_ERROR_SYSCALL
                                                              ? ErrnoText(errno)
                                                              : TakeSslErrors()));
    return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------
// The measured phase.

void LoadRun::StartMeasuring(int64_t now) {
  measuring_ = true;
  measure_start_ns_ = now;
  last_activity_ns_ = now;
  for (int i = 0; i < n_; ++i) {
    Client& client = clients_[static_cast<size_t>(i)];
    client.last_progress_ns = now;
    if (expected_per_receiver_ == 0) {
      client.done = true;
      ++receivers_done_;
    }
    MarkReady(client);
    MaybeFinishedSending(client, now);
  }
}

bool LoadRun::MeasuringDone(int64_t now) const {
  if (senders_finished_ < n_) return false;
  if (receivers_done_ == n_) return true;
  // Everything is sent and nothing has arrived for a window timeout: what is missing
  // is late enough to count as lost.
  return now - last_activity_ns_ >= window_timeout_ns_;
}

void LoadRun::OnMarker(Client& receiver, const Marker& marker, int64_t now) {
  if (receiver.stalled) return;
  if (marker.sender < 0 || marker.sender >= n_ || marker.seq < 0 || marker.seq >= m_) {
    ++result_.garbled;
    return;
  }
  if (marker.sender == receiver.index) {
    ++result_.self_echoes;
    return;
  }
  const size_t id = static_cast<size_t>(marker.sender * m_ + marker.seq);
  uint64_t& word = receiver.received[id / 64];
  const uint64_t bit = uint64_t{1} << (id % 64);
  if (word & bit) {
    ++result_.duplicated;
    return;
  }
  word |= bit;
  ++receiver.unique;
  ++result_.deliveries_received;
  int32_t& max_seq = receiver.max_seq[static_cast<size_t>(marker.sender)];
  if (marker.seq < max_seq) {
    ++result_.order_violations;
  } else {
    max_seq = static_cast<int32_t>(marker.seq);
  }
  latency_.Record(now - marker.send_ns);
  if (record_order_) receiver.order.push_back(static_cast<int32_t>(id));
  last_delivery_ns_ = now;
  last_activity_ns_ = now;
  if (++delivered_to_[id] == receivers_per_message_) {
    OnCompleted(clients_[static_cast<size_t>(marker.sender)], marker.seq, now);
  }
  if (receiver.unique == expected_per_receiver_) {
    receiver.done = true;
    ++receivers_done_;
  }
}

void LoadRun::OnCompleted(Client& sender, int64_t seq, int64_t now) {
  if (seq >= sender.forgiven_upto) ++sender.completed_since_forgiven;
  sender.last_progress_ns = now;
  if (options_.window > 0) MarkReady(sender);
}

void LoadRun::MarkReady(Client& client) {
  if (client.ready_queued || client.stalled) return;
  client.ready_queued = true;
  ready_.push_back(static_cast<size_t>(client.index));
}

void LoadRun::Schedule(Client& client, int64_t at_ns) {
  // An earlier pending timer will call TrySend(), which schedules again if needed.
  if (client.wake_at_ns != -1 && client.wake_at_ns <= at_ns) return;
  client.wake_at_ns = at_ns;
  timers_.emplace(at_ns, static_cast<size_t>(client.index));
}

void LoadRun::TrySend(Client& client, int64_t now) {
  if (!measuring_ || client.stalled || client.phase != Phase::kJoined || client.finished_sending) {
    return;
  }
  if (client.out_offset < client.out.size()) return;  // EPOLLOUT will bring us back
  int batch = 0;
  while (client.next_seq < m_) {
    if (batch == kMaxBatch) {
      MarkReady(client);
      break;
    }
    if (rate_interval_ns_ > 0) {
      const int64_t due =
          measure_start_ns_ + client.rate_offset_ns + client.next_seq * rate_interval_ns_;
      if (now < due) {
        Schedule(client, due);
        break;
      }
    }
    if (options_.window > 0 && receivers_per_message_ > 0 && InFlight(client) >= options_.window) {
      const int64_t stall_at = client.last_progress_ns + window_timeout_ns_;
      if (now < stall_at) {
        Schedule(client, stall_at);
        break;
      }
      // No progress for a whole window timeout: stop waiting for what is in flight.
      ++client.stalls;
      client.forgiven_upto = client.next_seq;
      client.completed_since_forgiven = 0;
    }
    const Marker marker{client.index, client.next_seq, now};
    size_t length = 0;
    if (client.ws != nullptr) {
      line_.clear();
      length = AppendPayload(&line_, token_, marker, static_cast<size_t>(options_.payload_bytes));
      json_.clear();
      AppendSayMessage(line_, &json_);
      client.ws->AppendText(json_, &client.out);
    } else {
      length =
          AppendPayload(&client.out, token_, marker, static_cast<size_t>(options_.payload_bytes));
      client.out.push_back('\n');
    }
    max_payload_ = std::max(max_payload_, static_cast<int64_t>(length));
    ++client.next_seq;
    ++result_.messages_sent;
    ++batch;
  }
  if (batch > 0) {
    client.last_progress_ns = now;
    Flush(client, now);
  }
}

void LoadRun::MaybeFinishedSending(Client& client, int64_t now) {
  if (!measuring_ || client.stalled || client.finished_sending || client.next_seq < m_ ||
      !client.out.empty()) {
    return;
  }
  client.finished_sending = true;
  ++senders_finished_;
  last_activity_ns_ = std::max(last_activity_ns_, now);
}

// ---------------------------------------------------------------------------------------
// The end.

void LoadRun::DrainStalled() {
  Client& client = clients_.back();
  if (!client.stalled || client.phase != Phase::kJoined) return;
  // Let the stalled client catch up now: whatever the server still had queued arrives,
  // followed by end of stream if the server gave up on it.
  int64_t now = Now();
  const int64_t until =
      std::min(now + kStalledDrainNs, std::max(deadline_ns_, now + kStalledQuietNs));
  int64_t last_data = now;
  MarkerScanner scanner(token_);
  bool disconnected = false;
  while (true) {
    now = Now();
    const int64_t wake = std::min(until, last_data + kStalledQuietNs);
    if (now >= wake) break;
    pollfd poll_fd{client.fd.get(), POLLIN, 0};
    ::poll(&poll_fd, 1, static_cast<int>((wake - now + kNsPerMs - 1) / kNsPerMs));
    const ssize_t got = ::recv(client.fd.get(), read_buffer_.data(), read_buffer_.size(), 0);
    if (got > 0) {
      scanner.Feed(std::string_view(read_buffer_.data(), static_cast<size_t>(got)),
                   [&](const Marker&) { ++result_.stalled_client_received; });
      last_data = Now();
      continue;
    }
    if (got == 0) {
      disconnected = true;
      break;
    }
    if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
    disconnected = true;  // reset by the server
    break;
  }
  result_.stalled_client_disconnected = disconnected;
}

void LoadRun::Report(int64_t measure_end_ns) {
  const LoadOptions& o = options_;
  result_.payload_bytes =
      result_.messages_sent > 0 ? static_cast<int>(max_payload_) : o.payload_bytes;
  // Lines can only be lost once sending started; before that nothing was measured.
  if (measuring_) {
    result_.lost = std::max<int64_t>(0, result_.deliveries_expected - result_.deliveries_received);
  }
  for (const Client& client : clients_) {
    result_.window_stalls += client.stalls;
    result_.foreign_markers += client.scanner->foreign();
    result_.garbled += client.scanner->garbled();
  }
  if (measuring_) {
    const int64_t elapsed_ns = std::max<int64_t>(1, measure_end_ns - measure_start_ns_);
    result_.elapsed_s = static_cast<double>(elapsed_ns) / kNsPerSec;
    result_.deliveries_per_sec =
        static_cast<double>(result_.deliveries_received) / result_.elapsed_s;
  }
  if (latency_.count() > 0) {
    const auto ms = [](int64_t ns) { return static_cast<double>(ns) / kNsPerMs; };
    result_.latency = LatencySummary{ms(latency_.Percentile(0.50)), ms(latency_.Percentile(0.90)),
                                     ms(latency_.Percentile(0.99)), ms(latency_.max())};
  }

  if (!measuring_) {
    result_.order_check = "not run";
  } else if (n_ < 2) {
    result_.same_global_order = true;
    result_.order_check = "trivial (one receiver)";
  } else if (!record_order_) {
    result_.order_check =
        absl::StrCat("skipped: ", result_.deliveries_expected,
                     " deliveries > --order_check_max_deliveries=", o.order_check_max_deliveries);
  } else {
    std::vector<std::vector<int32_t>> orders;
    orders.reserve(static_cast<size_t>(n_));
    for (int i = 0; i < n_; ++i)
      orders.push_back(std::move(clients_[static_cast<size_t>(i)].order));
    result_.same_global_order =
        SameGlobalOrder(orders, static_cast<int32_t>(int64_t{n_} * m_), kPairwiseBudget);
    result_.order_check = result_.same_global_order.has_value()
                              ? "checked"
                              : "gave up: no common total order, pairwise check too costly";
  }

  if (o.server_pid > 0) {
    if (std::optional<ProcStatus> status = ReadProcStatus(o.server_pid)) {
      result_.server_peak_rss_kb = status->peak_rss_kb;
      result_.server_threads = std::max(result_.server_threads.value_or(0), status->threads);
    }
  }

  // Hints about why lines went missing, when the server said so.
  if (result_.error.empty() && result_.lost > 0) {
    if (flood_notices_ > 0) {
      result_.error = "the server's flood control dropped lines; run it with --max_msgs_per_sec=0";
    } else if (too_long_notices_ > 0) {
      result_.error =
          "the server refused lines as too long; lower --size or raise the "
          "server's --max_line_bytes";
    }
  }
}

LoadResult LoadRun::Run() {
  if (!Prepare()) return result_;

  StartConnects();
  const bool joined = LoopUntil([this](int64_t) { return joined_ == clients_.size(); });
  if (!joined) {
    if (result_.timed_out) {
      Fail(absl::StrCat("timed out logging in: ", joined_, " of ", clients_.size(),
                        " clients joined (is the server's --max_clients at least ", clients_.size(),
                        "?)"));
    }
    Report(Now());
    return result_;
  }

  StartMeasuring(Now());
  LoopUntil([this](int64_t now) { return MeasuringDone(now); });
  int64_t end = Now();
  if (!failed_ && !result_.timed_out && result_.deliveries_received > 0) {
    end = std::min(end, last_delivery_ns_);
  }
  if (result_.timed_out) {
    Fail(absl::StrCat("timed out after ", absl::FormatDuration(options_.timeout), " with ",
                      result_.deliveries_received, " of ", result_.deliveries_expected,
                      " deliveries"));
  }
  DrainStalled();
  Report(end);
  return result_;
}

}  // namespace

absl::Status CheckLoopbackHost(const std::string& host) {
  sockaddr_storage address{};
  socklen_t length = 0;
  return CheckLoopbackHostImpl(host, &address, &length);
}

LoadResult SetupFailure(const LoadOptions& options, std::string error) {
  LoadResult result = EchoOptions(options);
  result.setup_failed = true;
  result.error = std::move(error);
  return result;
}

LoadResult RunLoad(const LoadOptions& options) {
  LoadRun run(options);
  return run.Run();
}

int ExitCode(const LoadResult& result) {
  if (result.setup_failed) return 3;
  if (result.timed_out) return 2;
  const bool problems = result.lost > 0 || result.duplicated > 0 || result.order_violations > 0 ||
                        (result.same_global_order.has_value() && !*result.same_global_order) ||
                        result.self_echoes > 0 || result.garbled > 0 ||
                        result.clients_disconnected > 0 || !result.error.empty();
  return problems ? 1 : 0;
}

std::string ToJson(const LoadResult& r) {
  const auto number = [](double value, int digits) {
    return absl::StrFormat("%.*f", digits, std::isfinite(value) ? value : 0.0);
  };
  std::string json = "{";
  const auto field = [&json](std::string_view name, std::string_view value) {
    if (json.size() > 1) json += ",";
    absl::StrAppend(&json, "\"", name, "\":", value);
  };
  field("clients", absl::StrCat(r.clients));
  field("messages_per_client", absl::StrCat(r.messages_per_client));
  field("payload_bytes", absl::StrCat(r.payload_bytes));
  field("window", absl::StrCat(r.window));
  field("rate", number(r.rate, 1));
  field("deliveries_expected", absl::StrCat(r.deliveries_expected));
  field("deliveries_received", absl::StrCat(r.deliveries_received));
  field("lost", absl::StrCat(r.lost));
  field("duplicated", absl::StrCat(r.duplicated));
  field("order_violations", absl::StrCat(r.order_violations));
  field("same_global_order",
        r.same_global_order.has_value() ? (*r.same_global_order ? "true" : "false") : "null");
  field("order_check", JsonString(r.order_check));
  field("join_s", number(r.join_s, 4));
  field("elapsed_s", number(r.elapsed_s, 4));
  field("deliveries_per_sec", number(r.deliveries_per_sec, 1));
  if (r.latency.has_value()) {
    field("latency_ms", absl::StrCat("{\"p50\":", number(r.latency->p50_ms, 3),
                                     ",\"p90\":", number(r.latency->p90_ms, 3),
                                     ",\"p99\":", number(r.latency->p99_ms, 3),
                                     ",\"max\":", number(r.latency->max_ms, 3), "}"));
  } else {
    field("latency_ms", "null");
  }
  field("window_stalls", absl::StrCat(r.window_stalls));
  field("messages_sent", absl::StrCat(r.messages_sent));
  field("self_echoes", absl::StrCat(r.self_echoes));
  field("garbled", absl::StrCat(r.garbled));
  field("foreign_markers", absl::StrCat(r.foreign_markers));
  field("clients_disconnected", absl::StrCat(r.clients_disconnected));
  if (r.server_peak_rss_kb.has_value()) {
    field("server_peak_rss_kb", absl::StrCat(*r.server_peak_rss_kb));
  }
  if (r.server_threads.has_value()) field("server_threads", absl::StrCat(*r.server_threads));
  if (r.stalled_client) {
    field("stalled_client", "true");
    field("stalled_client_disconnected", r.stalled_client_disconnected.has_value()
                                             ? (*r.stalled_client_disconnected ? "true" : "false")
                                             : "null");
    field("stalled_client_received", absl::StrCat(r.stalled_client_received));
    field("stalled_client_expected", absl::StrCat(r.stalled_client_expected));
  }
  field("host", JsonString(r.host));
  field("port", absl::StrCat(r.port));
  field("servers", absl::StrCat(r.servers));
  field("transport", JsonString(r.transport));
  field("nonce", JsonString(r.nonce));
  field("timed_out", r.timed_out ? "true" : "false");
  field("exit_code", absl::StrCat(ExitCode(r)));
  field("error", JsonString(r.error));
  json += "}";
  return json;
}

}  // namespace chat::bench
