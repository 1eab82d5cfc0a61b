#include "chat/metrics/http_server.h"

#include <errno.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <limits>
#include <system_error>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "chat/http_response.h"
#include "glog/logging.h"

namespace chat::metrics {
namespace {

constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";
constexpr std::string_view kTextContentType = "text/plain; charset=utf-8";

// After an accept() failure such as EMFILE, retrying at once would spin.
constexpr absl::Duration kAcceptBackoff = absl::Milliseconds(100);
// At most this much is read and discarded after a response (see kLingering below).
constexpr size_t kMaxDrainBytes = 64 * 1024;
// One recv() or drain step; on the intake thread's stack.
constexpr size_t kReadChunk = 4096;

// A whole response. Every one closes the connection and has an exact Content-Length,
// so a client never has to guess where the body ends. For HEAD, `body` still decides
// Content-Length but is not sent.
std::string BuildResponse(int status, std::string_view content_type, std::string_view body,
                          bool head_only = false,
                          std::vector<std::pair<std::string, std::string>> extra_headers = {}) {
  HttpResponse response{status,
                        {{"Content-Type", std::string(content_type)},
                         {"Cache-Control", "no-store"},
                         {"Connection", "close"}},
                        std::string(body)};
  for (auto& header : extra_headers) response.headers.push_back(std::move(header));
  return response.Format(head_only);
}

// A short text body, e.g. "404 not found\n", for a person trying the URL with curl.
std::string ErrorResponse(int status, bool head_only = false,
                          std::vector<std::pair<std::string, std::string>> extra_headers = {}) {
  std::string body = absl::StrCat(status, " ", HttpReason(status), "\n");
  for (char& c : body) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return BuildResponse(status, kTextContentType, body, head_only, std::move(extra_headers));
}

// The length of the request head including the empty line that ends it, or npos if
// it has not all arrived. Lines end in CRLF; a bare LF is accepted too (RFC 9112
// section 2.2 allows that leniency). `from` is where new data may complete the end
// (its first '\n' can be 2 bytes before what arrived last), so a head trickled in a
// byte at a time is not rescanned from the start each time.
size_t HeadLength(std::string_view data, size_t from = 0) {
  for (size_t i = data.find('\n', from); i != std::string_view::npos; i = data.find('\n', i + 1)) {
    if (i + 1 < data.size() && data[i + 1] == '\n') return i + 2;
    if (i + 2 < data.size() && data[i + 1] == '\r' && data[i + 2] == '\n') return i + 3;
  }
  return std::string_view::npos;
}

// Discards whatever the peer already sent, without waiting.
void DrainNonBlocking(int fd) {
  char buffer[4096];
  size_t drained = 0;
  while (drained < kMaxDrainBytes) {
    const ssize_t got = ::recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT);
    if (got <= 0) break;
    drained += static_cast<size_t>(got);
  }
}

// For logs: untrusted bytes, escaped and shortened.
std::string Printable(std::string_view text) {
  constexpr size_t kMax = 120;
  std::string out = absl::CHexEscape(text.substr(0, kMax));
  if (text.size() > kMax) out.append("...");
  return out;
}

// Overload, as opposed to the "not accepting" of shutdown: come back in a second.
std::string BusyResponse(bool head_only = false) {
  return BuildResponse(503, kTextContentType, "busy\n", head_only, {{"Retry-After", "1"}});
}

// poll()'s timeout for waking at `next`: rounded up, so the deadline has passed when
// poll() returns (no spinning on a not-quite-expired deadline); -1 for none.
int PollTimeoutMs(absl::Time next, absl::Time now) {
  if (next == absl::InfiniteFuture()) return -1;
  const absl::Duration wait = next - now;
  if (wait <= absl::ZeroDuration()) return 0;
  const int64_t ms = absl::ToInt64Milliseconds(absl::Ceil(wait, absl::Milliseconds(1)));
  return static_cast<int>(std::min<int64_t>(ms, std::numeric_limits<int>::max()));
}

}  // namespace

