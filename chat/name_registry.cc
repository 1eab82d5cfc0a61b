#include "chat/name_registry.h"

namespace chat {

bool NameRegistry::Claim(std::string_view name) {
  absl::MutexLock lock(&mu_);
  return names_.emplace(name).second;
}

void NameRegistry::Release(std::string_view name) {
  absl::MutexLock lock(&mu_);
  names_.erase(name);
}

size_t NameRegistry::size() const {
  absl::MutexLock lock(&mu_);
  return names_.size();
}

}  // namespace chat
