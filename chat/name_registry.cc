#include "chat/name_registry.h"

#include "chat/name.h"

namespace chat {

bool NameRegistry::Claim(std::string_view name, Recipient* owner) {
  std::string key = NameKey(name);
  absl::MutexLock lock(&mu_);
  return owners_.try_emplace(std::move(key), Owner{std::string(name), owner}).second;
}

bool NameRegistry::Rename(std::string_view from, std::string_view to) {
  const std::string from_key = NameKey(from);
  std::string to_key = NameKey(to);
  absl::MutexLock lock(&mu_);
  const auto from_it = owners_.find(from_key);
  if (from_it == owners_.end() || from_it->second.display_name != from) return false;
  if (to_key == from_key) {  // a new spelling of one's own name
    from_it->second.display_name = std::string(to);
    return true;
  }
  if (owners_.contains(to_key)) return false;
  auto node = owners_.extract(from_it);
  node.key() = std::move(to_key);
  node.mapped().display_name = std::string(to);
  owners_.insert(std::move(node));
  return true;
}

void NameRegistry::Release(std::string_view name) {
  const std::string key = NameKey(name);
  absl::MutexLock lock(&mu_);
  const auto it = owners_.find(key);
  // Only the exact spelling: a stale or look-alike name must not free someone else's.
  if (it != owners_.end() && it->second.display_name == name) owners_.erase(it);
}

bool NameRegistry::DeliverTo(std::string_view name, EventPtr event) {
  const std::string key = NameKey(name);
  absl::MutexLock lock(&mu_);
  const auto it = owners_.find(key);
  if (it == owners_.end()) return false;
  it->second.recipient->DeliverPrivate(std::move(event));
  return true;
}

size_t NameRegistry::size() const {
  absl::MutexLock lock(&mu_);
  return owners_.size();
}

}  // namespace chat
