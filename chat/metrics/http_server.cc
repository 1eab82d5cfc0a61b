#include "chat/metrics/http_server.h"

#include <errno.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <system_error>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "glog/logging.h"

namespace chat::metrics {
namespace {

constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";
constexpr std::string_view kTextContentType = "text/plain; charset=utf-8";

// After an accept() failure such as EMFILE, retrying at once would spin.
constexpr absl::Duration kAcceptBackoff = absl::Milliseconds(100);
// At most this much is read and discarded after a response (see LingeringClose).
constexpr size_t kMaxDrainBytes = 64 * 1024;

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 431:
      return "Request Header Fields Too Large";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
  }
  return "Unknown";
}

// A whole response. Every one closes the connection and has an exact Content-Length,
// so a client never has to guess where the body ends. For HEAD, `body` still decides
// Content-Length but is not sent.
std::string BuildResponse(int status, std::string_view content_type, std::string_view body,
                          bool head_only = false, std::string_view extra_headers = "") {
  std::string response =
      absl::StrCat("HTTP/1.1 ", status, " ", ReasonPhrase(status),
                   "\r\nContent-Type: ", content_type, "\r\nContent-Length: ", body.size(),
                   "\r\nCache-Control: no-store\r\nConnection: close\r\n", extra_headers, "\r\n");
  if (!head_only) response.append(body);
  return response;
}

// A short text body, e.g. "404 not found\n", for a person trying the URL with curl.
std::string ErrorResponse(int status, bool head_only = false, std::string_view extra_headers = "") {
  std::string body = absl::StrCat(status, " ", ReasonPhrase(status), "\n");
  for (char& c : body) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return BuildResponse(status, kTextContentType, body, head_only, extra_headers);
}

// The length of the request head including the empty line that ends it, or npos if
// it has not all arrived. Lines end in CRLF; a bare LF is accepted too (RFC 9112
// section 2.2 allows that leniency).
size_t HeadLength(std::string_view data) {
  for (size_t i = data.find('\n'); i != std::string_view::npos; i = data.find('\n', i + 1)) {
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

// Closing a socket with unread input makes the kernel send RST, and a client that gets
// RST may lose the response it has not read yet (e.g. a 431 sent while it was still
// sending its oversized head). So: half-close, then read and discard until the client
// closes too, `deadline` passes, or kMaxDrainBytes have been read. The caller closes.
void LingeringClose(int fd, absl::Time deadline) {
  ::shutdown(fd, SHUT_WR);
  char buffer[4096];
  size_t drained = 0;
  while (drained < kMaxDrainBytes) {
    const absl::Duration remaining = deadline - absl::Now();
    if (remaining <= absl::ZeroDuration()) {
      DrainNonBlocking(fd);
      return;
    }
    // At least 1 ms: a timeout that rounds to zero would mean "block forever".
    SetReceiveTimeout(fd, std::max(remaining, absl::Milliseconds(1)));
    const ssize_t got = RecvSome(fd, buffer, sizeof(buffer));
    if (got > 0) {
      drained += static_cast<size_t>(got);
      continue;
    }
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) continue;  // deadline
    return;  // end of stream, or an error
  }
}

// For logs: untrusted bytes, escaped and shortened.
std::string Printable(std::string_view text) {
  constexpr size_t kMax = 120;
  std::string out = absl::CHexEscape(text.substr(0, kMax));
  if (text.size() > kMax) out.append("...");
  return out;
}

}  // namespace

HttpServer::HttpServer(HttpServerOptions options, std::function<std::string()> metrics_body,
                       std::function<bool()> healthy)
    : options_(std::move(options)),
      metrics_body_(std::move(metrics_body)),
      healthy_(std::move(healthy)) {
  CHECK(metrics_body_ != nullptr) << "HttpServer needs a metrics_body callback";
  CHECK(healthy_ != nullptr) << "HttpServer needs a healthy callback";
  CHECK_GE(options_.max_concurrent, 1);
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
  started_ = true;
  listener_ = std::move(*listener);
  port_.store(*port, std::memory_order_release);
  const int listen_fd = listener_.get();
  accept_thread_ = std::jthread([this, listen_fd] { AcceptLoop(listen_fd); });
  LOG(INFO) << "metrics HTTP server listening on "
            << (options_.address.empty() ? "*" : options_.address) << ":" << *port;
  return absl::OkStatus();
}

