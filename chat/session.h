// chat/session.h: one client connection, from banner to goodbye.
//
// Defines:
//   SessionOptions - per-connection limits.
//   SessionContext - the shared services a session uses (room, names, clock).
//   Session        - a reader thread (login, then chat) and a writer thread (drains the
//                    outbox to the socket).

#ifndef CHAT_SESSION_H_
#define CHAT_SESSION_H_

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "chat/clock.h"
#include "chat/line_framer.h"
#include "chat/name_registry.h"
#include "chat/outbox.h"
#include "chat/room.h"
#include "chat/socket.h"

namespace chat {

struct SessionOptions {
  // Longest accepted line, counted without its newline.
  size_t max_line_bytes = 4096;
  // Output a client may fall behind by before it is disconnected (see Outbox).
  size_t max_outbox_bytes = size_t{1} << 20;
  // A client whose socket accepts no data for this long is disconnected. Zero: never.
  absl::Duration send_timeout = absl::Seconds(10);
};

// SessionContext: services shared by all sessions. Everything pointed to must outlive
// every session.
struct SessionContext {
  Room* room = nullptr;
  NameRegistry* names = nullptr;
  const Clock* clock = nullptr;
  absl::TimeZone time_zone;
  SessionOptions options;
};

// Session serves one connected client.
//
// The reader thread does the name prompt, joins the room, turns each line into a
// broadcast, and on end of stream leaves the room. The writer thread is the only one
// that writes to the socket; everyone else (the room, the reader) queues frames in the
// bounded outbox, so a client that stops reading stalls nobody but itself. When the
// outbox overflows or a send times out, the socket is shut down, which ends the reader's
// recv(), and the reader performs the normal leave.
//
// Lifetime: construct, Start(), and destroy only after `on_finished` has run (it runs as
// the reader thread's last act). The destructor joins both threads. The descriptor is
// closed only after both threads are done, so its number cannot be reused while any
// thread of this session might still touch it.
//
// Public methods are thread-safe.
class Session final : public Participant {
 public:
  using FinishedCallback = std::function<void(Session*)>;

  Session(ScopedFd fd, const SessionContext& context, FinishedCallback on_finished);
  ~Session() override;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Session::Start() sends the banner and starts both threads.
  void Start();

  // Session::Stop() begins a graceful close: `farewell` (raw bytes) is queued behind
  // whatever is pending, nothing more is accepted, and the reader is woken. The
  // connection closes once the writer has flushed, or after send_timeout.
  void Stop(std::string_view farewell) ABSL_LOCKS_EXCLUDED(socket_mu_);

  // Session::Abort() drops the connection now, discarding queued output.
  void Abort() ABSL_LOCKS_EXCLUDED(socket_mu_);

  // Participant (called with the room locked; never blocks).
  void DeliverEvent(const SharedText& line) override;
  void DeliverWelcome(const std::vector<SharedText>& history) override;

  // "1.2.3.4:5678" of the client, for logs.
  const std::string& peer() const { return peer_; }
  // The accepted name, or empty before login.
  std::string name() const ABSL_LOCKS_EXCLUDED(name_mu_);

 private:
  enum class EndReason { kNone, kPeerClosed, kReadError, kSlowReader, kSendFailed, kStopped };

  void ReadLoop();
  void WriteLoop();
  // Handles one line at the name prompt; true once the client is in the room.
  bool HandleNameLine(const LineFramer::Line& line);
  void HandleChatLine(const LineFramer::Line& line);
  void LeaveRoom();

  // Queues the client's own output (replies, prompts); overflow ends the session.
  void Enqueue(std::vector<Frame> frames);
  void OnPushResult(Outbox::PushResult result);

  // Records why the session ends (first reason wins) and shuts the socket down in
  // `how` (SHUT_RD, SHUT_RDWR), waking whichever thread is blocked on it.
  void EndWith(EndReason reason, int how) ABSL_LOCKS_EXCLUDED(socket_mu_);
  EndReason end_reason() const ABSL_LOCKS_EXCLUDED(socket_mu_);

  const SessionContext& context_;
  const FinishedCallback on_finished_;
  const std::string peer_;
  ScopedFd fd_;
  Outbox outbox_;

  // Guards closing the descriptor against concurrent shutdown() from other threads.
  mutable absl::Mutex socket_mu_;
  bool socket_open_ ABSL_GUARDED_BY(socket_mu_) = true;
  EndReason end_reason_ ABSL_GUARDED_BY(socket_mu_) = EndReason::kNone;

  // Written by the reader at login, read by the writer for prompts and by logs.
  mutable absl::Mutex name_mu_;
  std::string name_ ABSL_GUARDED_BY(name_mu_);

  // Used only by the reader thread.
  LineFramer framer_;
  bool in_room_ = false;

  // Declared last: destroyed (joined) first, before the members the threads use.
  std::jthread writer_;
  std::jthread reader_;
};

}  // namespace chat

#endif  // CHAT_SESSION_H_