// Owned by the intake thread while in its pending set, by a request thread while that
// renders /metrics, by rendered_ in between. The socket is non-blocking throughout.
struct HttpServer::Connection {
  enum class State {
    kReading,  // the request head is arriving
    kWriting,  // the response is going out
    // Closing a socket with unread input makes the kernel send RST, and a client that
    // gets RST may lose the response it has not read yet (e.g. a 431 sent while it was
    // still sending its oversized head). So after the response: half-close, then read
    // and discard until the client closes too, read_deadline passes, or kMaxDrainBytes
    // have been read.
    kLingering,
  };

  Connection(ScopedFd socket, absl::Time deadline)
      : fd(std::move(socket)), read_deadline(deadline) {}

  absl::Time Deadline() const { return state == State::kWriting ? write_deadline : read_deadline; }
  short Events() const { return state == State::kWriting ? POLLOUT : POLLIN; }

  // Logs the outcome and closes; the intake drops connections whose fd is invalid.
  void Close() {
    if (VLOG_IS_ON(1)) VLOG(1) << "metrics HTTP " << PeerAddress(fd.get()) << ": " << summary;
    fd.Reset();
  }

  ScopedFd fd;
  State state = State::kReading;
  // For the whole head (from accept), and the end of lingering.
  absl::Time read_deadline;
  // For the whole response (from when it is ready).
  absl::Time write_deadline = absl::InfiniteFuture();
  std::string in;  // the head so far; never more than max_request_head_bytes + 1
  std::string out;
  size_t sent = 0;
  size_t drained = 0;
  bool head_only = false;  // HEAD /metrics: render for Content-Length, send no body
  std::string summary;     // for the log
};

HttpServer::HttpServer(HttpServerOptions options, std::function<std::string()> metrics_body,
                       std::function<bool()> healthy,
                       std::function<std::string()> unhealthy_reason)
    : options_(std::move(options)),
      metrics_body_(std::move(metrics_body)),
      healthy_(std::move(healthy)),
      unhealthy_reason_(std::move(unhealthy_reason)) {
  CHECK(metrics_body_ != nullptr) << "HttpServer needs a metrics_body callback";
  CHECK(healthy_ != nullptr) << "HttpServer needs a healthy callback";
  CHECK_GE(options_.max_concurrent, 1);
  CHECK_GE(options_.max_pending, 1);
  CHECK_GE(options_.max_request_head_bytes, 16u);
  CHECK_GT(options_.read_deadline, absl::ZeroDuration());
  CHECK_GT(options_.send_timeout, absl::ZeroDuration());
}

HttpServer::~HttpServer() { Stop(); }

absl::Status HttpServer::Start() {
  absl::MutexLock lock(&mu_);
  if (started_) return absl::FailedPreconditionError("HttpServer::Start() called twice");
  if (stopping_) return absl::FailedPreconditionError("HttpServer was stopped");
  absl::StatusOr<ScopedFd> listener =
      ListenTcp(options_.address, options_.port, options_.listen_backlog);
  if (!listener.ok()) {
    return absl::Status(listener.status().code(),
                        absl::StrCat("metrics HTTP server on ", options_.address, ":",
                                     options_.port, ": ", listener.status().message()));
  }
  absl::StatusOr<int> port = LocalPort(listener->get());
  if (!port.ok()) return port.status();
  // Non-blocking: poll() may report a connection that is gone by the time accept() runs.
  if (!SetNonBlocking(listener->get())) {
    return absl::InternalError(
        absl::StrCat("metrics HTTP listener: fcntl: ", std::strerror(errno)));
  }
  ScopedFd wake(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!wake.valid()) {
    return absl::InternalError(absl::StrCat("metrics HTTP: eventfd: ", std::strerror(errno)));
  }
  started_ = true;
  wake_ = std::move(wake);
  port_.store(*port, std::memory_order_release);
  const int wake_fd = wake_.get();
  intake_thread_ = std::jthread([this, listen = *std::move(listener), wake_fd]() mutable {
    IntakeLoop(std::move(listen), wake_fd);
  });
  LOG(INFO) << "metrics HTTP server listening on "
            << (options_.address.empty() ? "*" : options_.address) << ":" << *port;
  return absl::OkStatus();
}

