// chat/session.h: one client connection, from banner to goodbye.
//
// Defines:
//   SessionOptions - per-connection limits.
//   SessionContext - the shared services a session uses (lobby, names, clock).
//   Session        - a reader thread (login, then chat) and a writer thread (drains the
//                    outbox to the socket), for a client of any Protocol.

#ifndef CHAT_SESSION_H_
#define CHAT_SESSION_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "chat/abuse/address_limits.h"
#include "chat/clock.h"
#include "chat/command.h"
#include "chat/core/lobby.h"
#include "chat/core/renderer.h"
#include "chat/identity/login_throttle.h"
#include "chat/identity/password.h"
#include "chat/identity/registration_limit.h"
#include "chat/identity/store.h"
#include "chat/ignore_list.h"
#include "chat/message.h"
#include "chat/metrics/server_metrics.h"
#include "chat/moderation.h"
#include "chat/motd.h"
#include "chat/name_registry.h"
#include "chat/remote_users.h"
#include "chat/outbox.h"
#include "chat/protocol.h"
#include "chat/rate_limiter.h"
#include "chat/socket.h"
#include "chat/transport/transport.h"

namespace chat {

struct SessionOptions {
  // Longest accepted line, counted without its newline.
  size_t max_line_bytes = 4096;
  // Output a client may fall behind by before it is disconnected (see Outbox).
  size_t max_outbox_bytes = size_t{1} << 20;
  // A client whose socket accepts no data for this long is disconnected. Zero: never.
  absl::Duration send_timeout = absl::Seconds(10);
  // Flood control: a token bucket per client. Zero rate: off.
  double max_msgs_per_sec = 20;
  double burst = 50;
  // Lines dropped in one flood (no line accepted in between) before the client is
  // disconnected. Zero: never disconnect, only drop.
  size_t flood_disconnect_after = 1000;
  // A connection that has not given a valid name this long after connecting is closed.
  // Zero: wait forever.
  absl::Duration login_timeout = absl::Seconds(60);
  // A logged-in client that sends nothing for this long is told and disconnected.
  // Zero: never.
  absl::Duration idle_timeout = absl::ZeroDuration();
  // Log what people say (at INFO). Off by default: chat text is private.
  bool log_message_text = false;
  // People one connection may /ignore at once.
  size_t max_ignored = 100;
  // Password hashes one connection may cause (/register, /password, /unregister, login
  // passwords), per minute; as many at once. Each costs the server a slot and ~19 MiB for
  // ~0.1 s. Zero: no limit.
  double password_ops_per_minute = 6;
};

// SessionContext: services shared by all sessions. Everything pointed to must outlive
// every session.
struct SessionContext {
  Lobby* lobby = nullptr;
  NameRegistry* names = nullptr;
  const Clock* clock = nullptr;
  metrics::ServerMetrics* metrics = nullptr;
  absl::TimeZone time_zone;
  SessionOptions options;
  // The per-address limits in force (for what clients are told).
  AddressLimitsOptions address_limits = AddressLimitsOptions::Disabled();

  // Registered names (--identity_db). Null store: the feature is off, /register says so
  // and every name is free for anyone, as in the base protocol. With a store, the
  // throttle must be set too.
  identity::IdentityStore* identity = nullptr;
  identity::LoginThrottle* login_throttle = nullptr;
  identity::PasswordOptions password_options = identity::PasswordOptions::Interactive();
  // Registrations per address (--max_registrations_per_address). Null: no limit.
  identity::RegistrationLimit* registrations = nullptr;
  // The message of the day shown after login; null or empty: none (the base protocol).
  const Motd* motd = nullptr;
  // Operators and mutes (issue #12); needs `identity` too. Null: moderation is off.
  Moderation* moderation = nullptr;
  // Users of the other instances (--redis): /msg, /reply, /kick and /ban reach a name
  // not connected here through it. Null: this server alone.
  RemoteUsers* remote = nullptr;
};

// Session serves one connected client.
//
// The reader thread does the name prompt, joins the room, turns each line into a
// broadcast, and on end of stream leaves the room. It also enforces the input limits:
// telnet commands are dropped, lines are length-bounded and rate-limited, and the login
// and idle timeouts end connections that say nothing. The writer thread is the only one
// that writes to the socket; everyone else (the room, the reader) queues frames in the
// bounded outbox, so a client that stops reading stalls nobody but itself. When the
// outbox overflows or a send times out, the socket is shut down, which ends the reader's
// recv(), and the reader performs the normal leave.
//
// The session speaks to the client only through its Transport (plain TCP, TLS, ...); the
// reader thread is the transport's reader, the writer thread its writer.
//
// Lifetime: construct, Start(), and destroy only after `on_finished` has run (it runs as
// the reader thread's last act). The destructor joins both threads. The transport (and
// its descriptor) is destroyed only after both threads are done, so the descriptor's
// number cannot be reused while any thread of this session might still touch it.
//
// Public methods are thread-safe.
class Session final : public RoomMember, public Recipient {
 public:
  using FinishedCallback = std::function<void(Session*)>;

