#include "chat/name_registry.h"

#include <utility>

#include "chat/name.h"

namespace chat {

ClaimResult NameRegistry::TryClaim(std::string_view name, Recipient* owner, uint64_t id) {
  const std::string key = NameKey(name);
  {
    absl::MutexLock lock(&mu_);
    const auto [it, claimed] = owners_.try_emplace(key, Owner{std::string(name), owner, id});
    if (!claimed) return ClaimResult::kTaken;
    if (id != 0) keys_by_id_[id] = key;
  }
  if (shared_ == nullptr) return ClaimResult::kClaimed;
  // Held here while the cluster is asked (no lock across the network): nobody on this
  // server can take it meanwhile, and nobody elsewhere can once the cluster says yes.
  const ClaimResult result = shared_->Claim(key, name);
  if (result != ClaimResult::kClaimed) Unclaim(key, owner, id);
  return result;
}

void NameRegistry::Unclaim(const std::string& key, Recipient* owner, uint64_t id) {
  absl::MutexLock lock(&mu_);
  const auto it = owners_.find(key);
  if (it == owners_.end() || it->second.recipient != owner || it->second.id != id) return;
  if (id != 0) keys_by_id_.erase(id);
  owners_.erase(it);
}

ClaimResult NameRegistry::TryRename(std::string_view from, std::string_view to) {
  const std::string from_key = NameKey(from);
  const std::string to_key = NameKey(to);
  if (shared_ == nullptr || to_key == from_key) {
    return RenameLocal(from, to) ? ClaimResult::kClaimed : ClaimResult::kTaken;
  }
  Recipient* recipient = nullptr;
  bool reserved = false;
  {
    absl::MutexLock lock(&mu_);
    const auto from_it = owners_.find(from_key);
    if (from_it == owners_.end() || from_it->second.display_name != from) {
      return ClaimResult::kTaken;
    }
    recipient = from_it->second.recipient;
    if (const auto to_it = owners_.find(to_key); to_it != owners_.end()) {
      const Owner& held = to_it->second;
      reserved = held.recipient == recipient && held.id == 0 && held.display_name == to;
      if (!reserved) return ClaimResult::kTaken;
    }
  }
  // Not reserved yet: reserve it now, cluster-wide, so the name is never free in between.
  if (!reserved) {
    if (const ClaimResult result = TryClaim(to, recipient, /*id=*/0);
        result != ClaimResult::kClaimed) {
      return result;
    }
  }
  if (!RenameLocal(from, to)) {
    if (!reserved) Release(to);
    return ClaimResult::kTaken;
  }
  shared_->Release(from_key);
  return ClaimResult::kClaimed;
}

bool NameRegistry::RenameLocal(std::string_view from, std::string_view to) {
  const std::string from_key = NameKey(from);
  std::string to_key = NameKey(to);
  absl::MutexLock lock(&mu_);
  const auto from_it = owners_.find(from_key);
  if (from_it == owners_.end() || from_it->second.display_name != from) return false;
  if (to_key == from_key) {  // a new spelling of one's own name
    from_it->second.display_name = std::string(to);
    return true;
  }
  if (const auto to_it = owners_.find(to_key); to_it != owners_.end()) {
    const Owner& held = to_it->second;
    const bool reserved_by_from = held.recipient == from_it->second.recipient &&
                                  held.id == 0 && held.display_name == to;
    if (!reserved_by_from) return false;
    owners_.erase(to_it);
  }
  // Found again: an erase above may move entries of a flat map.
  auto node = owners_.extract(owners_.find(from_key));
  if (node.mapped().id != 0) keys_by_id_[node.mapped().id] = to_key;
  node.key() = std::move(to_key);
  node.mapped().display_name = std::string(to);
  owners_.insert(std::move(node));
  return true;
}

void NameRegistry::Release(std::string_view name) {
  const std::string key = NameKey(name);
  {
    absl::MutexLock lock(&mu_);
    const auto it = owners_.find(key);
    // Only the exact spelling: a stale or look-alike name must not free someone else's.
    if (it == owners_.end() || it->second.display_name != name) return;
    if (it->second.id != 0) keys_by_id_.erase(it->second.id);
    owners_.erase(it);
  }
  if (shared_ != nullptr) shared_->Release(key);
}

UserInfo NameRegistry::DescribeLocked(const Owner& owner) {
  UserInfo info = owner.recipient->Describe();
  info.name = owner.display_name;
  info.id = owner.id;
  return info;
}

bool NameRegistry::DeliverTo(std::string_view name, EventPtr event, UserInfo* to) {
  const std::string key = NameKey(name);
  absl::MutexLock lock(&mu_);
  const auto it = owners_.find(key);
  if (it == owners_.end()) return false;
  it->second.recipient->DeliverPrivate(std::move(event));
  if (to != nullptr) *to = DescribeLocked(it->second);
  return true;
}

bool NameRegistry::DeliverToId(uint64_t id, EventPtr event, UserInfo* to) {
  absl::MutexLock lock(&mu_);
  const auto key = keys_by_id_.find(id);
  if (id == 0 || key == keys_by_id_.end()) return false;
  const Owner& owner = owners_.at(key->second);
  owner.recipient->DeliverPrivate(std::move(event));
  if (to != nullptr) *to = DescribeLocked(owner);
  return true;
}

bool NameRegistry::Kick(std::string_view name, std::string goodbye, UserInfo* who) {
  const std::string key = NameKey(name);
  absl::MutexLock lock(&mu_);
  const auto it = owners_.find(key);
  if (it == owners_.end()) return false;
  if (who != nullptr) *who = DescribeLocked(it->second);
  it->second.recipient->Kick(std::move(goodbye));
  return true;
}

std::optional<UserInfo> NameRegistry::Find(std::string_view name) const {
  const std::string key = NameKey(name);
  absl::MutexLock lock(&mu_);
  const auto it = owners_.find(key);
  if (it == owners_.end()) return std::nullopt;
  return DescribeLocked(it->second);
}

std::optional<UserInfo> NameRegistry::FindById(uint64_t id) const {
  absl::MutexLock lock(&mu_);
  const auto key = keys_by_id_.find(id);
  if (id == 0 || key == keys_by_id_.end()) return std::nullopt;
  return DescribeLocked(owners_.at(key->second));
}

std::vector<std::pair<std::string, UserInfo>> NameRegistry::DescribeAll() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::pair<std::string, UserInfo>> all;
  all.reserve(keys_by_id_.size());
  for (const auto& [key, owner] : owners_) {
    if (owner.id != 0) all.emplace_back(key, DescribeLocked(owner));
  }
  return all;
}

size_t NameRegistry::size() const {
  absl::MutexLock lock(&mu_);
  return owners_.size();
}

}  // namespace chat
