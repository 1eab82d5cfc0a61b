// chat/metrics/http_server.h: a tiny HTTP/1.x server for /metrics and /healthz.
//
// Defines:
//   HttpServerOptions - where to listen, and the limits that keep hostile or broken
//                       clients from tying it up.
//   HttpServer        - one intake thread that owns every socket, plus a bounded number
//                       of threads that only render the /metrics body.
//
// Deliberately small: one request per connection (always "Connection: close"), GET and
// HEAD only, no request bodies, no keep-alive, no TLS. It knows nothing of the chat
// server; the two handlers are callbacks.

#ifndef CHAT_METRICS_HTTP_SERVER_H_
#define CHAT_METRICS_HTTP_SERVER_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>  // std::thread, std::jthread
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "chat/socket.h"

namespace chat::metrics {

struct HttpServerOptions {
  // Numeric address to bind. Loopback by default, so metrics are not exposed to the
  // network by accident; "" means every interface.
  std::string address = "127.0.0.1";
  // 0 picks a free port; HttpServer::port() tells which.
  int port = 0;
  int listen_backlog = 16;
  // /metrics bodies rendered at once (each on its own thread). A complete /metrics
  // request beyond this gets 503 "busy" (with Retry-After) at once, without a thread.
  // /healthz and every error answer never need a slot.
  int max_concurrent = 4;
  // Connections held by the intake thread: still sending their request head, being
  // answered, or closing. When a new connection would exceed this, the OLDEST one is
  // answered 503 "busy" and closed: a flood of idle connections then only pushes out
  // connections older than itself, never a prober that just sent its request.
  int max_pending = 64;
  // The request head (request line and headers) may not be larger; else 431.
  size_t max_request_head_bytes = 8192;
  // Total time a client gets to send its request head, however slowly it trickles in
  // (slowloris), and to close after the response. Else 408 and the connection closes.
  absl::Duration read_deadline = absl::Seconds(5);
  // Total time a client gets to take the whole response once it is ready; a client that
  // does not read (or reads a trickle) is then closed.
  absl::Duration send_timeout = absl::Seconds(5);
};

// HttpServer serves:
//   GET /metrics  200, Content-Type text/plain; version=0.0.4; charset=utf-8, with
//                 the body `metrics_body()` returns;
//   GET /healthz  200 "ok\n" while `healthy()` returns true, else 503 "not accepting\n"
//                 (or, if given, 503 with what `unhealthy_reason()` says: "redis unavailable\n");
// HEAD for both (headers only); 405 for other methods; 404 for any other path; 400 for
// a malformed request; 505 for an HTTP version other than 1.0 and 1.1; 408 and 431 as
// HttpServerOptions says. Overload is 503 with body "busy\n" and "Retry-After: 1", so it
// is never mistaken for the "not accepting" of shutdown; /healthz is never busy.
// Query strings are ignored on the two known paths.
//
// How: one intake thread owns the listener and every connection until it is closed,
// all non-blocking, in a poll() loop: it reads request heads (enforcing the size limit
// and the deadline), answers everything but /metrics itself (tiny responses, sent
// without blocking), writes every response and lingers before closing. Only a complete
// /metrics request takes a slot: a thread renders the body and hands the connection
// back. So an idle or slow client costs a buffer in the intake, never a thread or a
// slot, and /healthz answers the truth however many such clients there are.
//
// Example:
//   HttpServer http({.port = 9090}, [&] { return metrics.RenderPrometheus(); },
//                   [&] { return server.accepting(); });
//   if (absl::Status s = http.Start(); !s.ok()) ...
//   ...
//   http.Stop();
//
// Thread-safe. `metrics_body` runs on request threads, possibly several at once, and
// must be thread-safe. `healthy` runs on the intake thread and must be quick and never
// block (a mutex held briefly is fine). No lock of HttpServer is held while they run.
class HttpServer {
 public:
  HttpServer(HttpServerOptions options, std::function<std::string()> metrics_body,
             std::function<bool()> healthy,
             std::function<std::string()> unhealthy_reason = nullptr);
  // Stops (see Stop()).
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // HttpServer::Start() binds the socket and starts the intake thread. Fails if the
  // address cannot be bound, or if called twice.
  absl::Status Start() ABSL_LOCKS_EXCLUDED(mu_);

  // HttpServer::Stop() wakes the intake thread (an eventfd), which closes the listener
  // and every connection, unanswered or not; waits for /metrics bodies being rendered
  // (the callback cannot be interrupted) and joins every thread. Idempotent; safe
  // before Start().
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);