  // A connection from a trusted load balancer (--proxy_protocol_from): its first bytes are
  // a PROXY header naming the real client, and only then is the client's address
  // admitted. Reading the header blocks, so it is the reader thread's first act, never
  // the acceptor's.
  struct Proxied {
    // An address key -> its ticket, or the refusal to send the client (bytes as the
    // listener frames them). Called on the reader thread.
    std::function<std::variant<AddressLimits::Ticket, std::string>(const std::string& key)>
        admit;
    absl::Duration header_timeout;  // zero: none
  };

  // `ticket` carries the per-address limits of the client's source address (a default
  // Ticket limits nothing). `protocol` is what the client speaks (null: net-cat). With
  // `proxied`, `ticket` is empty and the reader admits the client once it knows who it is.
  Session(std::unique_ptr<Transport> transport, const SessionContext& context,
          FinishedCallback on_finished, AddressLimits::Ticket ticket = {},
          std::unique_ptr<Protocol> protocol = nullptr,
          std::optional<Proxied> proxied = std::nullopt);
  ~Session() override;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Session::Start() sends the banner and starts both threads.
  void Start();

  // Session::SayGoodbye() queues `farewell` (raw bytes) behind whatever is pending and
  // refuses all later output. The server calls it on every session before stopping any,
  // so nobody receives the leave notices of a shutdown.
  void SayGoodbye(std::string_view farewell);

  // Session::Stop() begins a graceful close: output is closed (see SayGoodbye); once the
  // writer has flushed it shuts down the sending side, and the reader keeps reading (and
  // discarding) until the client closes. Closing earlier, with the client's input still
  // unread, would make the kernel answer with a reset that destroys the goodbye in the
  // client's receive buffer. The server calls Abort() on those still open after its
  // grace period.
  void Stop() ABSL_LOCKS_EXCLUDED(socket_mu_);

  // Session::Abort() drops the connection now, discarding queued output.
  void Abort() ABSL_LOCKS_EXCLUDED(socket_mu_);

  // RoomMember (called with the room locked; never blocks).
  std::string DisplayName() const override { return name(); }
  std::string ListedName() const override ABSL_LOCKS_EXCLUDED(social_mu_);
  void OnFellBehind() override;
  // Recipient (called with the registry locked; never blocks).
  void DeliverPrivate(EventPtr event) override;
  UserInfo Describe() const override ABSL_LOCKS_EXCLUDED(social_mu_);
  // An operator's /kick or /ban (called with the registry locked; never blocks): says
  // `goodbye`, refuses all later output and ends the session like a slow reader's.
  void Kick(std::string goodbye) override ABSL_LOCKS_EXCLUDED(socket_mu_);

  // "1.2.3.4:5678" of the client, for logs.
  const std::string& peer() const { return peer_; }

  // Complete lines read from the client so far, including dropped ones. A test can wait
  // on it to know the session has acted on everything it sent.
  uint64_t lines_received() const { return lines_received_.load(std::memory_order_acquire); }
  // The accepted name, or empty before login.
  std::string name() const ABSL_LOCKS_EXCLUDED(name_mu_);

 private:
  // Why the session ends: the metrics' reasons, so the two cannot drift apart.
  using EndReason = metrics::DisconnectReason;
  // For logs: "client closed the connection", ...
  static const char* Describe(std::optional<EndReason> reason);

