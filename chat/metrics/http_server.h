// chat/metrics/http_server.h: a tiny HTTP/1.x server for /metrics and /healthz.
//
// Defines:
//   HttpServerOptions - where to listen, and the limits that keep hostile or broken
//                       clients from tying it up.
//   HttpServer        - accept loop plus a bounded number of one-request threads.
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
  // Requests served at once. A connection beyond this gets 503 from the accept loop
  // without a thread being started.
  int max_concurrent = 4;
  // The request head (request line and headers) may not be larger; else 431.
  size_t max_request_head_bytes = 8192;
  // Total time a client gets to send its request head, however slowly it trickles in
  // (slowloris), and to close after the response. Else 408 and the connection closes.
  absl::Duration read_deadline = absl::Seconds(5);
  // SO_SNDTIMEO for the response: a client that does not read cannot hold a slot.
  absl::Duration send_timeout = absl::Seconds(5);
};

// HttpServer serves:
//   GET /metrics  200, Content-Type text/plain; version=0.0.4; charset=utf-8, with
//                 the body `metrics_body()` returns;
//   GET /healthz  200 "ok\n" while `healthy()` returns true, else 503 "not accepting\n";
// HEAD for both (headers only); 405 for other methods; 404 for any other path; 400 for
// a malformed request; 505 for an HTTP version other than 1.0 and 1.1.
// Query strings are ignored on the two known paths.
//
// Example:
//   HttpServer http({.port = 9090}, [&] { return metrics.RenderPrometheus(); },
//                   [&] { return server.accepting(); });
//   if (absl::Status s = http.Start(); !s.ok()) ...
//   ...
//   http.Stop();
//
// Thread-safe. The callbacks run on request threads, possibly several at once, and
// must be thread-safe themselves; no lock of HttpServer is held while they run.
class HttpServer {
 public:
  HttpServer(HttpServerOptions options, std::function<std::string()> metrics_body,
             std::function<bool()> healthy);
  // Stops (see Stop()).
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // HttpServer::Start() binds the socket and starts the accept thread. Fails if the
  // address cannot be bound, or if called twice.
  absl::Status Start() ABSL_LOCKS_EXCLUDED(mu_);

  // HttpServer::Stop() stops accepting, cuts off requests in flight (shutdown(2) on
  // every socket, which wakes their blocked reads and writes), and joins every thread.
  // Idempotent; safe before Start().
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);

  // The bound port, once Start() succeeded; else 0.
  int port() const { return port_.load(std::memory_order_acquire); }

  // Requests being served right now.
  int in_flight() const ABSL_LOCKS_EXCLUDED(mu_);

  // HttpServer::AwaitInFlight() waits up to `timeout` until exactly `n` requests are in
  // flight; true if that happened. For tests and diagnostics.
  bool AwaitInFlight(int n, absl::Duration timeout) const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // Runs on accept_thread_ until Stop() shuts `listen_fd` down.
  void AcceptLoop(int listen_fd) ABSL_LOCKS_EXCLUDED(mu_);
  // Registers `fd` and starts a request thread for it, unless stopping or at the cap:
  // then it answers 503 itself, without blocking, and closes.
  void Dispatch(ScopedFd fd) ABSL_LOCKS_EXCLUDED(mu_);
  // One request, start to finish, on its own thread; then deregisters itself.
  void ServeConnection(uint64_t id, ScopedFd fd) ABSL_LOCKS_EXCLUDED(mu_);
  // Builds the complete response to a request head (without its terminating empty
  // line); `summary` gets "METHOD target -> status" for the log.
  std::string Respond(std::string_view head, std::string* summary) const;
  // Joins request threads that have finished.
  void ReapFinished() ABSL_LOCKS_EXCLUDED(mu_);
  // Sleeps up to `delay` unless Stop() is called meanwhile.
  void SleepUnlessStopping(absl::Duration delay) ABSL_LOCKS_EXCLUDED(mu_);

  bool Stopping() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; }
  bool NoneRunning() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return running_.empty(); }

  const HttpServerOptions options_;
  const std::function<std::string()> metrics_body_;
  const std::function<bool()> healthy_;
  std::atomic<int> port_{0};

  mutable absl::Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // The listening socket; shutdown(2) by Stop() to wake accept(), closed after the
  // accept thread is joined.
  ScopedFd listener_ ABSL_GUARDED_BY(mu_);
  // Request threads by id, with their sockets, so Stop() can shut the sockets down. A
  // thread moves itself to finished_ as its last act; ReapFinished() joins it.
  struct Request {
    std::thread thread;
    int fd;
  };
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<uint64_t, Request> running_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> finished_ ABSL_GUARDED_BY(mu_);
  // Started by Start(); Stop() moves it out under mu_ and joins it without the lock.
  std::jthread accept_thread_ ABSL_GUARDED_BY(mu_);
};

}  // namespace chat::metrics

#endif  // CHAT_METRICS_HTTP_SERVER_H_