void HttpServer::Stop() {
  std::jthread accept_thread;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    // shutdown(), not close(): the descriptors stay valid (no other thread can be handed
    // the same number while ours still use it), and every blocked accept(), recv() and
    // send() on them returns at once. shutdown() never blocks, so holding mu_ is fine,
    // and holding it keeps each request's fd open (a request deregisters under mu_
    // before closing).
    if (listener_.valid()) ::shutdown(listener_.get(), SHUT_RDWR);
    for (const auto& [id, request] : running_) ::shutdown(request.fd, SHUT_RDWR);
    accept_thread = std::move(accept_thread_);
  }
  // Joined without mu_: the accept loop takes it.
  if (accept_thread.joinable()) accept_thread.join();

  // No new request can start now. Each running one sees its socket shut down and ends.
  std::vector<std::thread> finished;
  {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(this, &HttpServer::NoneRunning));
    finished.swap(finished_);
    if (listener_.valid()) {
      listener_.Reset();
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

void HttpServer::AcceptLoop(int listen_fd) {
  while (true) {
    ReapFinished();
    const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) {
      Dispatch(ScopedFd(fd));
      continue;
    }
    const int error = errno;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) break;  // accept() fails with EINVAL once Stop() shut it down
    }
    switch (error) {
      case EINTR:
      case ECONNABORTED:  // the client gave up while queued
        continue;
      case EMFILE:
      case ENFILE:
      case ENOBUFS:
      case ENOMEM:
        LOG_EVERY_N(WARNING, 100) << "metrics HTTP accept: " << std::strerror(error)
                                  << "; backing off";
        SleepUnlessStopping(kAcceptBackoff);
        continue;
      default:
        // Includes the network errors accept() passes on from a connection (EPROTO,
        // ENETDOWN, EHOSTUNREACH, ...): keep serving.
        LOG_EVERY_N(ERROR, 100) << "metrics HTTP accept: " << std::strerror(error);
        SleepUnlessStopping(kAcceptBackoff);
        continue;
    }
  }
  ReapFinished();
}

void HttpServer::Dispatch(ScopedFd fd) {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;  // closes fd
    if (running_.size() < static_cast<size_t>(options_.max_concurrent)) {
      const uint64_t id = next_id_++;
      const int raw_fd = fd.get();
      try {
        // Started with mu_ held, so the thread's last act (which takes mu_ to
        // deregister) cannot run before it is registered below.
        std::thread thread([this, id, raw_fd] { ServeConnection(id, ScopedFd(raw_fd)); });
        fd.Release();  // the thread owns it now
        running_.emplace(id, Request{std::move(thread), raw_fd});
        return;
      } catch (const std::system_error& e) {
        LOG_EVERY_N(ERROR, 100) << "metrics HTTP: cannot start a request thread: " << e.what();
      }
    }
  }
  // Over the cap (or out of threads): refuse at once, from this thread, without ever
  // blocking the accept loop: the response is tiny and goes out with MSG_DONTWAIT into
  // the new socket's empty send buffer.
  LOG_EVERY_N(WARNING, 100) << "metrics HTTP: busy (limit " << options_.max_concurrent
                            << " requests in flight); answering 503 to " << PeerAddress(fd.get())
                            << " (logged every 100th time)";
  const std::string response = ErrorResponse(503, false, "Retry-After: 1\r\n");
  (void)::send(fd.get(), response.data(), response.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  ::shutdown(fd.get(), SHUT_WR);
  DrainNonBlocking(fd.get());  // fewer RSTs for clients whose request already arrived
}

