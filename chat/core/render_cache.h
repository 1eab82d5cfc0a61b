// chat/core/render_cache.h: one protocol's drawing of an event, kept for all its clients.
//
// Defines:
//   RenderCache - a write-once slot for bytes a renderer drew from an event.
//
// A room's event looks the same to every client of one protocol (a JSON client's
// {"type":"chat",...} has no per-reader member), so in a room of a hundred web clients
// the first writer to draw an event keeps the bytes and the other 99 copy them instead of
// drawing them again. The core never reads the slot; a renderer that keeps bytes there
// must draw them from the event alone plus the `context` it names.

#ifndef CHAT_CORE_RENDER_CACHE_H_
#define CHAT_CORE_RENDER_CACHE_H_

#include <atomic>
#include <string>
#include <string_view>

namespace chat {

// Filled at most once, by whichever writer thread gets there first; lock-free, so writers
// holding no lock (they never do while drawing) can share it. Logically const: the event
// that carries it is immutable, this is a memo of a function of it.
class RenderCache {
 public:
  RenderCache() = default;
  // A copied event is a new event: it starts with nothing kept.
  RenderCache(const RenderCache&) {}
  RenderCache& operator=(const RenderCache&) { return *this; }
  ~RenderCache();

  // RenderCache::Find() returns the bytes kept by the renderer kind `key` (any address
  // unique to that kind) for `context` (e.g. the room the reader is in), or null.
  const std::string* Find(const void* key, std::string_view context) const;

  // RenderCache::Keep() keeps `bytes` for `key` and `context`, unless something is kept
  // already (the first drawing stays; a later one with another key or context is simply
  // not kept, and its renderer draws for itself every time).
  void Keep(const void* key, std::string_view context, std::string_view bytes) const;

 private:
  struct Entry {
    const void* key;
    std::string context;
    std::string bytes;
  };
  mutable std::atomic<const Entry*> entry_{nullptr};
};

}  // namespace chat

#endif  // CHAT_CORE_RENDER_CACHE_H_