  // The bound port, once Start() succeeded; else 0.
  int port() const { return port_.load(std::memory_order_acquire); }

  // Requests holding a slot right now: /metrics bodies being rendered.
  int in_flight() const ABSL_LOCKS_EXCLUDED(mu_);

  // HttpServer::AwaitInFlight() waits up to `timeout` until exactly `n` requests are in
  // flight; true if that happened. For tests and diagnostics.
  bool AwaitInFlight(int n, absl::Duration timeout) const ABSL_LOCKS_EXCLUDED(mu_);

  // Connections the intake thread holds (see HttpServerOptions::max_pending), as of the
  // end of its last round.
  int pending() const ABSL_LOCKS_EXCLUDED(mu_);

  // HttpServer::AwaitPending() waits up to `timeout` until exactly `n` connections are
  // pending; true if that happened. For tests and diagnostics.
  bool AwaitPending(int n, absl::Duration timeout) const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // One connection and where it is in its life; defined in http_server.cc.
  struct Connection;
  using Pending = std::vector<std::unique_ptr<Connection>>;
  // What a complete request head calls for.
  struct Answer {
    std::string response;  // empty if `metrics`
    bool metrics = false;  // needs metrics_body_(), on a request thread
    bool head_only = false;
  };

  // Runs on intake_thread_ until Stop(); owns `listener` and every connection.
  // `wake_fd` is wake_, valid until this thread is joined.
  void IntakeLoop(ScopedFd listener, int wake_fd) ABSL_LOCKS_EXCLUDED(mu_);
  // Accepts what is waiting (at most max_pending at a time); false if accept() failed
  // with a resource error and should pause.
  bool AcceptSome(int listen_fd, Pending& pending) ABSL_LOCKS_EXCLUDED(mu_);
  // Adds `connection` to `pending`, making room first if it is full.
  void Admit(Pending& pending, std::unique_ptr<Connection> connection);
  // Makes room for `newcomer` in a full `pending`: closes a connection that has been
  // answered and is only lingering (possibly `newcomer` itself), else the oldest.
  void MakeRoom(Pending& pending, std::unique_ptr<Connection>& newcomer);
  // Does what `*slot` is ready for (reading, writing, lingering) and enforces its
  // deadlines; may answer it, close it (`*slot` stays with an invalid fd) or hand it to
  // a request thread (`*slot` becomes null).
  void Advance(std::unique_ptr<Connection>& slot, bool ready, absl::Time now)
      ABSL_LOCKS_EXCLUDED(mu_);
  // A complete head has arrived: answer it, or start a request thread for /metrics.
  void OnHead(std::unique_ptr<Connection>& slot, size_t head_length, absl::Time now)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Queues `response` and starts the send deadline; Advance() then sends it.
  void StartWriting(Connection& connection, std::string response, absl::Time now) const;
  // Renders /metrics on its own thread, then hands the connection back to the intake.
  void Render(uint64_t id, std::unique_ptr<Connection> connection) ABSL_LOCKS_EXCLUDED(mu_);
  // Builds the answer to a request head (without its terminating empty line); `summary`
  // gets "METHOD target -> status" for the log.
  Answer Respond(std::string_view head, std::string* summary) const;
  // Joins request threads that have finished.
  void ReapFinished() ABSL_LOCKS_EXCLUDED(mu_);
  // Makes the intake thread's poll() return. Never blocks.
  void Wake() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  bool NoneRunning() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return running_.empty(); }

  const HttpServerOptions options_;
  const std::function<std::string()> metrics_body_;
  const std::function<bool()> healthy_;
  const std::function<std::string()> unhealthy_reason_;  // may be null
  std::atomic<int> port_{0};

  mutable absl::Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Non-blocking eventfd: Stop() and finishing request threads write it to wake the
  // intake thread's poll(). Closed by Stop() once no thread can write it.
  ScopedFd wake_ ABSL_GUARDED_BY(mu_);
  // Request threads by id. A thread moves itself to finished_ as its last act;
  // ReapFinished() joins it.
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<uint64_t, std::thread> running_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> finished_ ABSL_GUARDED_BY(mu_);
  // Connections whose /metrics response is rendered, on their way back to the intake.
  Pending rendered_ ABSL_GUARDED_BY(mu_);
  // The intake thread's connection count, published for pending()/AwaitPending().
  int pending_count_ ABSL_GUARDED_BY(mu_) = 0;
  // Started by Start(); Stop() moves it out under mu_ and joins it without the lock.
  std::jthread intake_thread_ ABSL_GUARDED_BY(mu_);
};

}  // namespace chat::metrics

#endif  // CHAT_METRICS_HTTP_SERVER_H_