void HttpServer::ServeConnection(uint64_t id, ScopedFd fd) {
  const absl::Time deadline = absl::Now() + options_.read_deadline;
  const std::string peer = PeerAddress(fd.get());
  SetSendTimeout(fd.get(), options_.send_timeout);

  std::string head;
  std::string response;
  std::string summary;
  char buffer[4096];
  while (true) {
    const size_t length = HeadLength(head);
    if (length != std::string::npos && length <= options_.max_request_head_bytes) {
      response = Respond(std::string_view(head).substr(0, length), &summary);
      break;
    }
    if (head.size() > options_.max_request_head_bytes) {
      response = ErrorResponse(431);
      summary =
          absl::StrCat("request head over ", options_.max_request_head_bytes, " bytes -> 431");
      break;
    }
    // SO_RCVTIMEO bounds one recv(); re-arming it with what is left of the deadline
    // before each one bounds them all, so trickling a byte at a time does not help.
    const absl::Duration remaining = deadline - absl::Now();
    if (remaining <= absl::ZeroDuration()) {
      response = ErrorResponse(408);
      summary = absl::StrCat("no complete request within ",
                             absl::FormatDuration(options_.read_deadline), " -> 408");
      break;
    }
    SetReceiveTimeout(fd.get(), std::max(remaining, absl::Milliseconds(1)));
    // Never read past the limit (+1 byte, to know it was exceeded).
    const size_t want = std::min(sizeof(buffer), options_.max_request_head_bytes + 1 - head.size());
    const ssize_t got = RecvSome(fd.get(), buffer, want);
    if (got > 0) {
      head.append(buffer, static_cast<size_t>(got));
      continue;
    }
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) continue;  // deadline check
    // End of stream or error (including Stop()'s shutdown): nobody to answer.
    summary = got == 0 ? "closed before a complete request" : std::strerror(errno);
    break;
  }

  if (!response.empty()) {
    const SendResult sent = SendAll(fd.get(), response);
    if (sent == SendResult::kOk) {
      LingeringClose(fd.get(), deadline);
    } else {
      // The client is not reading (or gone): no reason to wait for it, just close.
      absl::StrAppend(&summary,
                      sent == SendResult::kTimedOut ? " (send timed out)" : " (send failed)");
    }
  }
  VLOG(1) << "metrics HTTP " << peer << ": " << summary;

  absl::MutexLock lock(&mu_);
  // Deregister before closing, so Stop() never shuts down a descriptor number that
  // has been closed and possibly reused.
  const auto it = running_.find(id);
  CHECK(it != running_.end());
  finished_.push_back(std::move(it->second.thread));
  running_.erase(it);
  fd.Reset();
}

std::string HttpServer::Respond(std::string_view head, std::string* summary) const {
  const std::string_view request_line = head.substr(0, head.find('\n'));
  const std::vector<std::string_view> parts =
      absl::StrSplit(absl::StripSuffix(request_line, "\r"), ' ');
  // request-line = method SP request-target SP HTTP-version, with single spaces.
  if (parts.size() != 3 || parts[0].empty() || parts[1].empty()) {
    *summary = absl::StrCat("malformed request line '", Printable(request_line), "' -> 400");
    return ErrorResponse(400);
  }
  const std::string_view method = parts[0];
  const std::string_view target = parts[1];
  const std::string_view version = parts[2];
  *summary = absl::StrCat(Printable(method), " ", Printable(target), " ", Printable(version));

  if (version != "HTTP/1.1" && version != "HTTP/1.0") {
    const bool http = absl::StartsWith(version, "HTTP/");
    absl::StrAppend(summary, http ? " -> 505" : " -> 400");
    return ErrorResponse(http ? 505 : 400);
  }
  const bool head_only = method == "HEAD";
  if (method != "GET" && !head_only) {
    absl::StrAppend(summary, " -> 405");
    return ErrorResponse(405, false, "Allow: GET, HEAD\r\n");
  }
  const std::string_view path = target.substr(0, target.find('?'));
  if (path == "/metrics") {
    absl::StrAppend(summary, " -> 200");
    return BuildResponse(200, kMetricsContentType, metrics_body_(), head_only);
  }
  if (path == "/healthz") {
    const bool healthy = healthy_();
    absl::StrAppend(summary, healthy ? " -> 200" : " -> 503");
    return BuildResponse(healthy ? 200 : 503, kTextContentType,
                         healthy ? "ok\n" : "not accepting\n", head_only);
  }
  absl::StrAppend(summary, " -> 404");
  return ErrorResponse(404, head_only);
}

void HttpServer::ReapFinished() {
  std::vector<std::thread> finished;
  {
    absl::MutexLock lock(&mu_);
    finished.swap(finished_);
  }
  for (std::thread& thread : finished) thread.join();
}

void HttpServer::SleepUnlessStopping(absl::Duration delay) {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(this, &HttpServer::Stopping), delay);
}

}  // namespace chat::metrics