void HttpServer::Stop() {
  std::jthread intake_thread;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    if (wake_.valid()) Wake();
    intake_thread = std::move(intake_thread_);
  }
  // Joined without mu_: the intake loop takes it. It closes the listener and every
  // connection it holds as it ends.
  if (intake_thread.joinable()) intake_thread.join();

  // No new request thread can start now; those rendering finish (the callback cannot be
  // interrupted) and park their connections in rendered_, closed below unanswered.
  std::vector<std::thread> finished;
  Pending rendered;
  {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(this, &HttpServer::NoneRunning));
    finished.swap(finished_);
    rendered.swap(rendered_);
    pending_count_ = 0;
    if (wake_.valid()) {
      wake_.Reset();  // no thread can write it any more
      LOG(INFO) << "metrics HTTP server on port " << port() << " stopped";
    }
  }
  for (std::thread& thread : finished) thread.join();
}

int HttpServer::in_flight() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(running_.size());
}

bool HttpServer::AwaitInFlight(int n, absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  const auto reached = [this, n] {
    mu_.AssertHeld();
    return static_cast<int>(running_.size()) == n;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
}

int HttpServer::pending() const {
  absl::MutexLock lock(&mu_);
  return pending_count_;
}

bool HttpServer::AwaitPending(int n, absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  const auto reached = [this, n] {
    mu_.AssertHeld();
    return pending_count_ == n;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
}

void HttpServer::Wake() {
  // eventfd: a counter, so wake-ups never block or get lost; EAGAIN (counter full)
  // still leaves it readable.
  const uint64_t one = 1;
  [[maybe_unused]] const ssize_t written = ::write(wake_.get(), &one, sizeof(one));
}

void HttpServer::IntakeLoop(ScopedFd listener, int wake_fd) {
  Pending pending;  // oldest first
  std::vector<pollfd> fds;
  absl::Time accept_paused_until = absl::InfinitePast();
  while (true) {
    ReapFinished();
    Pending rendered;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) break;
      rendered.swap(rendered_);
    }
    absl::Time now = absl::Now();
    for (std::unique_ptr<Connection>& connection : rendered) {
      std::string response = std::move(connection->out);
      StartWriting(*connection, std::move(response), now);
      Advance(connection, /*ready=*/true, now);
      if (connection == nullptr || !connection->fd.valid()) continue;
      Admit(pending, std::move(connection));
    }
    {
      absl::MutexLock lock(&mu_);
      pending_count_ = static_cast<int>(pending.size());
    }

    fds.clear();
    fds.push_back({wake_fd, POLLIN, 0});
    const bool accepting = now >= accept_paused_until;
    fds.push_back({accepting ? listener.get() : -1, POLLIN, 0});  // poll() skips fd -1
    absl::Time next = accepting ? absl::InfiniteFuture() : accept_paused_until;
    for (const std::unique_ptr<Connection>& connection : pending) {
      fds.push_back({connection->fd.get(), connection->Events(), 0});
      next = std::min(next, connection->Deadline());
    }
    if (::poll(fds.data(), fds.size(), PollTimeoutMs(next, now)) < 0) {
      if (errno != EINTR) {
        // ENOMEM, or more descriptors than RLIMIT_NOFILE: nothing to do but wait.
        LOG_EVERY_N(ERROR, 100) << "metrics HTTP poll: " << std::strerror(errno);
        absl::SleepFor(kAcceptBackoff);
      }
      continue;
    }
    if (fds[0].revents != 0) {
      uint64_t count;
      [[maybe_unused]] const ssize_t got = ::read(wake_fd, &count, sizeof(count));
    }

    now = absl::Now();
    // Connections already held go first: a request that has arrived is answered before
    // new connections can push its connection out.
    for (size_t i = 0; i < pending.size(); ++i) {
      Advance(pending[i], fds[i + 2].revents != 0, now);
    }
    std::erase_if(pending, [](const std::unique_ptr<Connection>& connection) {
      return connection == nullptr || !connection->fd.valid();
    });
    if (fds[1].revents != 0 && !AcceptSome(listener.get(), pending)) {
      accept_paused_until = now + kAcceptBackoff;
    }
  }
  // Stop(): `pending` and `listener` close as they go out of scope, answered or not.
}

