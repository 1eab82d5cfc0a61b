#include "chat/name_registry.h"

namespace chat {

bool NameRegistry::Claim(std::string_view name, Recipient* owner) {
  absl::MutexLock lock(&mu_);
  return owners_.emplace(name, owner).second;
}

bool NameRegistry::Rename(std::string_view from, std::string_view to) {
  absl::MutexLock lock(&mu_);
  if (owners_.contains(to)) return false;
  auto node = owners_.extract(from);
  if (node.empty()) return false;
  node.key() = std::string(to);
  owners_.insert(std::move(node));
  return true;
}

void NameRegistry::Release(std::string_view name) {
  absl::MutexLock lock(&mu_);
  owners_.erase(name);
}

bool NameRegistry::DeliverTo(std::string_view name, EventPtr event) {
  absl::MutexLock lock(&mu_);
  const auto it = owners_.find(name);
  if (it == owners_.end()) return false;
  it->second->DeliverPrivate(std::move(event));
  return true;
}

size_t NameRegistry::size() const {
  absl::MutexLock lock(&mu_);
  return owners_.size();
}

}  // namespace chat
