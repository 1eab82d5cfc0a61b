// Session: moderation (issue #12): operators, /kick, /ban, /unban, /bans, /mute, /unmute,
// /op, /deop and /topic. (The rest of Session is in session.cc, session_commands.cc and
// session_identity.cc.)
//
// Everything here runs on the acting client's reader thread with no lock held: the store
// may block on I/O. Another client is acted on only through the name registry (Kick,
// DeliverPrivate), which never blocks. Operators cannot kick, ban or mute each other, nor
// themselves: a rogue or careless operator cannot lock the others out. Texts here are
// part of the protocol: README.md documents them, tests pin them.

#include <sys/socket.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "chat/abuse/address_key.h"
#include "chat/identity/duration.h"
#include "chat/message.h"
#include "chat/moderation.h"
#include "chat/name.h"
#include "chat/sanitize.h"
#include "chat/session.h"
#include "glog/logging.h"

namespace chat {
namespace {

using Action = metrics::ModerationAction;

Frame ReplyLine(std::string text) { return NoticeFrame(NoticeKind::kReply, std::move(text)); }
Frame ErrorLine(std::string text) { return NoticeFrame(NoticeKind::kError, std::move(text)); }

constexpr char kStoreTrouble[] = "The moderation store cannot be reached right now; try again later.";

// ": spam", or "." without a reason: the end of a notice.
std::string Because(std::string_view reason) {
  return reason.empty() ? std::string(".") : absl::StrCat(": ", reason);
}

// " (spam)" or nothing: for logs and room notices.
std::string InParens(std::string_view reason) {
  return reason.empty() ? std::string() : absl::StrCat(" (", reason, ")");
}

// Reads "[DURATION] [reason]" of /ban and /mute. A first word that starts with a digit is
// a duration; a bad one is refused with the parser's sentence. Returns the refusal.
std::optional<std::string> ReadTerms(std::string_view text, absl::Time now, absl::Time* until,
                                     std::string* reason) {
  text = TrimBlanks(text);
  *until = absl::InfiniteFuture();
  if (!text.empty() && absl::ascii_isdigit(static_cast<unsigned char>(text[0]))) {
    const size_t end = text.find_first_of(" \t");
    const std::string_view word = text.substr(0, end);
    absl::StatusOr<absl::Duration> duration = identity::ParseModerationDuration(word);
    if (!duration.ok()) return std::string(duration.status().message());
    *until = now + *duration;
    text = end == std::string_view::npos ? std::string_view() : TrimBlanks(text.substr(end));
  }
  if (text.size() > kMaxModerationReasonBytes) {
    return absl::StrCat("The reason is too long (at most ", kMaxModerationReasonBytes,
                        " bytes).");
  }
  *reason = std::string(text);
  return std::nullopt;
}

const char* Verb(Command::Kind kind) {
  switch (kind) {
    case Command::Kind::kOp: return "op";
    case Command::Kind::kDeop: return "deop";
    case Command::Kind::kKick: return "kick";
    case Command::Kind::kBan: return "ban";
    case Command::Kind::kUnban: return "unban";
    case Command::Kind::kBans: return "list bans";
    case Command::Kind::kMute: return "mute";
    case Command::Kind::kUnmute: return "unmute";
    case Command::Kind::kMutes: return "list mutes";
    default: return "set the topic";
  }
}

}  // namespace

void Session::NoteRegistered() {
  registered_.store(!authenticated_key_.empty() && NameKey(name()) == authenticated_key_,
                    std::memory_order_release);
  // Called after every change of name or account: the other servers' /whois follows.
  PublishPresence();
}

// An operator's /kick of a name nobody here has: the instance that has it disconnects
// its user. Its room hears the leave from there; the kicker is told what happened.
bool Session::KickElsewhere(std::string_view who, const std::string& reason,
                            const std::string& me, std::vector<Frame>& reply) {
  // Operators cannot kick each other; another instance's user is an operator if its
  // name is (a registered name is worn only by whoever proved it).
  if (IsOperatorKey(NameKey(who))) {
    reply.push_back(
        ErrorLine(absl::StrCat(who, " is an operator; operators cannot kick each other.")));
    return true;
  }
  switch (context_.remote->Kick(who, absl::StrCat("You were kicked by ", me, Because(reason)))) {
    case RemoteUsers::Result::kSent:
      LOG(INFO) << "moderation: " << me << " kicked " << who << " (another instance)"
                << InParens(reason);
      context_.metrics->moderation_actions(Action::kKick).Increment();
      reply.push_back(ReplyLine(absl::StrCat("You kicked ", who, Because(reason))));
      return true;
    case RemoteUsers::Result::kNoSuchUser:
      reply.push_back(ErrorLine(absl::StrCat("No such user: ", who)));
      return true;
    case RemoteUsers::Result::kUnavailable:
      reply.push_back(ErrorLine(std::string(kChatUnavailable)));
      return true;
  }
  return true;
}

bool Session::IsOperatorKey(std::string_view key) {
  absl::StatusOr<bool> is_operator = chat::IsOperatorKey(context_.moderation, context_.identity, key);
  if (!is_operator.ok()) {
    LOG(ERROR) << "identity store: looking up an operator: " << is_operator.status();
    return false;  // fail closed: nobody is an operator while the store is unreadable
  }
  return *is_operator;
}

bool Session::IsOperator() {
  if (context_.moderation == nullptr || !registered_.load(std::memory_order_acquire)) {
    return false;
  }
  return IsOperatorKey(authenticated_key_);
}

std::optional<std::string> Session::MutedRefusal() {
  if (context_.moderation == nullptr) return std::nullopt;
  const std::optional<Mute> mute =
      context_.moderation->mutes().Find(NameKey(name()), context_.clock->Now());
  if (!mute.has_value()) return std::nullopt;
  return absl::StrCat("You are muted ", identity::FormatUntil(mute->until),
                      "; your line was not sent.");
}

bool Session::RefuseIfBanned(std::string_view name_key) {
  if (context_.identity == nullptr) return false;
  absl::StatusOr<std::optional<identity::Ban>> ban =
      context_.identity->FindActiveBan(name_key, address_key_, context_.clock->Now());
  if (!ban.ok()) {
    // Fail open here: a login still needs the store for its name, which fails closed.
    LOG(ERROR) << "identity store: checking bans for " << peer_ << ": " << ban.status();
    return false;
  }
  if (!ban->has_value()) return false;
  const identity::Ban& found = **ban;
  LOG(INFO) << "refusing " << peer_ << (name_key.empty() ? "" : " as ") << name_key
            << ": banned (ban #" << found.id << " by " << found.by << ")";
  Enqueue({NoticeFrame(NoticeKind::kGoodbye,
                       absl::StrCat("You are banned ", identity::FormatUntil(found.until),
                                    Because(found.reason)))});
  EndWith(EndReason::kBanned, SHUT_RD);
  stop_reading_ = true;
  return true;
}

void Session::AppendTopic(std::string_view room, std::vector<Frame>& reply) {
  absl::StatusOr<std::optional<identity::Topic>> topic =
      context_.identity->GetTopic(NameKey(room));
  if (!topic.ok()) {
    LOG(ERROR) << "identity store: reading a topic: " << topic.status();
    return;
  }
  if (!topic->has_value()) return;
  reply.push_back(ReplyLine(absl::StrCat("Topic of ", room, ": ", (*topic)->text, " (set by ",
                                         (*topic)->set_by, ")")));
}

bool Session::RunModerationCommand(const Command& command, std::vector<Frame>& reply) {
  using Kind = Command::Kind;
  if (context_.identity == nullptr || context_.moderation == nullptr) {
    reply.push_back(ErrorLine("Moderation needs registered names, which are not enabled on "
                              "this server."));
    return true;
  }
  const std::string me = name();
  const absl::Time now = context_.clock->Now();
  if (command.kind == Kind::kTopic && command.text.empty()) {
    const size_t before = reply.size();
    AppendTopic(room_->name(), reply);
    if (reply.size() == before) {
      reply.push_back(ReplyLine(absl::StrCat(room_->name(), " has no topic.")));
    }
    return true;
  }
  if (!IsOperator()) {
    std::string verb = Verb(command.kind);
    reply.push_back(ErrorLine(absl::StrCat("Only operators can ", verb, ".")));
    return true;
  }
  // A notice in `room` from this operator: "alice kicked bob (spam)". Not history: a
  // late joiner is not replayed old moderation.
  const auto tell_room = [&](std::string_view room, std::string_view what) {
    std::shared_ptr<Room> target_room = context_.lobby->Find(std::string(room));
    if (target_room == nullptr) return;
    target_room->Post(MakeEvent(Event::Kind::kModeration, now, me, absl::StrCat(me, " ", what),
                                id_),
                      target_room == room_ ? membership_.get() : nullptr);
    context_.metrics->messages_broadcast.Increment();
  };
  const auto count = [&](Action action) {
    context_.metrics->moderation_actions(action).Increment();
  };
  // Refuses acting on yourself or on another operator; true if refused.
  const auto protected_target = [&](const UserInfo& target) {
    if (target.id == id_) {
      reply.push_back(ErrorLine(absl::StrCat("You cannot ", Verb(command.kind), " yourself.")));
      return true;
    }
    if (target.registered && IsOperatorKey(NameKey(target.name))) {
      reply.push_back(ErrorLine(absl::StrCat(target.name, " is an operator; operators cannot ",
                                             Verb(command.kind), " each other.")));
      return true;
    }
    return false;
  };
  const std::string_view who = command.target;

  switch (command.kind) {
    case Kind::kTopic: {
      if (command.text == kClearTopic) {
        const std::string room = room_->name();
        absl::StatusOr<std::optional<identity::Topic>> topic =
            context_.identity->GetTopic(NameKey(room));
        absl::Status s = topic.status();
        if (s.ok() && topic->has_value()) s = context_.identity->ClearTopic(NameKey(room));
        if (!s.ok()) {
          LOG(ERROR) << "identity store: clearing a topic: " << s;
          reply.push_back(ErrorLine(kStoreTrouble));
          return true;
        }
        if (!topic->has_value()) {
          reply.push_back(ErrorLine(absl::StrCat(room, " has no topic.")));
          return true;
        }
        LOG(INFO) << "moderation: " << me << " cleared the topic of " << room;
        count(Action::kTopic);
        tell_room(room, "cleared the topic");
        reply.push_back(ReplyLine(absl::StrCat("You cleared the topic of ", room, ".")));
        return true;
      }
      if (command.text.size() > kMaxTopicBytes) {
        reply.push_back(ErrorLine(
            absl::StrCat("The topic is too long (at most ", kMaxTopicBytes, " bytes).")));
        return true;
      }
      const std::string room = room_->name();
      const absl::Status s = context_.identity->SetTopic(
          NameKey(room), identity::Topic{std::string(command.text), me, now});
      if (!s.ok()) {
        LOG(ERROR) << "identity store: setting a topic: " << s;
        reply.push_back(ErrorLine(kStoreTrouble));
        return true;
      }
      LOG(INFO) << "moderation: " << me << " set the topic of " << room;
      count(Action::kTopic);
      tell_room(room, absl::StrCat("set the topic: ", command.text));
      reply.push_back(ReplyLine(absl::StrCat("Topic of ", room, ": ", command.text)));
      return true;
    }
    case Kind::kKick: {
      std::optional<UserInfo> target = context_.names->Find(who);
      if (!target.has_value() && context_.remote == nullptr) {
        reply.push_back(ErrorLine(absl::StrCat("No such user: ", who)));
        return true;
      }
      if (target.has_value() && protected_target(*target)) return true;
      const std::string reason = std::string(TrimBlanks(command.text));
      if (reason.size() > kMaxModerationReasonBytes) {
        reply.push_back(ErrorLine(absl::StrCat("The reason is too long (at most ",
                                               kMaxModerationReasonBytes, " bytes).")));
        return true;
      }
      if (!target.has_value()) return KickElsewhere(who, reason, me, reply);
      // The room reads why before it reads the leave.
      tell_room(target->room, absl::StrCat("kicked ", target->name, InParens(reason)));
      if (!context_.names->Kick(target->name,
                                absl::StrCat("You were kicked by ", me, Because(reason)))) {
        reply.push_back(ErrorLine(absl::StrCat("No such user: ", who)));
        return true;
      }
      LOG(INFO) << "moderation: " << me << " kicked " << target->name << InParens(reason);
      count(Action::kKick);
      reply.push_back(ReplyLine(absl::StrCat("You kicked ", target->name, Because(reason))));
      return true;
    }
    case Kind::kBan: {
      absl::Time until;
      std::string reason;
      if (std::optional<std::string> refusal = ReadTerms(command.text, now, &until, &reason)) {
        reply.push_back(ErrorLine(*std::move(refusal)));
        return true;
      }
      identity::Ban ban;
      ban.until = until;
      ban.reason = reason;
      ban.by = me;
      ban.created = now;
      std::optional<UserInfo> target;
      std::string what;
      if (std::optional<std::string> address = AddressArgumentKey(who)) {
        if (*address == address_key_) {
          reply.push_back(ErrorLine("You cannot ban your own address."));
          return true;
        }
        ban.address_key = *std::move(address);
        what = absl::StrCat("address ", ban.address_key);
      } else {
        if (std::optional<std::string> bad = ValidateName(who)) {
          reply.push_back(ErrorLine(*std::move(bad)));
          return true;
        }
        ban.name_key = NameKey(who);
        target = context_.names->Find(who);
        if (target.has_value()) {
          if (protected_target(*target)) return true;
          // Its address too, or a new name would get it back in at once. Not a local
          // socket's: that would ban every local client.
          // Nor the operator's own (people behind one NAT, or both on this host).
          if (target->address_key != kLocalAddressKey &&
              target->address_key != kUnknownAddressKey && target->address_key != address_key_) {
            ban.address_key = target->address_key;
          }
          what = target->name;
        } else {
          if (ban.name_key == NameKey(me)) {
            reply.push_back(ErrorLine("You cannot ban yourself."));
            return true;
          }
          if (IsOperatorKey(ban.name_key)) {
            reply.push_back(ErrorLine(absl::StrCat(
                who, " is an operator; operators cannot ban each other.")));
            return true;
          }
          what = std::string(who);
          // On another server: its address too, as for a user here (that server saw it;
          // behind a load balancer, the client's).
          if (SharedNames* shared = context_.names->shared()) {
            if (std::optional<UserInfo> elsewhere = shared->FindElsewhere(ban.name_key)) {
              what = elsewhere->name;
              if (!elsewhere->address_key.empty() &&
                  elsewhere->address_key != kLocalAddressKey &&
                  elsewhere->address_key != kUnknownAddressKey &&
                  elsewhere->address_key != address_key_) {
                ban.address_key = elsewhere->address_key;
              }
            }
          }
        }
      }
      absl::StatusOr<int64_t> id = context_.identity->AddBan(ban);
      if (!id.ok()) {
        LOG(ERROR) << "identity store: adding a ban: " << id.status();
        reply.push_back(ErrorLine(kStoreTrouble));
        return true;
      }
      const std::string until_text = identity::FormatUntil(until);
      LOG(INFO) << "moderation: " << me << " banned " << what
                << (ban.address_key.empty() || what == absl::StrCat("address ", ban.address_key)
                        ? std::string()
                        : absl::StrCat(" and address ", ban.address_key))
                << " " << until_text << InParens(reason) << " (ban #" << *id << ")";
      count(Action::kBan);
      bool unreachable = false;
      if (target.has_value()) {
        tell_room(target->room,
                  absl::StrCat("banned ", target->name, " ", until_text, InParens(reason)));
        context_.names->Kick(target->name, absl::StrCat("You were banned by ", me, " ",
                                                       until_text, Because(reason)));
      } else if (!ban.name_key.empty() && context_.remote != nullptr) {
        // Connected to another instance, perhaps: the ban is in the shared store, so
        // its next login is refused there; this ends the present one.
        unreachable = context_.remote->Kick(who, absl::StrCat("You were banned by ", me, " ",
                                                              until_text, Because(reason))) ==
                      RemoteUsers::Result::kUnavailable;
      }
      reply.push_back(ReplyLine(absl::StrCat(
          "Ban #", *id, ": ", what,
          !ban.name_key.empty() && !ban.address_key.empty()
              ? absl::StrCat(" (and address ", ban.address_key, ")")
              : std::string(),
          " banned ", until_text, Because(reason))));
      if (unreachable) {
        reply.push_back(ReplyLine(absl::StrCat(
            "(", what, " may still be connected to another server, which cannot be asked right "
            "now; the ban holds at their next login.)")));
      }
      return true;
    }
    case Kind::kUnban: {
      absl::StatusOr<int> removed = 0;
      if (std::optional<std::string> address = AddressArgumentKey(who)) {
        removed = context_.identity->RemoveBansByAddress(*address);
      } else {
        removed = context_.identity->RemoveBansByName(NameKey(who));
      }
      if (!removed.ok()) {
        LOG(ERROR) << "identity store: removing bans: " << removed.status();
        reply.push_back(ErrorLine(kStoreTrouble));
        return true;
      }
      if (*removed == 0) {
        reply.push_back(ErrorLine(absl::StrCat(who, " is not banned.")));
        return true;
      }
      LOG(INFO) << "moderation: " << me << " unbanned " << who;
      count(Action::kUnban);
      reply.push_back(ReplyLine(absl::StrCat("Unbanned ", who, ".")));
      return true;
    }
    case Kind::kBans: {
      absl::StatusOr<std::vector<identity::Ban>> bans = context_.identity->ListActiveBans(now);
      if (!bans.ok()) {
        LOG(ERROR) << "identity store: listing bans: " << bans.status();
        reply.push_back(ErrorLine(kStoreTrouble));
        return true;
      }
      if (bans->empty()) {
        reply.push_back(ReplyLine("No bans in force."));
        return true;
      }
      std::vector<std::string> lines;
      for (const identity::Ban& ban : *bans) {
        std::vector<std::string> whom;
        if (!ban.name_key.empty()) whom.push_back(absl::StrCat("name ", ban.name_key));
        if (!ban.address_key.empty()) whom.push_back(absl::StrCat("address ", ban.address_key));
        lines.push_back(absl::StrCat("#", ban.id, " ", absl::StrJoin(whom, " and "), " ",
                                     identity::FormatUntil(ban.until), " by ", ban.by,
                                     Because(ban.reason)));
      }
      reply.push_back(ReplyLine(absl::StrCat("Bans in force (", lines.size(), "):\n",
                                             absl::StrJoin(lines, "\n"))));
      return true;
    }
    case Kind::kMute: {
      absl::Time until;
      std::string reason;
      if (std::optional<std::string> refusal = ReadTerms(command.text, now, &until, &reason)) {
        reply.push_back(ErrorLine(*std::move(refusal)));
        return true;
      }
      std::optional<UserInfo> target = context_.names->Find(who);
      if (!target.has_value()) {
        reply.push_back(ErrorLine(absl::StrCat("No such user: ", who)));
        return true;
      }
      if (protected_target(*target)) return true;
      MuteList& mutes = context_.moderation->mutes();
      if (mutes.Add(NameKey(target->name), Mute{target->name, until, me, reason}, now) ==
          MuteList::AddResult::kFull) {
        reply.push_back(ErrorLine(absl::StrCat("Already ", mutes.max_entries(),
                                               " people are muted, the most; /unmute someone "
                                               "first.")));
        return true;
      }
      const std::string until_text = identity::FormatUntil(until);
      LOG(INFO) << "moderation: " << me << " muted " << target->name << " " << until_text
                << InParens(reason);
      count(Action::kMute);
      tell_room(target->room,
                absl::StrCat("muted ", target->name, " ", until_text, InParens(reason)));
      context_.names->DeliverTo(
          target->name,
          MakeEvent(Event::Kind::kPrivate, now, me,
                    absl::StrCat("You are muted ", until_text, Because(reason)), id_));
      reply.push_back(
          ReplyLine(absl::StrCat("You muted ", target->name, " ", until_text, Because(reason))));
      return true;
    }
    case Kind::kMutes: {
      const std::vector<Mute> mutes = context_.moderation->mutes().List(now);
      if (mutes.empty()) {
        reply.push_back(ReplyLine("No mutes in force."));
        return true;
      }
      std::vector<std::string> lines;
      for (const Mute& mute : mutes) {
        lines.push_back(absl::StrCat(mute.name, " ", identity::FormatUntil(mute.until), " by ",
                                     mute.by, Because(mute.reason)));
      }
      reply.push_back(ReplyLine(absl::StrCat("Mutes in force (", lines.size(), "):\n",
                                             absl::StrJoin(lines, "\n"))));
      return true;
    }
    case Kind::kUnmute: {
      if (!context_.moderation->mutes().Remove(NameKey(who), now)) {
        reply.push_back(ErrorLine(absl::StrCat(who, " is not muted.")));
        return true;
      }
      LOG(INFO) << "moderation: " << me << " unmuted " << who;
      count(Action::kUnmute);
      context_.names->DeliverTo(
          who, MakeEvent(Event::Kind::kPrivate, now, me, "You can speak again.", id_));
      reply.push_back(ReplyLine(absl::StrCat("You unmuted ", who, ".")));
      return true;
    }
    case Kind::kOp:
    case Kind::kDeop: {
      const bool op = command.kind == Kind::kOp;
      const std::string key = NameKey(who);
      if (key == NameKey(me)) {
        reply.push_back(ErrorLine(absl::StrCat("You cannot ", Verb(command.kind), " yourself.")));
        return true;
      }
      absl::StatusOr<std::optional<identity::Account>> account =
          context_.identity->FindAccount(key);
      if (!account.ok()) {
        LOG(ERROR) << "identity store: " << account.status();
        reply.push_back(ErrorLine(kStoreTrouble));
        return true;
      }
      if (!account->has_value()) {
        reply.push_back(ErrorLine(absl::StrCat(
            "No such registered name: ", who, " (only registered names can be operators).")));
        return true;
      }
      const std::string& display = (*account)->name;
      if (!op && context_.moderation->IsFlagOperator(key)) {
        reply.push_back(ErrorLine(absl::StrCat(
            display, " is an operator by the server's --operators flag; only the server's "
                     "administrator can change that.")));
        return true;
      }
      if ((*account)->is_operator == op) {
        reply.push_back(ErrorLine(
            absl::StrCat(display, op ? " is already an operator." : " is not an operator.")));
        return true;
      }
      if (const absl::Status s = context_.identity->SetOperator(key, op); !s.ok()) {
        LOG(ERROR) << "identity store: " << s;
        reply.push_back(ErrorLine(kStoreTrouble));
        return true;
      }
      LOG(INFO) << "moderation: " << me << (op ? " opped " : " deopped ") << display;
      count(op ? Action::kOp : Action::kDeop);
      context_.names->DeliverTo(
          display, MakeEvent(Event::Kind::kPrivate, now, me,
                             op ? "You are now an operator." : "You are no longer an operator.",
                             id_));
      reply.push_back(ReplyLine(absl::StrCat(
          display, op ? " is now an operator." : " is no longer an operator.")));
      return true;
    }
    default:
      return true;
  }
}

}  // namespace chat