  void ReadLoop();
  void WriteLoop();
  // Sets the receive timeout for the phase the session is in (login deadline or idle timeout).
  // Returns false if the login deadline has already passed.
  bool ArmReceiveTimeout();
  // Called when Receive() timed out; true if the session must end.
  bool OnReceiveTimeout();
  // Applies flood control to one line; false if the line must be dropped.
  bool AdmitLine();
  void HandleLine(const InputLine& line);
  // Handles one line at the name prompt; true once the client is in the room.
  bool HandleNameLine(const InputLine& line);
  void HandleChatLine(const InputLine& line);
  // Carries out a parsed line (session_commands.cc). Appends the client's reply to
  // `reply`; returns false when no fresh prompt should follow it.
  bool RunCommand(const Command& command, std::vector<Frame>& reply);
  void Rename(std::string_view new_name, std::vector<Frame>& reply);
  // Returns false if the move happened (the new room's welcome carries the prompt).
  bool MoveToRoom(std::string_view room_name, std::vector<Frame>& reply);
  void SendPrivate(std::string_view recipient, std::string_view text, std::vector<Frame>& reply);
  // The everyone-commands of issue #12 (session_commands.cc).
  void Whois(std::string_view who, std::vector<Frame>& reply);
  void Ignore(std::string_view who, std::vector<Frame>& reply);
  void Unignore(std::string_view who, std::vector<Frame>& reply);
  void ListIgnored(std::vector<Frame>& reply);
  // A client logged in to its registered account keeps its /ignore list there: restored
  // at its next password login, bounded by max_ignored. SaveIgnore is false if the
  // account's list is full.
  bool SavesIgnores();
  bool SaveIgnore(std::string_view name);
  void RestoreIgnores(std::string_view account_key);
  void SetAway(std::string_view text, std::vector<Frame>& reply) ABSL_LOCKS_EXCLUDED(social_mu_);
  void ReplyToLast(std::string_view text, std::vector<Frame>& reply)
      ABSL_LOCKS_EXCLUDED(social_mu_);
  // Whether this client's /whois shows addresses: operators only.
  bool MaySeeAddresses() { return IsOperator(); }
  // The writer shows a private message: /reply answers its sender from now on.
  void NotePrivateFrom(const Event& event) ABSL_LOCKS_EXCLUDED(social_mu_);
  void LeaveRoom();
  // The refusal for a name claim's outcome (NameRegistry::TryClaim), if it failed.
  static std::optional<std::string> ClaimRefusal(ClaimResult result, std::string_view name);
  // Tells the other servers (--redis) what they may learn of this client now: after
  // login, /name, /join, /away and registration changes. Blocks on the network.
  void PublishPresence();
  // Puts the client in the default room as `name` (already claimed).
  void CompleteLogin(std::string_view name);

  // Registered names (session_identity.cc). All on the reader thread, holding no lock:
  // hashing a password takes ~0.1 s, and blocks only this client.
  enum class SecretStep {
    kNone,
    kLoginPassword,      // the password of login_candidate_
    kRegisterPassword,   // /register: the new password
    kRegisterRepeat,     //            and again
    kOldPassword,        // /password: the current one
    kNewPassword,        //            the new one
    kNewRepeat,          //            and again
    kUnregisterPassword, // /unregister: the current one
  };
  // A registered name was given at the name prompt: asks for its password, unless the
  // login throttle says this address must wait (or is locked out).
  void AskLoginPassword(std::string name);
  // After a wrong password, a different name must be typed twice before it is used, so
  // a password typed again at the name prompt never becomes a public name. Returns the
  // refusal for the first time.
  std::optional<std::string> ConfirmNameAfterWrongPassword(std::string_view candidate);
  // A /register, /password or /unregister dropped by flood control: the lines its
  // passwords would have been are discarded unread (DiscardTypedAhead), so passwords typed
  // ahead never reach the room as chat. Likewise the line after a name dropped at the
  // name prompt (with registered names): it may be that name's password.
  void NoteDroppedDialogue(std::string_view text);
  bool DiscardTypedAhead(const InputLine& line);
  // Handles a line typed at a secret prompt (or a line marked secret by the client).
  void HandleSecretLine(const InputLine& line);
  // Runs /register, /password, /unregister; false when no chat prompt should follow.
  bool RunIdentityCommand(const Command& command, std::vector<Frame>& reply);
  // Asks for a password: the protocol's no-echo request, then the prompt.
  void AskSecret(SecretStep step);
  // Ends a password dialogue: echo back on, the held password wiped.
  std::vector<Frame> EndSecret();
  // Checks `password` against `account_key`'s hash under the login throttle; on failure
  // appends the refusal (and, when locked out, ends the session).
  // On success, `stored_hash` (if given) is set to the account's hash as stored now.
  bool CheckPassword(std::string_view account_key, std::string_view password,
                     std::vector<Frame>& reply, std::string* stored_hash = nullptr);
  // Takes one of this connection's password operations (see
  // SessionOptions::password_ops_per_minute); if none is left, appends the refusal.
  bool TakePasswordOp(std::vector<Frame>& reply);
  // After a password login has claimed its name: why the login must not stand, if the
  // account `key` no longer has the hash the password was verified against.
  std::optional<std::string> AccountChangedSince(std::string_view key,
                                                 std::string_view verified_hash);
  // Why `name` may not be taken by this client, if it is someone else's registered name.
  std::optional<std::string> RegisteredToSomeoneElse(std::string_view name);