bool HttpServer::AcceptSome(int listen_fd, Pending& pending) {
  // Bounded, so this round's connections all see the next poll() before a later batch
  // could push them out.
  for (int i = 0; i < options_.max_pending; ++i) {
    const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      const int error = errno;
      switch (ClassifyAcceptError(error)) {
        case AcceptFailure::kNothingPending:
          return true;
        case AcceptFailure::kRetryNow:
          continue;
        case AcceptFailure::kOutOfResources:
          LOG_EVERY_N(WARNING, 100)
              << "metrics HTTP accept: " << std::strerror(error) << "; backing off";
          return false;
        case AcceptFailure::kUnexpected:
          LOG_EVERY_N(ERROR, 100) << "metrics HTTP accept: " << std::strerror(error);
          return false;
      }
    }
    const absl::Time now = absl::Now();
    auto connection = std::make_unique<Connection>(ScopedFd(fd), now + options_.read_deadline);
    // A prober's request is usually there already: answering it now means no later
    // connection can push it out.
    Advance(connection, /*ready=*/true, now);
    if (connection == nullptr || !connection->fd.valid()) continue;
    Admit(pending, std::move(connection));
  }
  return true;
}

void HttpServer::MakeRoom(Pending& pending, std::unique_ptr<Connection>& newcomer) {
  // One that has had its answer loses least (the newcomer too: an answered connection
  // never pushes out one still waiting for its answer); else the oldest, as the newest
  // is the one most likely to be a prober that has just sent its request.
  const auto answered = [](const std::unique_ptr<Connection>& connection) {
    return connection->state == Connection::State::kLingering;
  };
  auto victim = std::find_if(pending.begin(), pending.end(), answered);
  if (victim == pending.end() && answered(newcomer)) {
    DrainNonBlocking(newcomer->fd.get());
    newcomer->Close();
    return;
  }
  if (victim == pending.end()) victim = pending.begin();
  Connection& connection = **victim;
  const int fd = connection.fd.get();
  if (connection.state == Connection::State::kReading) {
    // Tiny, into the socket's empty send buffer: never blocks.
    const std::string response = BusyResponse();
    (void)::send(fd, response.data(), response.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    ::shutdown(fd, SHUT_WR);
    connection.summary = "no complete request yet; closed for a newer connection -> 503 busy";
    LOG_EVERY_N(WARNING, 100) << "metrics HTTP: " << options_.max_pending
                              << " connections pending; closing the oldest unanswered one "
                                 "(logged every 100th time)";
  } else {
    absl::StrAppend(&connection.summary, " (closed early for a newer connection)");
  }
  DrainNonBlocking(fd);  // fewer RSTs
  connection.Close();
  pending.erase(victim);
}

// Adds `connection` (not yet in `pending`) within max_pending.
void HttpServer::Admit(Pending& pending, std::unique_ptr<Connection> connection) {
  if (pending.size() >= static_cast<size_t>(options_.max_pending)) {
    MakeRoom(pending, connection);
    if (!connection->fd.valid()) return;
  }
  pending.push_back(std::move(connection));
}

void HttpServer::StartWriting(Connection& connection, std::string response, absl::Time now) const {
  connection.in = std::string();  // free the head's buffer
  connection.out = std::move(response);
  connection.sent = 0;
  connection.state = Connection::State::kWriting;
  connection.write_deadline = now + options_.send_timeout;
}

void HttpServer::Advance(std::unique_ptr<Connection>& slot, bool ready, absl::Time now) {
  Connection& connection = *slot;
  const int fd = connection.fd.get();
  char buffer[kReadChunk];
  switch (connection.state) {
    case Connection::State::kReading: {
      const size_t limit = options_.max_request_head_bytes;
      while (ready) {
        // Never read past the limit (+1 byte, to know it was exceeded).
        const size_t want = std::min(sizeof(buffer), limit + 1 - connection.in.size());
        const ssize_t got = ::recv(fd, buffer, want, MSG_DONTWAIT);
        if (got > 0) {
          const size_t from = connection.in.size() >= 2 ? connection.in.size() - 2 : 0;
          connection.in.append(buffer, static_cast<size_t>(got));
          const size_t length = HeadLength(connection.in, from);
          if (length != std::string::npos && length <= limit) {
            OnHead(slot, length, now);
            return;
          }
          if (connection.in.size() > limit) {
            connection.summary = absl::StrCat("request head over ", limit, " bytes -> 431");
            StartWriting(connection, ErrorResponse(431), now);
            Advance(slot, /*ready=*/true, now);
            return;
          }
          continue;
        }
        if (got < 0 && errno == EINTR) continue;
        if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        // End of stream or error: nobody to answer.
        connection.summary = got == 0 ? "closed before a complete request" : std::strerror(errno);
        connection.Close();
        return;
      }
      // However slowly it trickles in, the deadline is for the whole head.
      if (now >= connection.read_deadline) {
        connection.summary = absl::StrCat("no complete request within ",
                                          absl::FormatDuration(options_.read_deadline), " -> 408");
        StartWriting(connection, ErrorResponse(408), now);
        Advance(slot, /*ready=*/true, now);
      }
      return;
    }

    case Connection::State::kWriting: {
      while (ready && connection.sent < connection.out.size()) {
        const std::string_view rest = std::string_view(connection.out).substr(connection.sent);
        const ssize_t sent = ::send(fd, rest.data(), rest.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (sent >= 0) {
          connection.sent += static_cast<size_t>(sent);
          continue;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        absl::StrAppend(&connection.summary, " (send failed)");
        connection.Close();
        return;
      }
      if (connection.sent == connection.out.size()) {
        connection.out = std::string();
        ::shutdown(fd, SHUT_WR);
        connection.state = Connection::State::kLingering;
        Advance(slot, /*ready=*/true, now);
        return;
      }
      if (now >= connection.write_deadline) {
        // The client is not reading (or not fast enough): no reason to wait for it.
        absl::StrAppend(&connection.summary, " (send timed out)");
        connection.Close();
      }
      return;
    }

    case Connection::State::kLingering: {
      while (ready && connection.drained < kMaxDrainBytes) {
        const ssize_t got = ::recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT);
        if (got > 0) {
          connection.drained += static_cast<size_t>(got);
          continue;
        }
        if (got < 0 && errno == EINTR) continue;
        if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        connection.Close();  // the client closed too (or is gone): done
        return;
      }
      if (connection.drained >= kMaxDrainBytes || now >= connection.read_deadline) {
        DrainNonBlocking(fd);
        connection.Close();
      }
      return;
    }
  }
}

void HttpServer::OnHead(std::unique_ptr<Connection>& slot, size_t head_length, absl::Time now) {
  Connection& connection = *slot;
  Answer answer =
      Respond(std::string_view(connection.in).substr(0, head_length), &connection.summary);
  if (!answer.metrics) {
    StartWriting(connection, std::move(answer.response), now);
    Advance(slot, /*ready=*/true, now);
    return;
  }
  connection.head_only = answer.head_only;
  connection.in = std::string();
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) {
      connection.Close();
      return;
    }
    if (running_.size() < static_cast<size_t>(options_.max_concurrent)) {
      const uint64_t id = next_id_++;
      Connection* const raw = slot.get();
      try {
        // Started with mu_ held, so the thread's last act (which takes mu_ to
        // deregister) cannot run before it is registered below.
        std::thread thread([this, id, raw] { Render(id, std::unique_ptr<Connection>(raw)); });
        slot.release();  // the thread owns it now
        running_.emplace(id, std::move(thread));
        return;
      } catch (const std::system_error& e) {
        LOG_EVERY_N(ERROR, 100) << "metrics HTTP: cannot start a request thread: " << e.what();
      }
    }
  }
  // Every slot is busy (or out of threads): say so at once. The slots free as fast as
  // bodies render, so a retry a second later is likely to succeed.
  LOG_EVERY_N(WARNING, 100) << "metrics HTTP: busy (limit " << options_.max_concurrent
                            << " requests in flight); answering 503 (logged every 100th time)";
  absl::StrAppend(&connection.summary, " -> 503 busy");
  StartWriting(connection, BusyResponse(connection.head_only), now);
  Advance(slot, /*ready=*/true, now);
}

