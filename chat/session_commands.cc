// Session: what each chat command does. (The rest of Session is in session.cc.)
//
// Replies go to the sender only and never into any history. Texts here are part of the
// protocol: README.md documents them, tests pin them.

#include <sys/socket.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "chat/message.h"
#include "chat/name.h"
#include "chat/sanitize.h"
#include "chat/session.h"
#include "glog/logging.h"

namespace chat {
namespace {

Frame ReplyLine(std::string text) { return NoticeFrame(NoticeKind::kReply, std::move(text)); }
// A refusal: the command was not carried out.
Frame ErrorLine(std::string text) { return NoticeFrame(NoticeKind::kError, std::move(text)); }

// The longest /away message: a status, not a letter.
constexpr size_t kMaxAwayBytes = 200;

// /whois: "bob: in general, not registered, idle 3m12s, connected 1h5s", then
// "bob is away: lunch" when away and "bob's address: 1.2.3.4:5678" when `show_address`.
std::string FormatWhois(const UserInfo& info, absl::Time now, bool show_address) {
  std::string text = absl::StrCat(info.name, ": in ", info.room, ", ",
                                  info.registered ? "registered" : "not registered", ", idle ",
                                  FormatElapsed(now - info.last_line_at), ", connected ",
                                  FormatElapsed(now - info.connected_at));
  if (!info.away.empty()) absl::StrAppend(&text, "\n", info.name, " is away: ", info.away);
  if (show_address) absl::StrAppend(&text, "\n", info.name, "'s address: ", info.address);
  return text;
}

// /users with --redis: adds the members of `room` on the other servers to `members` (this
// server's, as Room::MemberListing() lists them), in one order by name.
void AddMembersElsewhere(const SharedNames::Listing& elsewhere, std::string_view room,
                         std::vector<std::string>& members) {
  const std::string room_key = NameKey(room);
  std::vector<std::string> added;
  for (const UserInfo& user : elsewhere.users) {
    if (NameKey(user.room) != room_key) continue;
    added.push_back(user.away.empty() ? user.name : absl::StrCat(user.name, " (away)"));
  }
  if (added.empty()) return;
  members.insert(members.end(), added.begin(), added.end());
  // Listed names sort as their names do: " (away)" follows a whole name.
  std::sort(members.begin(), members.end());
}

// /rooms with --redis: the other servers' members counted into their rooms, and rooms
// that exist only elsewhere listed too, sorted by name as Lobby::List() sorts.
void AddRoomsElsewhere(const SharedNames::Listing& elsewhere,
                       std::vector<std::pair<std::string, size_t>>& rooms) {
  if (elsewhere.users.empty()) return;
  absl::flat_hash_map<std::string, size_t> index;  // room key -> position in `rooms`
  for (size_t i = 0; i < rooms.size(); ++i) index.emplace(NameKey(rooms[i].first), i);
  for (const UserInfo& user : elsewhere.users) {
    const auto [it, added] = index.emplace(NameKey(user.room), rooms.size());
    if (added) rooms.emplace_back(user.room, 0);
    ++rooms[it->second].second;
  }
  std::sort(rooms.begin(), rooms.end());
}

// What a listing that could not be complete says about it ("" when complete).
std::string OthersNote(const SharedNames::Listing& elsewhere) {
  if (elsewhere.unavailable) return absl::StrCat("\n", kOthersUnavailable);
  if (elsewhere.truncated) {
    return absl::StrCat("\n", FormatOthersTruncated(elsewhere.users.size()));
  }
  return "";
}

// What the sender of a private message is told about its recipient: nothing, or that it
// is away.
void NoteAway(const UserInfo& to, std::vector<Frame>& reply) {
  if (!to.away.empty()) reply.push_back(ReplyLine(absl::StrCat(to.name, " is away: ", to.away)));
}

// What the sender of a private message to another instance is told: nothing once it is
// handed over, as for a local one.
void TellSentElsewhere(RemoteUsers::Result result, std::string_view recipient,
                       std::vector<Frame>& reply) {
  switch (result) {
    case RemoteUsers::Result::kSent:
      VLOG(1) << "private message -> " << recipient << " (another instance)";
      return;
    case RemoteUsers::Result::kNoSuchUser:
      reply.push_back(ErrorLine(absl::StrCat("No such user: ", recipient)));
      return;
    case RemoteUsers::Result::kUnavailable:
      reply.push_back(ErrorLine(std::string(kChatUnavailable)));
      return;
  }
}

// A private message to a name nobody here has: another instance's user, if any has it.
void SendElsewhere(RemoteUsers* remote, std::string_view recipient, std::string_view sender,
                   std::string_view text, uint64_t sender_id, std::vector<Frame>& reply) {
  TellSentElsewhere(remote == nullptr ? RemoteUsers::Result::kNoSuchUser
                                      : remote->SendPrivate(recipient, sender, text, sender_id),
                    recipient, reply);
}

}  // namespace

bool Session::RunCommand(const Command& command, std::vector<Frame>& reply) {
  const absl::Time now = context_.clock->Now();
  const absl::TimeZone zone = context_.time_zone;
  // A muted client reads but does not speak (issue #12): no lines, emotes, private
  // messages or new names.
  switch (command.kind) {
    case Command::Kind::kMessage:
      if (IsBlank(command.text)) break;
      [[fallthrough]];
    case Command::Kind::kMe:
    case Command::Kind::kMsg:
    case Command::Kind::kReply:
    case Command::Kind::kName:
      if (std::optional<std::string> muted = MutedRefusal()) {
        reply.push_back(ErrorLine(*std::move(muted)));
        return true;
      }
      break;
    default:
      break;
  }
  switch (command.kind) {
    case Command::Kind::kMessage:
      if (IsBlank(command.text)) {
        context_.metrics->rejected_lines(metrics::RejectReason::kEmpty).Increment();
        return true;
      }
      {
        const std::string name = this->name();
        if (!room_->Post(MakeEvent(Event::Kind::kChat, now, name, std::string(command.text), id_),
                         membership_.get())) {
          reply.push_back(ErrorLine(std::string(kChatUnavailable)));
          return true;
        }
        context_.lobby->EnforceHistoryBudget();
        context_.metrics->messages_broadcast.Increment();
        LOG_IF(INFO, context_.options.log_message_text)
            << "message from " << name << " in " << room_->name() << ": " << command.text;
        VLOG(1) << "message from " << name << " in " << room_->name() << " ("
                << command.text.size() << " bytes)";
      }
      return true;
    case Command::Kind::kMe: {
      const std::string name = this->name();
      if (!room_->Post(MakeEvent(Event::Kind::kEmote, now, name, std::string(command.text), id_),
                       membership_.get())) {
        reply.push_back(ErrorLine(std::string(kChatUnavailable)));
        return true;
      }
      context_.lobby->EnforceHistoryBudget();
      context_.metrics->messages_broadcast.Increment();
      VLOG(1) << "emote from " << name << " in " << room_->name();
      return true;
    }
    case Command::Kind::kHelp:
      reply.push_back(ReplyLine(std::string(absl::StripSuffix(kHelpText, "\n"))));
      return true;
    case Command::Kind::kName:
      Rename(command.target, reply);
      return true;
    case Command::Kind::kUsers: {
      std::vector<std::string> members = room_->MemberListing();
      size_t total = context_.names->size();
      std::string note;
      // With --redis, the room's members on the other servers too (asked with no lock held).
      if (SharedNames* const shared = context_.names->shared()) {
        const SharedNames::Listing elsewhere = shared->ListElsewhere();
        AddMembersElsewhere(elsewhere, room_->name(), members);
        total += elsewhere.users.size();
        note = OthersNote(elsewhere);
      }
      reply.push_back(ReplyLine(absl::StrCat("Users in ", room_->name(), " (", members.size(),
                                             "): ", absl::StrJoin(members, ", "),
                                             "\nConnected in total: ", total, note)));
      return true;
    }
    case Command::Kind::kMsg:
      SendPrivate(command.target, command.text, reply);
      return true;
    case Command::Kind::kRooms: {
      std::vector<std::pair<std::string, size_t>> listed = context_.lobby->List();
      std::string note;
      if (SharedNames* const shared = context_.names->shared()) {
        const SharedNames::Listing elsewhere = shared->ListElsewhere();
        AddRoomsElsewhere(elsewhere, listed);
        note = OthersNote(elsewhere);
      }
      std::vector<std::string> rooms;
      for (const auto& [name, members] : listed) {
        rooms.push_back(absl::StrCat(name, " (", members, ")"));
        // "general (3) — Be nice": each topic looked up here, with no lock held.
        if (context_.identity != nullptr) {
          absl::StatusOr<std::optional<identity::Topic>> topic =
              context_.identity->GetTopic(NameKey(name));
          if (topic.ok() && topic->has_value()) {
            absl::StrAppend(&rooms.back(), " \u2014 ", (*topic)->text);
          }
        }
      }
      reply.push_back(ReplyLine(absl::StrCat("Rooms: ", absl::StrJoin(rooms, ", "), note)));
      return true;
    }
    case Command::Kind::kJoin:
      return MoveToRoom(command.target, reply);
    case Command::Kind::kPing:
      reply.push_back(ReplyLine(absl::StrCat("pong ", FormatTimestamp(now, zone))));
      return true;
    // Issue #12, for everyone.
    case Command::Kind::kWhois:
      Whois(command.target, reply);
      return true;
    case Command::Kind::kIgnore:
      if (command.target.empty()) {
        ListIgnored(reply);
      } else {
        Ignore(command.target, reply);
      }
      return true;
    case Command::Kind::kUnignore:
      Unignore(command.target, reply);
      return true;
    case Command::Kind::kAway:
      SetAway(command.text, reply);
      return true;
    case Command::Kind::kReply:
      ReplyToLast(command.text, reply);
      return true;
    case Command::Kind::kQuit:
      reply.push_back(ReplyLine("Bye!"));
      EndWith(EndReason::kQuit, SHUT_RD);
      stop_reading_ = true;
      return false;
    case Command::Kind::kRegister:
    case Command::Kind::kPassword:
    case Command::Kind::kUnregister:
      return RunIdentityCommand(command, reply);
    case Command::Kind::kOp:
    case Command::Kind::kDeop:
    case Command::Kind::kKick:
    case Command::Kind::kBan:
    case Command::Kind::kUnban:
    case Command::Kind::kBans:
    case Command::Kind::kMute:
    case Command::Kind::kUnmute:
    case Command::Kind::kMutes:
    case Command::Kind::kTopic:
      return RunModerationCommand(command, reply);
    case Command::Kind::kUnknown:
      reply.push_back(
          ErrorLine(absl::StrCat("Unknown command: ", command.target, " (try /help)")));
      return true;
    case Command::Kind::kUsage:
      reply.push_back(ErrorLine(std::string(command.text)));
      return true;
  }
  return true;
}

void Session::Rename(std::string_view new_name, std::vector<Frame>& reply) {
  const std::string old_name = name();
  if (std::optional<std::string> refusal = ValidateName(new_name)) {
    reply.push_back(ErrorLine(*refusal));
    return;
  }
  if (new_name == old_name) {
    reply.push_back(ErrorLine(absl::StrCat("You are already called ", new_name, ".")));
    return;
  }
  if (std::optional<std::string> refusal = RegisteredToSomeoneElse(new_name)) {
    reply.push_back(ErrorLine(*refusal));
    return;
  }
  if (context_.identity != nullptr) {  // a banned name cannot be taken by renaming either
    absl::StatusOr<std::optional<identity::Ban>> ban =
        context_.identity->FindActiveBan(NameKey(new_name), {}, context_.clock->Now());
    if (ban.ok() && ban->has_value()) {
      reply.push_back(ErrorLine(absl::StrCat("Name '", new_name, "' is banned.")));
      return;
    }
  }
  // With registered names the check above and the claim are two steps: hold the new name
  // first (a reservation), check again, and only then rename onto it, so no account can
  // change unseen between the last check and the claim.
  const bool reserve = context_.identity != nullptr && NameKey(new_name) != NameKey(old_name);
  if (reserve) {
    if (std::optional<std::string> refusal =
            ClaimRefusal(context_.names->TryClaim(new_name, this, /*id=*/0), new_name)) {
      reply.push_back(ErrorLine(*std::move(refusal)));
      return;
    }
    if (std::optional<std::string> refusal = RegisteredToSomeoneElse(new_name)) {
      context_.names->Release(new_name);
      reply.push_back(ErrorLine(*refusal));
      return;
    }
  }
  if (const ClaimResult renamed = context_.names->TryRename(old_name, new_name);
      renamed != ClaimResult::kClaimed) {
    if (reserve) context_.names->Release(new_name);
    // Only the registry's refusal here: a taken name, or the cluster unreachable.
    reply.push_back(ErrorLine(*ClaimRefusal(renamed, new_name)));
    return;
  }
  {
    absl::MutexLock lock(&name_mu_);
    name_ = std::string(new_name);
  }
  NoteRegistered();
  LOG(INFO) << "rename " << peer_ << " " << old_name << " -> " << new_name;
  room_->Post(MakeEvent(Event::Kind::kRename, context_.clock->Now(), old_name,
                        std::string(new_name), id_),
              membership_.get());
  context_.metrics->messages_broadcast.Increment();
  reply.push_back(ReplyLine(absl::StrCat("You are now known as ", new_name, ".")));
}

bool Session::MoveToRoom(std::string_view room_name, std::vector<Frame>& reply) {
  if (std::optional<std::string> refusal = ValidateRoomName(room_name)) {
    reply.push_back(ErrorLine(*refusal));
    return true;
  }
  // By key: `/join GENERAL` from general would otherwise "move" into the same room.
  if (NameKey(room_name) == NameKey(room_->name())) {
    reply.push_back(ErrorLine(absl::StrCat("You are already in ", room_->name(), ".")));
    return true;
  }
  const std::string name = this->name();
  // Whatever the client was owed (replies queued earlier) goes out before the move.
  Enqueue(std::move(reply));
  reply.clear();
  JoinRefusal refusal = JoinRefusal::kNone;
  const absl::Time now = context_.clock->Now();
  RoomEntry entry = context_.lobby->Move(
      room_, membership_, std::string(room_name), AsJoiner(),
      MakeEvent(Event::Kind::kLeave, now, name, {}, id_),
      MakeEvent(Event::Kind::kJoin, now, name, {}, id_), &refusal);
  if (entry.room == nullptr) {
    switch (refusal) {
      case JoinRefusal::kTooManyOfYours:
        reply.push_back(
            ErrorLine(FormatTooManyRoomsOfYours(context_.lobby->options().max_rooms_per_creator)));
        break;
      case JoinRefusal::kCreatingTooFast:
        reply.push_back(ErrorLine(FormatCreatingRoomsTooFast(entry.retry_after)));
        break;
      default:
        reply.push_back(ErrorLine(FormatTooManyRooms(context_.lobby->max_rooms())));
    }
    return true;
  }
  if (entry.position.membership == nullptr) {  // the same room under another spelling
    reply.push_back(ErrorLine(absl::StrCat("You are already in ", room_->name(), ".")));
    return true;
  }
  LOG(INFO) << "join " << peer_ << " " << name << " " << room_->name() << " -> "
            << entry.room->name();
  // The room's own spelling: `/join DEV` enters `dev`.
  std::string note = absl::StrCat("You are now in ", entry.room->name(), ".");
  const std::string entered = entry.room->name();
  // Our reference was the old room's last one if the move removed it from the lobby.
  Enter(std::move(entry), std::move(note));
  PublishPresence();
  context_.metrics->messages_broadcast.Increment(2);  // leave and join notices
  // After the history (the writer draws it for the follow frame queued above).
  if (context_.identity != nullptr) {
    std::vector<Frame> topic;
    AppendTopic(entered, topic);
    if (!topic.empty()) {
      topic.push_back(PromptFrame());
      Enqueue(std::move(topic));
    }
  }
  return false;  // the writer says where we are, replays the history, then prompts
}

void Session::SendPrivate(std::string_view recipient, std::string_view text,
                          std::vector<Frame>& reply) {
  const std::string name = this->name();
  if (NameKey(recipient) == NameKey(name)) {  // `/msg ALICE` from alice reaches alice
    reply.push_back(ErrorLine("You cannot send a private message to yourself."));
    return;
  }
  UserInfo to;
  // The origin lets the recipient's writer apply its /ignore and its /reply.
  if (!context_.names->DeliverTo(
          recipient,
          MakeEvent(Event::Kind::kPrivate, context_.clock->Now(), name, std::string(text), id_),
          &to)) {
    SendElsewhere(context_.remote, recipient, name, text, id_, reply);
    return;
  }
  NoteAway(to, reply);
  VLOG(1) << "private message " << name << " -> " << recipient;
}

void Session::Whois(std::string_view who, std::vector<Frame>& reply) {
  std::optional<UserInfo> info = context_.names->Find(who);
  // Someone on another server (--redis): what that server published of them.
  if (!info.has_value() && context_.names->shared() != nullptr) {
    info = context_.names->shared()->FindElsewhere(NameKey(who));
  }
  if (!info.has_value()) {
    reply.push_back(ErrorLine(absl::StrCat("No such user: ", who)));
    return;
  }
  // Another server's user's address is shown only as this server's rules allow (to
  // operators), and only if that server said it.
  reply.push_back(ReplyLine(FormatWhois(*info, context_.clock->Now(),
                                        !info->address.empty() && MaySeeAddresses())));
}

void Session::Ignore(std::string_view who, std::vector<Frame>& reply) {
  // Someone here now: the entry is that person (see chat/ignore_list.h).
  std::optional<UserInfo> info = context_.names->Find(who);
  if (!info.has_value() && context_.names->shared() != nullptr) {
    // Someone on another instance (--redis): what they send arrives with no session
    // here, which the list matches by name key, so the entry is the name alone.
    info = context_.names->shared()->FindElsewhere(NameKey(who));
    if (info.has_value()) info->id = 0;
  }
  if (!info.has_value()) {
    reply.push_back(ErrorLine(absl::StrCat("No such user: ", who)));
    return;
  }
  if (info->id == id_) {
    reply.push_back(ErrorLine("You cannot ignore yourself."));
    return;
  }
  switch (ignored_.Add(info->name, info->id)) {
    case IgnoreList::AddResult::kAdded:
      if (!SaveIgnore(info->name)) {
        ignored_.Remove(NameKey(info->name), 0);
        reply.push_back(ErrorLine(absl::StrCat("You are already ignoring ",
                                               ignored_.max_entries(),
                                               " people, the most; /unignore someone first.")));
        return;
      }
      reply.push_back(ReplyLine(absl::StrCat(
          "You are now ignoring ", info->name,
          ": you will not see their lines, emotes or private messages, whatever they are "
          "called (/unignore ", info->name, " to undo).")));
      return;
    case IgnoreList::AddResult::kAlready:
      reply.push_back(ErrorLine(absl::StrCat("You are already ignoring ", info->name, ".")));
      return;
    case IgnoreList::AddResult::kFull:
      reply.push_back(ErrorLine(absl::StrCat("You are already ignoring ",
                                             ignored_.max_entries(),
                                             " people, the most; /unignore someone first.")));
      return;
  }
}

void Session::Unignore(std::string_view who, std::vector<Frame>& reply) {
  // By the name as ignored, or by the person now called `who` (after a /name).
  const std::optional<UserInfo> info = context_.names->Find(who);
  const std::optional<std::string> removed =
      ignored_.Remove(NameKey(who), info.has_value() ? info->id : 0);
  if (!removed.has_value()) {
    reply.push_back(ErrorLine(absl::StrCat("You are not ignoring ", who, ".")));
    return;
  }
  if (SavesIgnores()) {
    const absl::Status s = context_.identity->RemoveIgnore(authenticated_key_, NameKey(*removed));
    LOG_IF(ERROR, !s.ok() && !absl::IsNotFound(s))
        << "identity store: removing an ignored name for " << peer_ << ": " << s;
  }
  reply.push_back(ReplyLine(absl::StrCat("You are no longer ignoring ", *removed, ".")));
}

bool Session::SavesIgnores() {
  if (context_.identity == nullptr || authenticated_key_.empty()) return false;
  // Only into the account this client proved it owns: unregistered and registered again
  // by someone else since, it is not this person's list any more.
  absl::StatusOr<std::optional<identity::Account>> account =
      context_.identity->FindAccount(authenticated_key_);
  return account.ok() && account->has_value() &&
         (*account)->password_hash == authenticated_hash_;
}

bool Session::SaveIgnore(std::string_view name) {
  if (!SavesIgnores()) return true;
  const absl::Status s = context_.identity->AddIgnore(
      authenticated_key_, identity::IgnoredName{NameKey(name), std::string(name)},
      context_.options.max_ignored);
  if (absl::IsResourceExhausted(s)) return false;  // the account's list is full
  // The store failing costs only the next login's copy: this connection still ignores.
  LOG_IF(ERROR, !s.ok()) << "identity store: saving an ignored name for " << peer_ << ": " << s;
  return true;
}

void Session::RestoreIgnores(std::string_view account_key) {
  absl::StatusOr<std::vector<identity::IgnoredName>> saved =
      context_.identity->ListIgnores(account_key);
  if (!saved.ok()) {
    LOG(ERROR) << "identity store: reading the ignore list for " << peer_ << ": "
               << saved.status();
    return;
  }
  // Bounded by the connection's own limit, whatever the file holds.
  for (const identity::IgnoredName& ignored : *saved) {
    if (ignored_.Add(ignored.name, 0) == IgnoreList::AddResult::kFull) break;
  }
}

void Session::ListIgnored(std::vector<Frame>& reply) {
  const std::shared_ptr<const IgnoreList::Entries> entries = ignored_.snapshot();
  if (entries->empty()) {
    reply.push_back(ReplyLine("You are not ignoring anyone."));
    return;
  }
  std::vector<std::string> names;
  for (const IgnoreList::Entry& entry : *entries) {
    std::string listed = entry.name;
    // The newest of its sessions still here says what the person is called now.
    for (auto id = entry.ids.rbegin(); id != entry.ids.rend(); ++id) {
      if (std::optional<UserInfo> now = context_.names->FindById(*id)) {
        if (now->name != entry.name) absl::StrAppend(&listed, " (now ", now->name, ")");
        break;
      }
    }
    names.push_back(std::move(listed));
  }
  reply.push_back(ReplyLine(
      absl::StrCat("Ignoring (", names.size(), "): ", absl::StrJoin(names, ", "))));
}

void Session::SetAway(std::string_view text, std::vector<Frame>& reply) {
  if (text.size() > kMaxAwayBytes) {
    reply.push_back(ErrorLine(
        absl::StrCat("Away message is too long (at most ", kMaxAwayBytes, " bytes).")));
    return;
  }
  {
    absl::MutexLock lock(&social_mu_);
    away_ = std::string(text);
  }
  PublishPresence();
  reply.push_back(ReplyLine(text.empty() ? std::string("You are no longer away.")
                                         : absl::StrCat("You are away: ", text)));
}

void Session::ReplyToLast(std::string_view text, std::vector<Frame>& reply) {
  PrivateSender to_whom;
  {
    absl::MutexLock lock(&social_mu_);
    to_whom = last_private_from_;
  }
  if (to_whom.id == 0 && to_whom.name.empty()) {
    reply.push_back(ErrorLine("Nobody has sent you a private message yet."));
    return;
  }
  UserInfo to;
  if (to_whom.id == 0 && !to_whom.instance.empty() && to_whom.remote_session != 0) {
    // From another instance's session: to that session, as a local reply goes by
    // session; whoever has its name by now may be someone else.
    TellSentElsewhere(context_.remote == nullptr
                          ? RemoteUsers::Result::kNoSuchUser
                          : context_.remote->ReplyPrivate(to_whom.instance, to_whom.remote_session,
                                                          to_whom.name, name(), text, id_),
                      to_whom.name, reply);
    return;
  }
  if (to_whom.id == 0) {
    // From another instance that did not say the sender's session: its name is the only
    // handle on the sender, here or there.
    const std::string me = name();
    if (context_.names->DeliverTo(
            to_whom.name,
            MakeEvent(Event::Kind::kPrivate, context_.clock->Now(), me, std::string(text), id_),
            &to)) {
      NoteAway(to, reply);
    } else {
      SendElsewhere(context_.remote, to_whom.name, me, text, id_, reply);
    }
    return;
  }
  // By session: the sender may have renamed since, and someone else may have its old name.
  if (!context_.names->DeliverToId(
          to_whom.id,
          MakeEvent(Event::Kind::kPrivate, context_.clock->Now(), name(), std::string(text), id_),
          &to)) {
    reply.push_back(ErrorLine(absl::StrCat("No such user: ", to_whom.name)));
    return;
  }
  NoteAway(to, reply);
  VLOG(1) << "private reply " << name() << " -> " << to.name;
}

}  // namespace chat
