// chat/ignore_list.h: whom one connection does not want to hear from (/ignore).
//
// Defines:
//   IgnoreList   - the people ignored, changed by the session's reader; thread-safe.
//   IgnoreFilter - the writer's view of it: which events not to show.
//
// An entry is a person, not a spelling. `/ignore bob` records bob's name key (chat/name.h)
// and bob's session id. The filter then hides the chat lines, emotes and private messages
//   - of that session, whatever it is called later: a harasser cannot shake the ignore off
//     with /name; and
//   - of whoever uses a name with that key, look-alikes included: reconnecting as `bob`,
//     `BOB` or `b0b` does not shake it off either. Such a session's id joins the entry, so
//     a /name after that does not help it.
// Join, leave and rename notices are still shown: they say who is there.

#ifndef CHAT_IGNORE_LIST_H_
#define CHAT_IGNORE_LIST_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "chat/core/event.h"

namespace chat {

// IgnoreList is shared by a session's reader (which changes it) and writer (which
// filters with it). The writer reads immutable snapshots, so it holds no lock while it
// filters or sends. Thread-safe.
class IgnoreList {
 public:
  struct Entry {
    std::string name;           // as spelled when ignored
    std::string key;            // NameKey(name)
    std::vector<uint64_t> ids;  // sessions seen using the person's names, newest last
  };
  using Entries = std::vector<Entry>;

  // Session ids kept per entry; older sessions of one person are long gone.
  static constexpr size_t kMaxIdsPerEntry = 16;

  // `max_entries`: how many people one connection may ignore (0: none).
  explicit IgnoreList(size_t max_entries) : max_entries_(max_entries) {}
  IgnoreList(const IgnoreList&) = delete;
  IgnoreList& operator=(const IgnoreList&) = delete;

  size_t max_entries() const { return max_entries_; }

  enum class AddResult { kAdded, kAlready, kFull };
  // IgnoreList::Add() ignores the person called `name` now, in session `id`. kAlready if
  // an entry has the name's key or the id.
  AddResult Add(std::string_view name, uint64_t id) ABSL_LOCKS_EXCLUDED(mu_);

  // IgnoreList::Remove() removes the entry with key `key`, or else the one holding `id`
  // (the person now called something else); returns its name, or nullopt if none.
  std::optional<std::string> Remove(std::string_view key, uint64_t id) ABSL_LOCKS_EXCLUDED(mu_);

  // IgnoreList::AddId() records that session `id` used a name with the key of `key`'s
  // entry (the writer found it so).
  void AddId(std::string_view key, uint64_t id) ABSL_LOCKS_EXCLUDED(mu_);

  // The entries in the order they were added; never null.
  std::shared_ptr<const Entries> snapshot() const ABSL_LOCKS_EXCLUDED(mu_);
  // Changes with every change of the entries (read without the lock).
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

 private:
  void PublishLocked(Entries entries) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t max_entries_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const Entries> entries_ ABSL_GUARDED_BY(mu_) = std::make_shared<Entries>();
  std::atomic<uint64_t> generation_ = 0;
};

// IgnoreFilter says which events a writer must not show. Not thread-safe: one per writer.
class IgnoreFilter {
 public:
  explicit IgnoreFilter(IgnoreList* list) : list_(list) {}

  // IgnoreFilter::Refresh() picks up changes to the list (a brief lock, only if it
  // changed). Call before each batch.
  void Refresh();

  // IgnoreFilter::Hides() is true for a chat line, emote or private message of an
  // ignored person (see the file comment).
  bool Hides(const Event& event);

 private:
  // Names whose key check is remembered; beyond it the memory starts over.
  static constexpr size_t kMaxRememberedNames = 1024;

  IgnoreList* const list_;
  uint64_t generation_ = UINT64_MAX;  // of the snapshot below; none yet
  std::shared_ptr<const IgnoreList::Entries> entries_;
  absl::flat_hash_set<uint64_t> ids_;
  absl::flat_hash_set<std::string> keys_;
  // Display name -> the ignored key it has, or "" if none, so the ICU work of NameKey()
  // is done once per name, not once per line.
  absl::flat_hash_map<std::string, std::string> ignored_key_of_name_;
};

}  // namespace chat

#endif  // CHAT_IGNORE_LIST_H_
