// Session: registered names (issue #12): the password at login, /register, /password and
// /unregister. (The rest of Session is in session.cc and session_commands.cc.)
//
// Passwords are read at secret prompts, one line each, on the reader thread, which holds
// no lock while hashing (Argon2id takes ~0.1 s and only this client waits for it). A
// password is never logged, echoed, stored (only its hash is) or kept after the dialogue:
// the held first typing is wiped as soon as the dialogue ends. Texts here are part of the
// protocol: README.md documents them, tests pin them.

#include <sys/socket.h>

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "chat/identity/login_throttle.h"
#include "chat/identity/password.h"
#include "chat/message.h"
#include "chat/name.h"
#include "chat/session.h"
#include "glog/logging.h"

namespace chat {
namespace {

Frame ReplyLine(std::string text) { return NoticeFrame(NoticeKind::kReply, std::move(text)); }
Frame ErrorLine(std::string text) { return NoticeFrame(NoticeKind::kError, std::move(text)); }
Frame NamePrompt() { return NoticeFrame(NoticeKind::kNamePrompt, SharedText()); }

constexpr char kStoreTrouble[] = "Registered names cannot be checked right now; try again later.";
// Every password hashing slot stayed taken for --password_hash_wait: nothing was done.
constexpr char kBusy[] = "The server is busy checking passwords; try again in a few seconds.";

// Overwrites a password before its memory is freed, so it does not linger in the heap.
void Wipe(std::string& secret) {
  volatile char* p = secret.data();
  for (size_t i = 0; i < secret.size(); ++i) p[i] = 0;
  secret.clear();
}

// "4s", "15m": whole seconds, rounded up, so "wait 0s" is never said.
std::string WaitText(absl::Duration wait) {
  return absl::FormatDuration(absl::Ceil(std::max(wait, absl::Seconds(1)), absl::Seconds(1)));
}

std::string TooManyPasswordOps(absl::Duration wait) {
  return absl::StrCat("Too many password checks on this connection; try again in ",
                      WaitText(wait), ".");
}

std::string TooManyRegistrations(double per_day, absl::Duration wait) {
  return absl::StrCat("Too many registrations from your address (at most ", per_day,
                      " a day); try again in ", WaitText(wait), ".");
}

std::string TooManyWrongPasswords(absl::Duration wait) {
  return absl::StrCat("Too many wrong passwords from your address; try again in ",
                      WaitText(wait), ".");
}

const char* PromptWords(int step) {
  switch (step) {
    case 0: return "ENTER PASSWORD";
    case 1: return "REPEAT PASSWORD";
    case 2: return "ENTER NEW PASSWORD";
    default: return "REPEAT NEW PASSWORD";
  }
}

}  // namespace

void Session::AskSecret(SecretStep step) {
  secret_step_ = step;
  int words = 0;
  if (step == SecretStep::kRegisterRepeat) words = 1;
  if (step == SecretStep::kNewPassword) words = 2;
  if (step == SecretStep::kNewRepeat) words = 3;
  std::string replies;
  protocol_->SetSecretInput(true, replies);
  std::vector<Frame> frames;
  if (!replies.empty()) frames.push_back(NoticeFrame(NoticeKind::kProtocol, std::move(replies)));
  frames.push_back(NoticeFrame(NoticeKind::kSecretPrompt, PromptWords(words)));
  Enqueue(std::move(frames));
}

std::vector<Frame> Session::EndSecret() {
  std::string replies;
  protocol_->SetSecretInput(false, replies);
  std::vector<Frame> frames;
  if (!replies.empty()) frames.push_back(NoticeFrame(NoticeKind::kProtocol, std::move(replies)));
  return frames;
}

bool Session::TakePasswordOp(std::vector<Frame>& reply) {
  const absl::Time now = context_.clock->Now();
  if (password_ops_.Allow(now)) return true;
  reply.push_back(ErrorLine(TooManyPasswordOps(password_ops_.TimeUntilAvailable(1, now))));
  return false;
}

void Session::AskLoginPassword(std::string name) {
  const identity::LoginThrottle::Verdict verdict =
      context_.login_throttle->Check(address_key_, context_.clock->Now());
  if (verdict.kind == identity::LoginThrottle::Verdict::Kind::kLockedOut) {
    LOG(WARNING) << "login refused for " << peer_ << ": locked out after wrong passwords";
    Enqueue({ErrorLine(TooManyWrongPasswords(verdict.wait))});
    EndWith(EndReason::kLoginRefused, SHUT_RD);
    stop_reading_ = true;
    return;
  }
  if (!verdict.allowed()) {
    Enqueue({ErrorLine(TooManyWrongPasswords(verdict.wait)), NamePrompt()});
    return;
  }
  // Refused before the prompt rather than after the password is typed. A password typed
  // ahead must not become a name: the next other name must be typed twice, as after a
  // wrong password.
  if (const absl::Duration wait = password_ops_.TimeUntilAvailable(1, context_.clock->Now());
      wait > absl::ZeroDuration()) {
    wrong_password_for_ = NameKey(name);
    Enqueue({ErrorLine(TooManyPasswordOps(wait)), NamePrompt()});
    return;
  }
  login_candidate_ = std::move(name);
  AskSecret(SecretStep::kLoginPassword);
}

bool Session::CheckPassword(std::string_view account_key, std::string_view password,
                            std::vector<Frame>& reply, std::string* stored_hash) {
  identity::LoginThrottle& throttle = *context_.login_throttle;
  // The connection's own limit first: a refusal there must not count for the address.
  if (!TakePasswordOp(reply)) return false;
  // Counted before the hash, so that concurrent guesses from one address (several
  // connections) cannot all pass the check together; refunded if it is never checked.
  identity::LoginThrottle::Verdict verdict =
      throttle.Reserve(address_key_, context_.clock->Now());
  if (verdict.allowed()) {
    absl::StatusOr<std::optional<identity::Account>> account =
        context_.identity->FindAccount(account_key);
    if (!account.ok()) {
      throttle.Refund(address_key_);
      LOG(ERROR) << "identity store: reading an account for " << peer_ << ": " << account.status();
      reply.push_back(ErrorLine(kStoreTrouble));
      return false;
    }
    // An account deleted meanwhile has no password that could match.
    absl::StatusOr<bool> right =
        account->has_value() ? identity::TryVerifyPassword(password, (*account)->password_hash)
                             : false;
    if (!right.ok()) {
      throttle.Refund(address_key_);
      LOG(WARNING) << "password check for " << peer_ << " not run: " << right.status();
      reply.push_back(ErrorLine(kBusy));
      return false;
    }
    if (*right) {
      throttle.RecordSuccess(address_key_);
      if (stored_hash != nullptr) *stored_hash = (*account)->password_hash;
      // Costs raised since this hash was made: upgrade it now that the password is known.
      if (identity::NeedsRehash((*account)->password_hash, context_.password_options)) {
        absl::StatusOr<std::string> hash =
            identity::HashPassword(password, context_.password_options);
        if (hash.ok()) {
          // Only over the hash just verified: a password changed since stays changed (and
          // the proof kept below is then stale, which the caller's re-check notices).
          absl::Status s = context_.identity->ReplacePasswordHash(
              account_key, (*account)->password_hash, *hash);
          LOG_IF(WARNING, !s.ok() && !absl::IsFailedPrecondition(s))
              << "identity store: rehashing a password: " << s;
          LOG_IF(INFO, absl::IsFailedPrecondition(s))
              << "not rehashing a password for " << peer_ << ": it changed meanwhile";
          if (s.ok() && stored_hash != nullptr) *stored_hash = *std::move(hash);
        }
      }
      return true;
    }
    verdict = throttle.ConfirmFailure(address_key_, context_.clock->Now());
    context_.metrics->failed_logins.Increment();
    LOG(INFO) << "wrong password from " << peer_;
    reply.push_back(ErrorLine("Wrong password."));
  }
  if (verdict.kind == identity::LoginThrottle::Verdict::Kind::kLockedOut) {
    LOG(WARNING) << "locking out " << peer_ << " for " << verdict.wait
                 << " after wrong passwords";
    reply.push_back(ErrorLine(TooManyWrongPasswords(verdict.wait)));
    EndWith(EndReason::kLoginRefused, SHUT_RD);
    stop_reading_ = true;
  } else if (!verdict.allowed()) {
    reply.push_back(ErrorLine(TooManyWrongPasswords(verdict.wait)));
  }
  return false;
}

std::optional<std::string> Session::AccountChangedSince(std::string_view key,
                                                        std::string_view verified_hash) {
  absl::StatusOr<std::optional<identity::Account>> account = context_.identity->FindAccount(key);
  if (!account.ok()) {
    LOG(ERROR) << "identity store: re-reading an account for " << peer_ << ": "
               << account.status();
    return std::string(kStoreTrouble);
  }
  if (account->has_value() && (*account)->password_hash == verified_hash) return std::nullopt;
  LOG(INFO) << "login of " << peer_ << " refused: the account changed during the login";
  return "The account changed while you were logging in; nothing was done. Try again.";
}

std::optional<std::string> Session::RegisteredToSomeoneElse(std::string_view name) {
  if (context_.identity == nullptr) return std::nullopt;
  const std::string key = NameKey(name);
  absl::StatusOr<std::optional<identity::Account>> account = context_.identity->FindAccount(key);
  if (!account.ok()) {
    LOG(ERROR) << "identity store: looking up a name for " << peer_ << ": " << account.status();
    return std::string(kStoreTrouble);
  }
  if (!account->has_value()) return std::nullopt;
  // Back to the name this client proved it owns, unless the account changed since: a new
  // password or a new owner (unregistered and registered again) voids the old proof.
  if (key == authenticated_key_ && (*account)->password_hash == authenticated_hash_) {
    return std::nullopt;
  }
  return absl::StrCat("Name '", name,
                      "' is registered; to use it, log in with it and its password.");
}

bool Session::RunIdentityCommand(const Command& command, std::vector<Frame>& reply) {
  if (context_.identity == nullptr) {
    reply.push_back(ErrorLine("Registered names are not enabled on this server."));
    return true;
  }
  const std::string name = this->name();
  const std::string key = NameKey(name);
  const bool mine = !authenticated_key_.empty() && key == authenticated_key_;
  switch (command.kind) {
    case Command::Kind::kRegister: {
      if (mine) {
        reply.push_back(ErrorLine(absl::StrCat("You are already registered as ", name, ".")));
        return true;
      }
      absl::StatusOr<std::optional<identity::Account>> account =
          context_.identity->FindAccount(key);
      if (!account.ok()) {
        LOG(ERROR) << "identity store: " << account.status();
        reply.push_back(ErrorLine(kStoreTrouble));
        return true;
      }
      if (account->has_value()) {  // registered by someone while this client had the name
        reply.push_back(ErrorLine(absl::StrCat("Name '", name, "' is already registered.")));
        return true;
      }
      // Said before the passwords are typed; taken only when the registration is made.
      if (context_.registrations != nullptr) {
        if (const absl::Duration wait =
                context_.registrations->Wait(address_key_, context_.clock->Now());
            wait > absl::ZeroDuration()) {
          reply.push_back(
              ErrorLine(TooManyRegistrations(context_.registrations->per_day(), wait)));
          return true;
        }
      }
      Enqueue(std::move(reply));
      reply.clear();
      AskSecret(SecretStep::kRegisterPassword);
      return false;
    }
    case Command::Kind::kPassword:
    case Command::Kind::kUnregister:
      if (!mine) {
        reply.push_back(ErrorLine("Your name is not registered (see /register)."));
        return true;
      }
      Enqueue(std::move(reply));
      reply.clear();
      AskSecret(command.kind == Command::Kind::kPassword ? SecretStep::kOldPassword
                                                          : SecretStep::kUnregisterPassword);
      return false;
    default:
      return true;
  }
}

void Session::NoteDroppedDialogue(std::string_view text) {
  if (secret_step_ != SecretStep::kNone) return;
  if (!in_room_) {
    // A name dropped at the name prompt asked for no password: had it been a registered
    // name, the password typed after it would otherwise be read as the next name, and
    // shown to the room. The line after it is discarded unread. (Without registered
    // names there are no passwords to protect.)
    if (context_.identity == nullptr) return;
    typed_ahead_to_discard_ = 1;
    if (flood_drops_ == 1) {  // one notice per flood, like the flood notice itself
      Enqueue({ErrorLine("That name was not read (you were sending too fast); your next line "
                         "is discarded in case it was a password."),
               NamePrompt()});
    }
    return;
  }
  // How many passwords the dropped command would have asked for.
  size_t passwords = 0;
  std::string_view word;
  switch (ParseCommand(text).kind) {
    case Command::Kind::kRegister: passwords = 2; word = "/register"; break;
    case Command::Kind::kPassword: passwords = 3; word = "/password"; break;
    case Command::Kind::kUnregister: passwords = 1; word = "/unregister"; break;
    default: return;
  }
  // A client that typed its passwords ahead (pasted, or quicker than the prompt) would
  // otherwise see them said to the room as chat lines, now that the flood has passed.
  typed_ahead_to_discard_ = passwords;
  Enqueue({ErrorLine(absl::StrCat("That ", word,
                                  " was not run (you were sending too fast); your next ",
                                  passwords, passwords == 1 ? " line is" : " lines are",
                                  " discarded in case they were passwords.")),
           PromptFrame()});
}

bool Session::DiscardTypedAhead(const InputLine& line) {
  if (typed_ahead_to_discard_ == 0) return false;
  --typed_ahead_to_discard_;
  (void)line;  // never looked at: it may be a password
  return true;
}

std::optional<std::string> Session::ConfirmNameAfterWrongPassword(std::string_view candidate) {
  if (wrong_password_for_.empty()) return std::nullopt;
  const std::string key = NameKey(candidate);
  // The same name (its password is asked again) or another one typed twice: go ahead.
  if (key == wrong_password_for_ || key == unconfirmed_name_) {
    wrong_password_for_.clear();
    unconfirmed_name_.clear();
    return std::nullopt;
  }
  // Right after a wrong password, a line at the name prompt is as likely the password
  // typed again (or typed ahead while the check ran) as a name: taken as a name it would
  // be shown to the whole room. The refusal does not repeat it.
  unconfirmed_name_ = key;
  return "That was not the name you just gave a wrong password for. To log in under "
         "another name, type it again.";
}

void Session::HandleSecretLine(const InputLine& line) {
  const SecretStep step = secret_step_;
  secret_step_ = SecretStep::kNone;
  std::vector<Frame> reply = EndSecret();
  // What follows the dialogue: the name prompt before login, a chat prompt after.
  const auto finish = [&] {
    Wipe(secret_held_);
    if (!stop_reading_) reply.push_back(in_room_ ? PromptFrame() : NamePrompt());
    Enqueue(std::move(reply));
  };
  if (step == SecretStep::kNone) {
    // A client that marks a line as a password when none was asked for: refuse it
    // without saying it anywhere.
    reply.push_back(ErrorLine("No password was asked for."));
    finish();
    return;
  }
  if (!line.refusal.empty() || line.too_long) {
    reply.push_back(ErrorLine(
        !line.refusal.empty()
            ? line.refusal
            : absl::StrCat("Password is too long (at most ", identity::kMaxPasswordBytes,
                           " bytes).")));
    login_candidate_.clear();
    finish();
    return;
  }
  const std::string_view password = line.text;
  const absl::Time now = context_.clock->Now();
  switch (step) {
    case SecretStep::kLoginPassword: {
      const std::string candidate = std::exchange(login_candidate_, std::string());
      const std::string key = NameKey(candidate);
      std::string hash;
      if (!CheckPassword(key, password, reply, &hash)) {
        wrong_password_for_ = key;
        break;
      }
      // With the session's id, like any login: /reply and /ignore find the client by it.
      if (std::optional<std::string> refusal =
              ClaimRefusal(context_.names->TryClaim(candidate, this, id_), candidate)) {
        reply.push_back(ErrorLine(*std::move(refusal)));
        break;
      }
      // The check and the claim are two steps: read the account again now that the name
      // is held. Changed meanwhile (a new password, unregistered, a new owner), the proof
      // is void; unchanged, it held at the moment of the claim.
      if (std::optional<std::string> why = AccountChangedSince(key, hash)) {
        context_.names->Release(candidate);
        wrong_password_for_ = key;
        reply.push_back(ErrorLine(*std::move(why)));
        break;
      }
      authenticated_key_ = key;
      authenticated_hash_ = std::move(hash);
      // Before entering the room: the history replayed there is filtered by it too.
      RestoreIgnores(key);
      Enqueue(std::move(reply));
      CompleteLogin(candidate);  // notes the name as registered
      in_room_ = true;
      LOG(INFO) << "password accepted for " << candidate << " from " << peer_;
      return;
    }
    case SecretStep::kRegisterPassword:
    case SecretStep::kNewPassword:
      if (std::optional<std::string> why = identity::ValidatePassword(password)) {
        reply.push_back(ErrorLine(*why));
        break;
      }
      secret_held_ = std::string(password);
      Enqueue(std::move(reply));
      AskSecret(step == SecretStep::kRegisterPassword ? SecretStep::kRegisterRepeat
                                                      : SecretStep::kNewRepeat);
      return;
    case SecretStep::kRegisterRepeat:
    case SecretStep::kNewRepeat: {
      if (password != secret_held_) {
        reply.push_back(ErrorLine("The passwords do not match; nothing was changed."));
        break;
      }
      bool took_registration = false;
      if (step == SecretStep::kRegisterRepeat && context_.registrations != nullptr) {
        // Another connection of the address may have registered since the check.
        absl::Duration wait;
        if (!context_.registrations->TryTake(address_key_, now, &wait)) {
          reply.push_back(
              ErrorLine(TooManyRegistrations(context_.registrations->per_day(), wait)));
          break;
        }
        took_registration = true;
      }
      // A registration that fails (busy, name taken meanwhile, store trouble) costs the
      // address none of its few a day.
      absl::Cleanup refund_registration = [&] {
        if (took_registration) context_.registrations->Refund(address_key_);
      };
      if (!TakePasswordOp(reply)) break;
      absl::StatusOr<std::string> hash =
          identity::HashPassword(password, context_.password_options);
      if (absl::IsDeadlineExceeded(hash.status())) {
        LOG(WARNING) << "password hash for " << peer_ << " not made: " << hash.status();
        reply.push_back(ErrorLine(kBusy));
        break;
      }
      if (!hash.ok()) {
        LOG(ERROR) << "hashing a password: " << hash.status();
        reply.push_back(ErrorLine(kStoreTrouble));
        break;
      }
      const std::string name = this->name();
      const std::string key = NameKey(name);
      if (step == SecretStep::kRegisterRepeat) {
        const absl::Status s = context_.identity->CreateAccount(
            identity::Account{key, name, *hash, false, now});
        if (absl::IsAlreadyExists(s)) {
          reply.push_back(ErrorLine(absl::StrCat("Name '", name, "' is already registered.")));
          break;
        }
        if (!s.ok()) {
          LOG(ERROR) << "identity store: registering: " << s;
          reply.push_back(ErrorLine(kStoreTrouble));
          break;
        }
        std::move(refund_registration).Cancel();
        authenticated_key_ = key;
        authenticated_hash_ = *std::move(hash);
        // Whom this connection ignores already is kept with the new account too.
        for (const IgnoreList::Entry& entry : *ignored_.snapshot()) SaveIgnore(entry.name);
        NoteRegistered();
        LOG(INFO) << "register " << peer_ << " " << name;
        reply.push_back(ReplyLine(absl::StrCat(
            "You registered ", name, ". From now on this name needs your password to log in.")));
      } else {
        const absl::Status s = context_.identity->SetPasswordHash(key, *hash);
        if (!s.ok()) {
          LOG(ERROR) << "identity store: changing a password: " << s;
          reply.push_back(ErrorLine(kStoreTrouble));
          break;
        }
        authenticated_hash_ = *std::move(hash);
        LOG(INFO) << "password changed for " << name << " by " << peer_;
        reply.push_back(ReplyLine("Your password was changed."));
      }
      break;
    }
    case SecretStep::kOldPassword:
    case SecretStep::kUnregisterPassword: {
      const std::string name = this->name();
      const std::string key = NameKey(name);
      // The name is this client's own account (see RunIdentityCommand): a rehash keeps
      // its proof current.
      if (!CheckPassword(key, password, reply, &authenticated_hash_)) break;
      if (step == SecretStep::kOldPassword) {
        Enqueue(std::move(reply));
        AskSecret(SecretStep::kNewPassword);
        return;
      }
      const absl::Status s = context_.identity->DeleteAccount(key);
      if (!s.ok() && !absl::IsNotFound(s)) {
        LOG(ERROR) << "identity store: unregistering: " << s;
        reply.push_back(ErrorLine(kStoreTrouble));
        break;
      }
      authenticated_key_.clear();
      authenticated_hash_.clear();
      NoteRegistered();
      LOG(INFO) << "unregister " << peer_ << " " << name;
      reply.push_back(ReplyLine(absl::StrCat(name, " is no longer registered.")));
      break;
    }
    case SecretStep::kNone:
      break;
  }
  finish();
}

}  // namespace chat
