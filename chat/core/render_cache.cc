#include "chat/core/render_cache.h"

namespace chat {

RenderCache::~RenderCache() { delete entry_.load(std::memory_order_acquire); }

const std::string* RenderCache::Find(const void* key, std::string_view context) const {
  // Acquire: the entry's strings were written before it was published.
  const Entry* entry = entry_.load(std::memory_order_acquire);
  if (entry == nullptr || entry->key != key || entry->context != context) return nullptr;
  return &entry->bytes;
}

void RenderCache::Keep(const void* key, std::string_view context, std::string_view bytes) const {
  if (entry_.load(std::memory_order_relaxed) != nullptr) return;
  const Entry* fresh = new Entry{key, std::string(context), std::string(bytes)};
  const Entry* expected = nullptr;
  // Release: whoever finds the entry sees its strings whole.
  if (!entry_.compare_exchange_strong(expected, fresh, std::memory_order_release,
                                      std::memory_order_relaxed)) {
    delete fresh;  // another writer drew it at the same time; theirs is kept
  }
}

}  // namespace chat
