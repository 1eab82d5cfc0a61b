#include "chat/moderation.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <tuple>
#include <utility>

#include "absl/strings/match.h"
#include "chat/abuse/address_key.h"

namespace chat {

MuteList::AddResult MuteList::Add(std::string key, Mute mute, absl::Time now) {
  absl::MutexLock lock(&mu_);
  if (max_entries_ > 0 && !mutes_.contains(key) && mutes_.size() >= max_entries_) {
    absl::erase_if(mutes_, [now](const auto& entry) { return entry.second.until <= now; });
    if (mutes_.size() >= max_entries_) return AddResult::kFull;
  }
  mutes_[std::move(key)] = std::move(mute);
  return AddResult::kAdded;
}

bool MuteList::Remove(std::string_view key, absl::Time now) {
  absl::MutexLock lock(&mu_);
  const auto it = mutes_.find(key);
  if (it == mutes_.end()) return false;
  const bool active = it->second.until > now;
  mutes_.erase(it);
  return active;
}

std::optional<Mute> MuteList::Find(std::string_view key, absl::Time now) const {
  absl::MutexLock lock(&mu_);
  const auto it = mutes_.find(key);
  if (it == mutes_.end() || it->second.until <= now) return std::nullopt;
  return it->second;
}

std::vector<Mute> MuteList::List(absl::Time now) const {
  std::vector<Mute> in_force;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [key, mute] : mutes_) {
      if (mute.until > now) in_force.push_back(mute);
    }
  }
  std::sort(in_force.begin(), in_force.end(), [](const Mute& a, const Mute& b) {
    return std::tie(a.until, a.name) < std::tie(b.until, b.name);
  });
  return in_force;
}

Moderation::Moderation(std::vector<std::string> operator_keys, size_t max_mutes)
    : flag_operators_(operator_keys.begin(), operator_keys.end()), mutes_(max_mutes) {}

absl::StatusOr<bool> IsOperatorKey(const Moderation* moderation,
                                   identity::IdentityStore* identity, std::string_view key) {
  if (moderation == nullptr) return false;
  if (moderation->IsFlagOperator(key)) return true;
  if (identity == nullptr) return false;
  absl::StatusOr<std::optional<identity::Account>> account = identity->FindAccount(key);
  if (!account.ok()) return account.status();
  return account->has_value() && (*account)->is_operator;
}

std::optional<std::string> AddressArgumentKey(std::string_view text) {
  // Only a bare address: "name:1" or "a via b" is not one a moderator means.
  if (text.find(' ') != std::string_view::npos || absl::StartsWith(text, "[")) {
    return std::nullopt;
  }
  if (std::count(text.begin(), text.end(), ':') == 1) return std::nullopt;
  return TextAddressKey(text);
}

}  // namespace chat