  // Moderation (session_moderation.cc), on the reader thread, holding no lock.
  // Runs /op, /deop, /kick, /ban, /unban, /bans, /mute, /unmute, /topic.
  bool RunModerationCommand(const Command& command, std::vector<Frame>& reply);
  // Whether this client is an operator now: logged in with its registered name's
  // password, and the name is in --operators or marked in the store. Asked afresh each
  // time, so a /deop takes effect at once.
  bool IsOperator();
  // Whether the registered name with `key` is an operator (flag or store).
  bool IsOperatorKey(std::string_view key);
  // /kick of a name not connected here (context_.remote is set); true, as
  // RunModerationCommand returns.
  bool KickElsewhere(std::string_view who, const std::string& reason, const std::string& me,
                     std::vector<Frame>& reply);
  // The refusal for a line that would speak while muted, if this client is muted.
  std::optional<std::string> MutedRefusal();
  // Looks up a ban on this client's name key (empty: none yet) or address; if there is
  // one, tells the client and ends the session. True if banned.
  bool RefuseIfBanned(std::string_view name_key);
  // Appends the topic of `room` (if it has one) as a reply line.
  void AppendTopic(std::string_view room, std::vector<Frame>& reply);
  // Keeps Describe()'s `registered` in step with the name and the account, and publishes
  // the change to the other servers (PublishPresence).
  void NoteRegistered();

  // Queues the client's own output (replies, prompts); overflow ends the session.
  void Enqueue(std::vector<Frame> frames);
  // The writer's send: the transport's Send plus the byte count.
  SendResult Send(std::string_view bytes);
  // This client as a joiner of rooms.
  Joiner AsJoiner();
  // Applies the per-address line and byte limits to a sanitised line; false if dropped.
  bool AdmitFromAddress(size_t bytes);
  // Enters the room of `entry` (after a login or a /join): the writer is told to follow
  // it, saying `note` first.
  void Enter(RoomEntry entry, std::string note);
  void CountDisconnect(std::optional<EndReason> reason);
  void OnPushResult(Outbox::PushResult result);

  // Records why the session ends (first reason wins) and shuts the socket down in
  // `how` (SHUT_RD, SHUT_RDWR), waking whichever thread is blocked on it.
  void EndWith(EndReason reason, int how) ABSL_LOCKS_EXCLUDED(socket_mu_);
  std::optional<EndReason> end_reason() const ABSL_LOCKS_EXCLUDED(socket_mu_);

  // Greet() logs the connection, counts it, queues the banner (unless a ban check comes
  // first) and starts the writer.
  void Greet();
  // AdmitProxied() reads the PROXY header, takes the client's address from it and asks
  // for its admission; false (the client told why, if it may know) ends the session.
  bool AdmitProxied();

