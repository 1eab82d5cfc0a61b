#include "chat/session.h"

#include <errno.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "chat/abuse/address_key.h"
#include "chat/message.h"
#include "chat/netcat/protocol.h"
#include "chat/name.h"
#include "chat/sanitize.h"
#include "chat/transport/proxy_header.h"
#include "glog/logging.h"

namespace chat {
namespace {

// Reads this much per recv(); lines may be longer, the framer reassembles them.
constexpr size_t kReadChunkBytes = 4 * 1024;
// The writer sends in chunks of about this size, so a long history replay never needs one
// contiguous buffer of its full size.
constexpr size_t kWriteChunkBytes = 16 * 1024;
// Write buffer capacity a session keeps while its writer sleeps.
constexpr size_t kKeptWriteBufferBytes = 4 * 1024;

// Shared by every connection: the banner is the same for all.
const SharedText& BannerText() {
  static const SharedText* const text =
      new SharedText(MakeShared(std::string(absl::StripSuffix(kBanner, "\n"))));
  return *text;
}

// The words of a line formatted for net-cat (see message.h), for a notice.
std::string Words(std::string_view line) {
  return std::string(absl::StripSuffix(absl::StripPrefix(line, "\n"), "\n"));
}

// Events the writer reads from a room log per look, so a long replay or backlog is sent
// in bounded pieces.
constexpr size_t kEventsPerRead = 256;


uint64_t NextSessionId() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

Session::Session(std::unique_ptr<Transport> transport, const SessionContext& context,
                 FinishedCallback on_finished, AddressLimits::Ticket ticket,
                 std::unique_ptr<Protocol> protocol, std::optional<Proxied> proxied)
    : context_(context),
      on_finished_(std::move(on_finished)),
      proxied_(std::move(proxied)),
      peer_(PeerAddress(transport->fd())),
      address_key_(PeerAddressKey(transport->fd())),
      ticket_(std::move(ticket)),
      transport_(std::move(transport)),
      id_(NextSessionId()),
      outbox_(std::make_shared<Outbox>(context.options.max_outbox_bytes)),
      connected_at_(context.clock->Now()),
      ignored_(context.options.max_ignored),
      protocol_(protocol != nullptr
                    ? std::move(protocol)
                    : std::make_unique<NetcatProtocol>(context.options.max_line_bytes)),
      limiter_(context.options.max_msgs_per_sec, context.options.burst, context.clock->Now()),
      password_ops_(context.options.password_ops_per_minute / 60,
                    std::max(1.0, context.options.password_ops_per_minute),
                    context.clock->Now()) {}

Session::~Session() {
  // Normally both threads have finished (on_finished ran); joining here also covers a
  // session destroyed without Start() having completed its course.
  if (reader_.joinable()) reader_.join();
  if (writer_.joinable()) writer_.join();
}

void Session::Start() {
  login_deadline_ = std::chrono::steady_clock::now() +
                    absl::ToChronoNanoseconds(context_.options.login_timeout);
  if (context_.options.send_timeout > absl::ZeroDuration()) {
    transport_->SetSendTimeout(context_.options.send_timeout);
  }
  SetNoDelay(transport_->fd());  // fails harmlessly on socketpairs
  // Before the threads start: the reader calls it, and the writer answers it.
  transport_->SetOnOutputPending([this] {
    transport_output_pending_.store(true, std::memory_order_release);
    outbox_->Wake();
  });
  // Behind a balancer, who the client is comes first (ReadLoop).
  if (!proxied_.has_value()) Greet();
  reader_ = std::jthread([this] { ReadLoop(); });
}

void Session::Greet() {
  LOG(INFO) << "connect " << peer_ << " over " << transport_->kind();
  context_.metrics->connected_clients.Increment();
  // With registered names, the reader first checks the address for a ban (a store
  // lookup, which must not delay the accept loop) and greets the client only if none.
  if (context_.identity == nullptr) {
    outbox_->Push({NoticeFrame(NoticeKind::kBanner, BannerText()),
                   NoticeFrame(NoticeKind::kNamePrompt, SharedText())});
  }
  writer_ = std::jthread([this] { WriteLoop(); });
}

bool Session::AdmitProxied() {
  const int fd = transport_->fd();
  absl::StatusOr<ProxyHeader> header = ReadProxyHeader(fd, proxied_->header_timeout);
  if (!header.ok()) {
    // The balancer is trusted, so this is a misconfiguration (or a client that reached
    // the port directly from the balancer's host), not an attack on anyone else.
    LOG_EVERY_N(WARNING, 100) << "no PROXY header from " << peer_ << ": " << header.status()
                              << " (" << google::COUNTER << " so far)";
    return false;
  }
  if (header->source.has_value()) {
    peer_ = absl::StrCat(header->display, " via ", peer_);
    address_key_ =
        AddressKey(reinterpret_cast<const sockaddr*>(&*header->source), header->source_length);
  }
  std::variant<AddressLimits::Ticket, std::string> admission = proxied_->admit(address_key_);
  if (const std::string* refusal = std::get_if<std::string>(&admission)) {
    // As the acceptor refuses: one try that never blocks, then the client's side closes.
    ::send(fd, refusal->data(), refusal->size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    ::shutdown(fd, SHUT_WR);
    return false;
  }
  ticket_ = std::move(std::get<AddressLimits::Ticket>(admission));
  Greet();
  return true;
}

void Session::SayGoodbye(std::string_view farewell) {
  outbox_->CloseWith(NoticeFrame(NoticeKind::kGoodbye, Words(farewell)));
}

void Session::Stop() {
  outbox_->Close();
  stopping_.store(true, std::memory_order_relaxed);
  absl::MutexLock lock(&socket_mu_);
  if (!end_reason_.has_value()) end_reason_ = EndReason::kStopped;
}

void Session::Abort() {
  outbox_->Abort();
  EndWith(EndReason::kStopped, SHUT_RDWR);
}

std::string Session::name() const {
  absl::MutexLock lock(&name_mu_);
  return name_;
}

std::string Session::ListedName() const {
  std::string listed = name();
  absl::MutexLock lock(&social_mu_);
  if (!away_.empty()) listed += " (away)";
  return listed;
}

UserInfo Session::Describe() const {
  UserInfo info;
  info.connected_at = connected_at_;
  info.address = peer_;
  info.address_key = address_key_;
  info.registered = registered_.load(std::memory_order_acquire);
  absl::MutexLock lock(&social_mu_);
  info.room = room_name_;
  info.last_line_at = last_line_at_;
  info.away = away_;
  return info;
}

void Session::NotePrivateFrom(const Event& event) {
  absl::MutexLock lock(&social_mu_);
  last_private_from_ =
      PrivateSender{event.origin, event.name, event.origin_instance, event.origin_session};
}

// ---------------------------------------------------------------------------------------
// RoomMember and Recipient: called with a room's or the registry's lock held.

void Session::DeliverPrivate(EventPtr event) {
  context_.metrics->deliveries.Increment();
  Frame frame;
  frame.kind = Frame::Kind::kEvent;
  frame.event = std::move(event);
  OnPushResult(outbox_->Push(std::move(frame)));
}

void Session::Kick(std::string goodbye) {
  // As for a slow reader: no blocking or I/O here (the registry is locked). The goodbye is
  // the last thing the writer sends; the reader wakes from recv() and runs the normal leave.
  outbox_->CloseWith(NoticeFrame(NoticeKind::kGoodbye, std::move(goodbye)));
  EndWith(EndReason::kKicked, SHUT_RD);
}

void Session::OnFellBehind() {
  // The Redis way: never block, write or even log here (we are inside the room's lock);
  // shut the socket down and let the reader thread log and run the normal leave.
  EndWith(EndReason::kSlowReader, SHUT_RDWR);
}

void Session::Enqueue(std::vector<Frame> frames) { OnPushResult(outbox_->Push(std::move(frames))); }

void Session::OnPushResult(Outbox::PushResult result) {
  if (result != Outbox::PushResult::kOverflow) return;
  // The Redis way: never block, write or even log here (we may be inside the room's
  // lock); shut the socket down and let the reader thread log and run the normal leave.
  EndWith(EndReason::kSlowReader, SHUT_RDWR);
}

void Session::EndWith(EndReason reason, int how) {
  absl::MutexLock lock(&socket_mu_);
  if (!end_reason_.has_value()) end_reason_ = reason;
  if (socket_open_) transport_->Shutdown(how);
}

std::optional<Session::EndReason> Session::end_reason() const {
  absl::MutexLock lock(&socket_mu_);
  return end_reason_;
}

// ---------------------------------------------------------------------------------------
// Reader thread.

void Session::ReadLoop() {
  if (proxied_.has_value() && !AdmitProxied()) {
    // Never greeted, never counted: no writer to join, no leave to announce.
    {
      absl::MutexLock lock(&socket_mu_);
      socket_open_ = false;
      transport_.reset();
    }
    on_finished_(this);
    return;
  }
  // Not zero-filled: the kernel writes only what arrives, so an idle client costs the
  // page or two its lines touch, not the whole buffer (a thousand idle clients' RSS).
  const std::unique_ptr<char[]> buffer = std::make_unique_for_overwrite<char[]>(kReadChunkBytes);
  if (context_.identity != nullptr && !RefuseIfBanned({})) {
    outbox_->Push({NoticeFrame(NoticeKind::kBanner, BannerText()),
                   NoticeFrame(NoticeKind::kNamePrompt, SharedText())});
  }
  while (!stop_reading_) {
    if (!ArmReceiveTimeout()) {
      if (OnReceiveTimeout()) break;
      continue;
    }
    const ssize_t got = transport_->Receive(buffer.get(), kReadChunkBytes);
    if (got == 0) {
      EndWith(EndReason::kPeerClosed, SHUT_RD);
      break;
    }
    if (got < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        if (OnReceiveTimeout()) break;
        continue;
      }
      const int error = errno;  // end_reason() locks, which may change errno
      if (error == EPROTO) {
        // The transport has logged what the client got wrong. Only the receiving side is
        // shut: the writer still sends the transport's last word (a TLS alert, a
        // WebSocket close code saying what was wrong).
        EndWith(EndReason::kProtocolError, SHUT_RD);
        break;
      }
      // A reset (the client vanished with data unread) is an ordinary, if abrupt, leave.
      if (error != ECONNRESET && !end_reason().has_value()) {
        LOG(WARNING) << "recv from " << peer_ << ": " << std::strerror(error);
      }
      EndWith(error == ECONNRESET ? EndReason::kPeerClosed : EndReason::kReadError, SHUT_RDWR);
      break;
    }
    context_.metrics->received_bytes.Increment(static_cast<uint64_t>(got));
    if (stopping_.load(std::memory_order_relaxed)) continue;  // read only to avoid a reset
    std::vector<InputLine> lines;
    std::string replies;
    protocol_->Decode(std::string_view(buffer.get(), static_cast<size_t>(got)), !in_room_, lines,
                      replies);
    for (const InputLine& line : lines) {
      if (stop_reading_) break;
      if (DiscardTypedAhead(line)) {
        // Dropped: it may be a password meant for a dialogue that never started.
      } else if (AdmitLine()) {
        HandleLine(line);
      } else if (!line.secret) {
        NoteDroppedDialogue(line.text);
      }
      lines_received_.fetch_add(1, std::memory_order_release);
    }
    // After the lines read with them: telnet's WILL TIMING-MARK promises everything
    // before it has been dealt with. The replies are the client's own output, bounded
    // like any.
    if (!replies.empty()) Enqueue({NoticeFrame(NoticeKind::kProtocol, std::move(replies))});
  }

  const std::optional<EndReason> reason = end_reason();
  // Count before the leave notice goes out: whoever sees the notice sees the metrics too.
  CountDisconnect(reason);
  if (in_room_) LeaveRoom();
  // Clients the server chose to drop are worth a warning; ordinary leaves are not.
  const bool dropped = reason == EndReason::kSlowReader || reason == EndReason::kSendTimeout ||
                       reason == EndReason::kFlooding || reason == EndReason::kReadError;
  LOG_IF(INFO, !dropped) << "disconnect " << peer_ << ": " << Describe(reason);
  LOG_IF(WARNING, dropped) << "disconnect " << peer_ << ": " << Describe(reason)
                           << (reason == EndReason::kSlowReader
                                   ? absl::StrCat(" (more than ", context_.options.max_outbox_bytes,
                                                  " bytes behind)")
                                   : std::string());
  // Let the writer flush what is queued (a farewell, or replies to a client that
  // half-closed), bounded by send_timeout; then close.
  outbox_->Close();
  writer_.join();
  {
    absl::MutexLock lock(&socket_mu_);
    socket_open_ = false;
    transport_.reset();
  }
  on_finished_(this);
}

bool Session::ArmReceiveTimeout() {
  const SessionOptions& options = context_.options;
  if (!in_room_ && options.login_timeout > absl::ZeroDuration()) {
    const auto left = login_deadline_ - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) return false;
    // Round up: a zero SO_RCVTIMEO would mean "wait forever".
    transport_->SetReceiveTimeout(absl::FromChrono(left) + absl::Milliseconds(1));
  } else if (in_room_ && !idle_timeout_armed_) {
    // Replaces the login deadline; zero (no idle timeout) means block indefinitely.
    transport_->SetReceiveTimeout(options.idle_timeout);
    idle_timeout_armed_ = true;
  }
  return true;
}

bool Session::OnReceiveTimeout() {
  if (in_room_) {
    LOG(INFO) << "disconnecting idle client " << peer_ << " (" << name() << ")";
    Enqueue({NoticeFrame(NoticeKind::kGoodbye,
                         absl::StrCat("You were idle for ",
                                      absl::FormatDuration(context_.options.idle_timeout),
                                      "; disconnecting. Bye!"))});
    EndWith(EndReason::kIdle, SHUT_RD);
    return true;
  }
  if (std::chrono::steady_clock::now() < login_deadline_) return false;  // woke early
  LOG(INFO) << "closing " << peer_ << ": no name within "
            << absl::FormatDuration(context_.options.login_timeout);
  Enqueue({NoticeFrame(NoticeKind::kGoodbye,
                       absl::StrCat("No name given within ",
                                    absl::FormatDuration(context_.options.login_timeout),
                                    "; closing the connection."))});
  EndWith(EndReason::kLoginTimeout, SHUT_RD);
  return true;
}

bool Session::AdmitLine() {
  if (limiter_.Allow(context_.clock->Now())) {
    flood_drops_ = 0;
    return true;
  }
  ++flood_drops_;
  context_.metrics->rejected_lines(metrics::RejectReason::kRateLimited).Increment();
  const size_t limit = context_.options.flood_disconnect_after;
  if (limit > 0 && flood_drops_ >= limit) {
    LOG(WARNING) << "disconnecting " << peer_ << " (" << name() << "): flooding, "
                 << flood_drops_ << " lines dropped";
    Enqueue({NoticeFrame(NoticeKind::kGoodbye, "You kept sending too fast; disconnecting.")});
    EndWith(EndReason::kFlooding, SHUT_RD);
    stop_reading_ = true;
  } else if (flood_drops_ == 1) {
    // One notice per flood, not one per dropped line.
    LOG(WARNING) << "rate limit: dropping lines from " << peer_ << " (" << name() << ")";
    std::vector<Frame> notice;
    notice.push_back(NoticeFrame(
        NoticeKind::kError,
        absl::StrCat("You are sending too fast (over ", context_.options.max_msgs_per_sec,
                     " lines a second); lines are dropped until you slow down.")));
    if (in_room_) notice.push_back(PromptFrame());
    Enqueue(std::move(notice));
  }
  return false;
}

bool Session::AdmitFromAddress(size_t bytes) {
  if (ticket_.AllowLine(bytes)) {
    address_flood_ = false;
    return true;
  }
  // Not counted towards --flood_disconnect_after: a neighbour behind the same NAT must
  // not be disconnected for someone else's flood.
  context_.metrics->rejected_lines(metrics::RejectReason::kAddressRateLimited).Increment();
  if (!std::exchange(address_flood_, true)) {  // one notice per flood
    LOG(WARNING) << "address rate limit: dropping lines from " << peer_ << " (" << name() << ")";
    const AddressLimitsOptions& limits = context_.address_limits;
    Enqueue({NoticeFrame(NoticeKind::kError,
                         Words(FormatAddressTooFast(limits.lines_per_second,
                                                    limits.bytes_per_second))),
             PromptFrame()});
  }
  return false;
}

Joiner Session::AsJoiner() {
  Joiner joiner{id_, this, outbox_, context_.options.max_outbox_bytes, address_key_, nullptr};
  joiner.creation_wait = [this] {
    const LimitVerdict verdict = ticket_.AllowRoomCreation();
    return verdict ? absl::ZeroDuration() : std::max(verdict.retry_after, absl::Nanoseconds(1));
  };
  return joiner;
}

void Session::HandleLine(const InputLine& line) {
  // A password is never a name, a chat line or a command, whatever else it looks like.
  if (secret_step_ != SecretStep::kNone || line.secret) {
    HandleSecretLine(line);
    return;
  }
  if (!line.refusal.empty()) {
    std::vector<Frame> reply;
    reply.push_back(NoticeFrame(NoticeKind::kError, line.refusal));
    reply.push_back(in_room_ ? PromptFrame() : NoticeFrame(NoticeKind::kNamePrompt, SharedText()));
    Enqueue(std::move(reply));
    return;
  }
  if (in_room_) {
    HandleChatLine(line);
  } else {
    in_room_ = HandleNameLine(line);
  }
}

bool Session::HandleNameLine(const InputLine& line) {
  std::optional<std::string> refusal;
  std::string_view candidate;
  if (line.too_long) {
    refusal = absl::StrCat("Name is too long (at most ", kMaxNameBytes, " bytes).");
  } else {
    candidate = TrimBlanks(line.text);
    refusal = ValidateName(candidate);
    if (!refusal) refusal = ConfirmNameAfterWrongPassword(candidate);
    if (!refusal && context_.identity != nullptr && RefuseIfBanned(NameKey(candidate))) {
      return false;
    }
    if (!refusal) {
      // Before the name is claimed: a refused login must leave no trace (no join notice).
      if (const LimitVerdict verdict = ticket_.TryLogin(); !verdict) {
        LOG(WARNING) << "login refused for " << peer_ << ": its address logs in too often";
        Enqueue({NoticeFrame(NoticeKind::kError, Words(FormatTooManyLogins(verdict.retry_after)))});
        EndWith(EndReason::kLoginRefused, SHUT_RD);
        stop_reading_ = true;
        return false;
      }
    }
    if (!refusal && context_.identity != nullptr) {
      absl::StatusOr<std::optional<identity::Account>> account =
          context_.identity->FindAccount(NameKey(candidate));
      if (!account.ok()) {
        // Fail closed: without the store nobody can tell a registered name from a free one.
        LOG(ERROR) << "identity store: looking up a name for " << peer_ << ": "
                   << account.status();
        refusal = "Registered names cannot be checked right now; try again later.";
      } else if (account->has_value()) {
        AskLoginPassword(std::string(candidate));
        return false;
      }
    }
    if (!refusal) refusal = ClaimRefusal(context_.names->TryClaim(candidate, this, id_), candidate);
    if (!refusal && context_.identity != nullptr) {
      // Free when looked up, but registered by the time it was claimed (another server
      // on the same file, an administrator): it needs its password after all.
      absl::StatusOr<std::optional<identity::Account>> account =
          context_.identity->FindAccount(NameKey(candidate));
      if (!account.ok() || account->has_value()) {
        context_.names->Release(candidate);
        if (!account.ok()) {
          LOG(ERROR) << "identity store: re-reading a name for " << peer_ << ": "
                     << account.status();
          refusal = "Registered names cannot be checked right now; try again later.";
        } else {
          AskLoginPassword(std::string(candidate));
          return false;
        }
      }
    }
  }
  if (refusal) {
    LOG(INFO) << "name refused for " << peer_ << ": " << *refusal;
    context_.metrics->rejected_lines(metrics::RejectReason::kBadName).Increment();
    Enqueue({NoticeFrame(NoticeKind::kError, std::move(*refusal)),
             NoticeFrame(NoticeKind::kNamePrompt, SharedText())});
    return false;
  }
  CompleteLogin(candidate);
  return true;
}

std::optional<std::string> Session::ClaimRefusal(ClaimResult result, std::string_view name) {
  switch (result) {
    case ClaimResult::kClaimed:
      return std::nullopt;
    case ClaimResult::kTaken:
      break;
    case ClaimResult::kUnavailable:
      return std::string(kNamesUnavailable);
  }
  // The same words whether the name is taken here or on another server.
  return absl::StrCat("Name '", name, "' is already taken.");
}

void Session::PublishPresence() {
  SharedNames* const shared = context_.names->shared();
  if (shared == nullptr) return;
  UserInfo info = Describe();
  info.name = name();
  shared->Publish(NameKey(info.name), info);
}

void Session::CompleteLogin(std::string_view candidate) {
  {
    absl::MutexLock lock(&name_mu_);
    name_ = std::string(candidate);
  }
  RoomEntry entry = context_.lobby->Join(
      Lobby::kDefaultRoom, AsJoiner(),
      MakeEvent(Event::Kind::kJoin, context_.clock->Now(), std::string(candidate), {}, id_));
  CHECK(entry.room != nullptr) << "the default room always exists";
  Enter(std::move(entry), {});
  {
    absl::MutexLock lock(&social_mu_);
    last_line_at_ = context_.clock->Now();  // idle since logging in
  }
  NoteRegistered();
  // After the welcome, the history and its prompt, drawn like an event: a client that
  // set no --motd_file sees the base protocol byte for byte.
  if (context_.motd != nullptr) {
    if (SharedText motd = context_.motd->Get(); motd != nullptr && !motd->empty()) {
      Enqueue({NoticeFrame(NoticeKind::kMotd, std::move(motd)), PromptFrame()});
    }
  }
  if (context_.identity != nullptr) {
    std::vector<Frame> topic;
    AppendTopic(room_->name(), topic);
    if (!topic.empty()) {
      topic.push_back(PromptFrame());
      Enqueue(std::move(topic));
    }
  }
  LOG(INFO) << "login " << peer_ << " as " << candidate << " in " << room_->name();
  context_.metrics->logged_in_clients.Increment();
  context_.metrics->messages_broadcast.Increment();  // the join notice
}

void Session::HandleChatLine(const InputLine& line) {
  {
    absl::MutexLock lock(&social_mu_);
    last_line_at_ = context_.clock->Now();  // for /whois: any line, commands too
  }
  std::vector<Frame> reply;
  context_.metrics->messages_received.Increment();
  // The limit applies to what would be stored and sent: sanitising replaces each invalid
  // byte with a 3-byte U+FFFD, so a line can triple in size.
  std::string text = line.too_long ? std::string() : SanitizeText(line.text);
  if (line.too_long || text.size() > context_.options.max_line_bytes) {
    LOG(WARNING) << "line over " << context_.options.max_line_bytes << " bytes from " << peer_
                 << " dropped";
    context_.metrics->rejected_lines(metrics::RejectReason::kTooLong).Increment();
    reply.push_back(NoticeFrame(NoticeKind::kError,
                                absl::StrCat("Your message was longer than ",
                                             context_.options.max_line_bytes,
                                             " bytes and was not sent.")));
  } else if (!AdmitFromAddress(text.size())) {
    NoteDroppedDialogue(text);
    return;
  } else {
    if (!RunCommand(ParseCommand(text), reply)) {
      Enqueue(std::move(reply));
      return;
    }
  }
  reply.push_back(PromptFrame());
  Enqueue(std::move(reply));
}

void Session::Enter(RoomEntry entry, std::string note) {
  auto follow = std::make_shared<Follow>();
  follow->room = entry.room;
  follow->membership = entry.position.membership;
  follow->history_from = entry.position.history_from;
  follow->live_from = entry.position.live_from;
  Frame frame;
  frame.kind = Frame::Kind::kFollow;
  if (!note.empty()) frame.text = MakeShared(std::move(note));  // a kReply notice
  frame.follow = std::move(follow);
  // Deliver the old room up to where we left it (nothing yet at login).
  frame.after_seq = entry.left_at;
  // Before the client hears it is in: whoever it tells may /whois it at once.
  {
    absl::MutexLock lock(&social_mu_);
    room_name_ = entry.room->name();
  }
  outbox_->Switch(std::move(frame), Room::EndSeqOf(entry.room));
  room_ = std::move(entry.room);
  membership_ = std::move(entry.position.membership);
}

void Session::LeaveRoom() {
  const std::string name = this->name();
  context_.metrics->logged_in_clients.Decrement();
  context_.metrics->messages_broadcast.Increment();  // the leave notice
  Frame unfollow;
  unfollow.kind = Frame::Kind::kUnfollow;
  unfollow.after_seq = context_.lobby->Leave(
      room_, membership_,
      MakeEvent(Event::Kind::kLeave, context_.clock->Now(), name, {}, id_));
  outbox_->Switch(std::move(unfollow), nullptr);
  context_.names->Release(name);
  membership_.reset();
  room_.reset();  // the last reference, if the lobby removed the room
  in_room_ = false;
  LOG(INFO) << "leave " << peer_ << " " << name;
}

const char* Session::Describe(std::optional<EndReason> reason) {
  if (!reason.has_value()) return "unknown";
  switch (*reason) {
    case EndReason::kPeerClosed: return "client closed the connection";
    case EndReason::kReadError: return "read error";
    case EndReason::kSlowReader: return "too slow reading its output";
    case EndReason::kSendTimeout: return "send made no progress before the send timeout";
    case EndReason::kStopped: return "server shutting down";
    case EndReason::kLoginTimeout: return "no name before the login timeout";
    case EndReason::kIdle: return "idle timeout";
    case EndReason::kFlooding: return "flooding";
    case EndReason::kQuit: return "client quit";
    case EndReason::kLoginRefused: return "its address logged in too often";
    case EndReason::kProtocolError: return "broke the transport's protocol";
    case EndReason::kKicked: return "kicked by an operator";
    case EndReason::kBanned: return "banned";
  }
  return "unknown";
}

void Session::CountDisconnect(std::optional<EndReason> reason) {
  context_.metrics->disconnects(reason.value_or(EndReason::kPeerClosed)).Increment();
  if (reason == EndReason::kSlowReader || reason == EndReason::kSendTimeout) {
    context_.metrics->slow_client_disconnects.Increment();
  }
  context_.metrics->connected_clients.Decrement();
}

// ---------------------------------------------------------------------------------------
// Writer thread: the only code that writes to the socket. Holds no lock while sending.

SendResult Session::Send(std::string_view bytes) {
  const SendResult result = transport_->Send(bytes);
  if (result == SendResult::kOk) context_.metrics->sent_bytes.Increment(bytes.size());
  return result;
}

void Session::WriteLoop() {
  const std::unique_ptr<Renderer> drawn_by = protocol_->MakeRenderer(context_.time_zone);
  Renderer& renderer = *drawn_by;
  // The room this writer delivers, and its cursor there: the next event to send.
  struct {
    std::shared_ptr<const Follow> follow;  // null: no room
    uint64_t cursor = 0;
    uint64_t own_bytes = 0;  // charge of our own events before the cursor (see Membership)
  } reading;
  const auto report_delivered = [&] {
    if (reading.follow == nullptr) return;
    reading.follow->membership->set_delivered(reading.cursor, reading.own_bytes);
  };
  std::vector<Frame> batch;
  std::string bytes;
  uint64_t rendered_events = 0;
  // What this client /ignores: filtered here, from a snapshot, with no lock held.
  IgnoreFilter ignore_filter(&ignored_);
  bool ok = true;

  // Sends what is buffered once it is large, so a long replay or backlog never needs one
  // buffer of its full size.
  const auto flush = [&](bool force) {
    if (!ok || (!force && bytes.size() < kWriteChunkBytes)) return;
    // The transport's own output (a TLS handshake reply) goes out with whatever is sent
    // next; with nothing to send, on its own.
    const bool transport_output =
        force && transport_output_pending_.exchange(false, std::memory_order_acq_rel);
    if (bytes.empty() && !transport_output) return;
    const SendResult result = Send(bytes);
    bytes.clear();
    if (result == SendResult::kOk) {
      // Everything rendered so far is sent: the room measures our lag from here. Said
      // after every chunk, not once per batch: in a busy room a batch may never end, and
      // a lag measured from its start would make a reader that keeps up look too slow.
      report_delivered();
      return;
    }
    ok = false;
    if (!end_reason().has_value()) {
      // A peer that vanished is ordinary; one that stopped reading is worth a warning.
      if (result == SendResult::kTimedOut) {
        LOG(WARNING) << "send to " << peer_ << " (" << name() << ") made no progress for "
                     << context_.options.send_timeout << "; disconnecting";
      } else {
        LOG(INFO) << "send to " << peer_ << " (" << name() << ") failed: peer gone";
      }
    }
    outbox_->Abort();
    EndWith(result == SendResult::kTimedOut ? EndReason::kSendTimeout : EndReason::kPeerClosed,
            SHUT_RDWR);
  };

  // Renders the followed room's events from the cursor up to `limit` (exclusive).
  const auto deliver_room = [&](uint64_t limit) {
    while (ok && reading.follow != nullptr && reading.cursor < limit) {
      bool lost = false;
      const Follow& follow = *reading.follow;
      const EventSpan span = follow.room->Read(*follow.membership, reading.cursor,
                                               std::min<uint64_t>(kEventsPerRead, limit - reading.cursor),
                                               &lost);
      if (lost) {
        // The log dropped events we had not sent: too far behind to catch up.
        EndWith(EndReason::kSlowReader, SHUT_RDWR);
        outbox_->Abort();
        ok = false;
        return;
      }
      if (span.empty()) return;
      span.ForEach([&](const Event& event) {
        if (event.origin == id_) {  // your own line or notice is not echoed
          reading.own_bytes += event.charge();
          return;
        }
        if (ignore_filter.Hides(event)) return;
        renderer.Live(event, &bytes);
        ++rendered_events;
      });
      reading.cursor = span.end;
      flush(/*force=*/false);
    }
  };

  // Replays [from, to) of a room just joined: its chat lines and emotes.
  const auto replay = [&](const Follow& follow) {
    uint64_t seq = follow.history_from;
    while (ok && seq < follow.live_from) {
      const EventSpan span = follow.room->ReadHistory(seq, follow.live_from, kEventsPerRead);
      if (span.empty()) return;  // trimmed meanwhile: history is best effort
      span.ForEach([&](const Event& event) {
        if (event.is_history() && !ignore_filter.Hides(event)) renderer.History(event, &bytes);
      });
      seq = span.end;
      flush(/*force=*/false);
    }
  };

  bool closed = false;
  while (ok) {
    closed = outbox_->Take(batch, /*block=*/false);
    // That Take() cleared the outbox's wake-up; a transport that asked for one since the
    // last flush must not be left waiting.
    if (batch.empty() && !closed && !transport_output_pending_.load(std::memory_order_acquire)) {
      const bool room_ready =
          reading.follow != nullptr &&
          reading.follow->room->SleepUnlessReady(reading.follow->membership.get(), reading.cursor);
      if (!room_ready) {
        // A replay or a busy room grows the buffer to a full chunk; an idle client should
        // not keep that much memory while it sleeps. Kept while busy, and cut to
        // kKeptWriteBufferBytes rather than to nothing: growing it from nothing for every
        // batch (a reallocation and a copy at every doubling) was about 8% of a busy web
        // port's CPU.
        if (bytes.capacity() > kKeptWriteBufferBytes) {
          std::string().swap(bytes);
          bytes.reserve(kKeptWriteBufferBytes);
        }
        closed = outbox_->Take(batch, /*block=*/true);
      }
    }
    // Step aside once before writing, so the producers (usually on the other core,
    // mid-broadcast) can add more, and send it all in one write: under load this turns
    // one wake-up and one send() per line into one per batch (see README, Performance).
    std::this_thread::yield();
    closed = outbox_->TakeMore(batch) || closed;

    // One timestamp per batch: every prompt drawn in one write shows the same time.
    renderer.BeginBatch(context_.clock->Now(), name());
    ignore_filter.Refresh();
    for (const Frame& frame : batch) {
      deliver_room(frame.after_seq);
      if (!ok) break;
      switch (frame.kind) {
        case Frame::Kind::kNotice:
          renderer.Notice(frame.notice, frame.text != nullptr ? *frame.text : std::string_view(),
                          &bytes);
          break;
        case Frame::Kind::kPrompt:
          renderer.Prompt(&bytes);
          break;
        case Frame::Kind::kEvent:  // a private message
          if (ignore_filter.Hides(*frame.event)) break;  // its sender is not told
          renderer.Live(*frame.event, &bytes);
          NotePrivateFrom(*frame.event);
          break;
        case Frame::Kind::kFollow:
          if (frame.text != nullptr) renderer.Notice(NoticeKind::kReply, *frame.text, &bytes);
          renderer.Enter(*frame.follow->room, &bytes);
          reading.follow = frame.follow;
          reading.cursor = frame.follow->live_from;
          reading.own_bytes = 0;
          replay(*frame.follow);
          renderer.Prompt(&bytes);
          break;
        case Frame::Kind::kUnfollow:
          reading.follow.reset();
          break;
      }
      flush(/*force=*/false);
    }
    // Once the outbox is closed, the last frame taken is the last thing said: nothing of
    // the room after it (a shutdown's goodbye must not be followed by leave notices).
    if (ok && !closed && reading.follow != nullptr) deliver_room(UINT64_MAX);
    flush(/*force=*/true);
    // Sent (or skipped: our own events): the room measures our lag from here.
    if (ok) report_delivered();
    if (rendered_events > 0) {
      context_.metrics->deliveries.Increment(rendered_events);
      rendered_events = 0;
    }
    if (closed) break;
  }
  if (!ok) return;
  // Everything owed is sent: end our side of the stream (the client sees end of file
  // after the last line) while the reader may still drain the client's input. No lock:
  // the transport outlives this thread (the reader joins us before destroying it).
  transport_->FinishSending();
}

}  // namespace chat