void HttpServer::Render(uint64_t id, std::unique_ptr<Connection> connection) {
  // The only slow part, and the only reason for a thread; the socket is not touched
  // here, so a client cannot hold this slot at all.
  connection->out = BuildResponse(200, kMetricsContentType, metrics_body_(), connection->head_only);
  absl::StrAppend(&connection->summary, " -> 200");
  absl::MutexLock lock(&mu_);
  const auto it = running_.find(id);
  CHECK(it != running_.end());
  finished_.push_back(std::move(it->second));
  running_.erase(it);
  rendered_.push_back(std::move(connection));
  Wake();  // wake_ is valid: Stop() closes it only once running_ is empty
}

HttpServer::Answer HttpServer::Respond(std::string_view head, std::string* summary) const {
  const std::string_view request_line = head.substr(0, head.find('\n'));
  const std::vector<std::string_view> parts =
      absl::StrSplit(absl::StripSuffix(request_line, "\r"), ' ');
  // request-line = method SP request-target SP HTTP-version, with single spaces.
  if (parts.size() != 3 || parts[0].empty() || parts[1].empty()) {
    *summary = absl::StrCat("malformed request line '", Printable(request_line), "' -> 400");
    return {.response = ErrorResponse(400)};
  }
  const std::string_view method = parts[0];
  const std::string_view target = parts[1];
  const std::string_view version = parts[2];
  *summary = absl::StrCat(Printable(method), " ", Printable(target), " ", Printable(version));

  if (version != "HTTP/1.1" && version != "HTTP/1.0") {
    const bool http = absl::StartsWith(version, "HTTP/");
    absl::StrAppend(summary, http ? " -> 505" : " -> 400");
    return {.response = ErrorResponse(http ? 505 : 400)};
  }
  const bool head_only = method == "HEAD";
  if (method != "GET" && !head_only) {
    absl::StrAppend(summary, " -> 405");
    return {.response = ErrorResponse(405, false, {{"Allow", "GET, HEAD"}})};
  }
  const std::string_view path = target.substr(0, target.find('?'));
  if (path == "/metrics") return {.response = "", .metrics = true, .head_only = head_only};
  if (path == "/healthz") {
    // Answered on the intake thread, never waiting for a slot: a health check says
    // whether the server accepts clients, not how busy the scrape endpoint is.
    const bool healthy = healthy_();
    absl::StrAppend(summary, healthy ? " -> 200" : " -> 503");
    const std::string body = healthy                         ? "ok\n"
                             : unhealthy_reason_ != nullptr ? unhealthy_reason_()
                                                            : "not accepting\n";
    return {.response = BuildResponse(healthy ? 200 : 503, kTextContentType, body, head_only)};
  }
  absl::StrAppend(summary, " -> 404");
  return {.response = ErrorResponse(404, head_only)};
}

void HttpServer::ReapFinished() {
  std::vector<std::thread> finished;
  {
    absl::MutexLock lock(&mu_);
    finished.swap(finished_);
  }
  for (std::thread& thread : finished) thread.join();
}

}  // namespace chat::metrics