  const SessionContext& context_;
  const FinishedCallback on_finished_;
  const std::optional<Proxied> proxied_;
  // The client for logs, and its key for per-address limits (chat/abuse/address_key.h).
  // Behind a trusted balancer, the reader sets both from the PROXY header before the
  // writer starts; read-only from then on.
  std::string peer_;
  std::string address_key_;
  // The limits of that address, shared with its other connections. Reader thread only.
  AddressLimits::Ticket ticket_;
  bool address_flood_ = false;  // lines are being dropped by the per-address limit
  // Reset (closing the descriptor) by the reader as its last act, under socket_mu_, after
  // the writer is joined; until then only read, so the threads use it unlocked.
  std::unique_ptr<Transport> transport_;
  // Set when the transport has output of its own (a TLS handshake reply): the writer
  // calls Send({}) for it.
  std::atomic<bool> transport_output_pending_ = false;
  // Unique among sessions; marks this client's own events in room logs.
  const uint64_t id_;
  // Shared with the rooms this client is in: they wake the writer through it.
  const std::shared_ptr<Outbox> outbox_;

  // Guards closing the transport against concurrent Shutdown() from other threads.
  mutable absl::Mutex socket_mu_;
  bool socket_open_ ABSL_GUARDED_BY(socket_mu_) = true;
  std::optional<EndReason> end_reason_ ABSL_GUARDED_BY(socket_mu_);

  // Written by the reader at login, read by the writer for prompts and by logs.
  mutable absl::Mutex name_mu_;
  std::string name_ ABSL_GUARDED_BY(name_mu_);

  // What others may learn of this client (/whois, /users, /msg) and whom /reply answers.
  // A leaf lock: taken under the registry's or a room's lock (Describe, ListedName).
  mutable absl::Mutex social_mu_;
  const absl::Time connected_at_;
  absl::Time last_line_at_ ABSL_GUARDED_BY(social_mu_) = absl::InfinitePast();
  std::string room_name_ ABSL_GUARDED_BY(social_mu_);
  std::string away_ ABSL_GUARDED_BY(social_mu_);  // empty: not away
  // The sender of the last private message shown (id 0 and no name: none yet), as it was
  // called then. Another instance's user has id 0 and, if its instance said, that
  // instance and its session there.
  struct PrivateSender {
    uint64_t id = 0;
    std::string name;
    std::string instance;
    uint64_t remote_session = 0;
  };
  PrivateSender last_private_from_ ABSL_GUARDED_BY(social_mu_);
  // The name worn is the account this client logged in to (for /whois).
  std::atomic<bool> registered_ = false;
  // Whom this client ignores (/ignore): changed by the reader, read by the writer.
  IgnoreList ignored_;

  std::atomic<uint64_t> lines_received_ = 0;
  // Set by Stop(): the server is closing; input is read and discarded until the client
  // closes or the grace period ends, so the goodbye is not destroyed by a reset.
  std::atomic<bool> stopping_ = false;


  // Used only by the reader thread (and once by the writer, for its renderer).
  const std::unique_ptr<Protocol> protocol_;
  RateLimiter limiter_;
  RateLimiter password_ops_;  // hashes this connection may cause
  size_t flood_drops_ = 0;  // lines dropped since the last one admitted
  bool in_room_ = false;
  // The room the client is in, once logged in, and its place there. Shared with the
  // lobby, which may remove the room (e.g. when we leave it last) while we hold it.
  std::shared_ptr<Room> room_;
  std::shared_ptr<Membership> membership_;
  bool stop_reading_ = false;  // the reader decided to end the session
  // Registered names (reader thread only).
  SecretStep secret_step_ = SecretStep::kNone;
  std::string login_candidate_;   // the registered name whose password is asked
  // After a wrong password at login: that name's key, and another name's key typed once
  // at the name prompt since (see ConfirmNameAfterWrongPassword).
  std::string wrong_password_for_;
  std::string unconfirmed_name_;
  size_t typed_ahead_to_discard_ = 0;
  std::string secret_held_;       // the first typing of a new password; wiped after use
  std::string authenticated_key_; // the account this client proved it owns, if any
  // That account's password hash when the client proved it (or set it): changed since, the
  // proof no longer lets the client take the name back without the password.
  std::string authenticated_hash_;
  std::chrono::steady_clock::time_point login_deadline_;
  bool idle_timeout_armed_ = false;

  // Declared last: destroyed (joined) first, before the members the threads use.
  std::jthread writer_;
  std::jthread reader_;
};

}  // namespace chat

#endif  // CHAT_SESSION_H_
