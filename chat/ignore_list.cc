#include "chat/ignore_list.h"

#include <algorithm>
#include <utility>

#include "chat/name.h"

namespace chat {

IgnoreList::AddResult IgnoreList::Add(std::string_view name, uint64_t id) {
  std::string key = NameKey(name);
  absl::MutexLock lock(&mu_);
  for (const Entry& entry : *entries_) {
    // Id 0 is "no session": it must not make two different people one entry.
    if (entry.key == key ||
        (id != 0 && std::find(entry.ids.begin(), entry.ids.end(), id) != entry.ids.end())) {
      return AddResult::kAlready;
    }
  }
  if (entries_->size() >= max_entries_) return AddResult::kFull;
  Entries entries = *entries_;
  std::vector<uint64_t> ids;
  if (id != 0) ids.push_back(id);  // 0: restored from an account, nobody's session yet
  entries.push_back(Entry{std::string(name), std::move(key), std::move(ids)});
  PublishLocked(std::move(entries));
  return AddResult::kAdded;
}

std::optional<std::string> IgnoreList::Remove(std::string_view key, uint64_t id) {
  absl::MutexLock lock(&mu_);
  auto it = std::find_if(entries_->begin(), entries_->end(),
                         [&](const Entry& entry) { return entry.key == key; });
  if (it == entries_->end() && id != 0) {
    it = std::find_if(entries_->begin(), entries_->end(), [&](const Entry& entry) {
      return std::find(entry.ids.begin(), entry.ids.end(), id) != entry.ids.end();
    });
  }
  if (it == entries_->end()) return std::nullopt;
  std::string name = it->name;
  Entries entries = *entries_;
  entries.erase(entries.begin() + (it - entries_->begin()));
  PublishLocked(std::move(entries));
  return name;
}

void IgnoreList::AddId(std::string_view key, uint64_t id) {
  absl::MutexLock lock(&mu_);
  const auto it = std::find_if(entries_->begin(), entries_->end(),
                               [&](const Entry& entry) { return entry.key == key; });
  if (it == entries_->end() || std::find(it->ids.begin(), it->ids.end(), id) != it->ids.end()) {
    return;
  }
  Entries entries = *entries_;
  std::vector<uint64_t>& ids = entries[it - entries_->begin()].ids;
  ids.push_back(id);
  if (ids.size() > kMaxIdsPerEntry) ids.erase(ids.begin());
  PublishLocked(std::move(entries));
}

std::shared_ptr<const IgnoreList::Entries> IgnoreList::snapshot() const {
  absl::MutexLock lock(&mu_);
  return entries_;
}

void IgnoreList::PublishLocked(Entries entries) {
  entries_ = std::make_shared<const Entries>(std::move(entries));
  generation_.fetch_add(1, std::memory_order_release);
}

void IgnoreFilter::Refresh() {
  const uint64_t generation = list_->generation();
  if (generation == generation_) return;
  // Read the generation first: a change made meanwhile leaves it behind the snapshot,
  // so the next Refresh() takes the snapshot again rather than missing the change.
  entries_ = list_->snapshot();
  generation_ = generation;
  ids_.clear();
  keys_.clear();
  for (const IgnoreList::Entry& entry : *entries_) {
    ids_.insert(entry.ids.begin(), entry.ids.end());
    keys_.insert(entry.key);
  }
  ignored_key_of_name_.clear();
}

bool IgnoreFilter::Hides(const Event& event) {
  if (keys_.empty()) return false;
  if (event.kind != Event::Kind::kChat && event.kind != Event::Kind::kEmote &&
      event.kind != Event::Kind::kPrivate) {
    return false;
  }
  if (event.origin != 0 && ids_.contains(event.origin)) return true;
  auto it = ignored_key_of_name_.find(event.name);
  if (it == ignored_key_of_name_.end()) {
    if (ignored_key_of_name_.size() >= kMaxRememberedNames) ignored_key_of_name_.clear();
    std::string key = NameKey(event.name);
    if (!keys_.contains(key)) key.clear();
    it = ignored_key_of_name_.emplace(event.name, std::move(key)).first;
  }
  if (it->second.empty()) return false;
  // This session uses an ignored name: it stays ignored under its next name too.
  if (event.origin != 0) {
    ids_.insert(event.origin);
    list_->AddId(it->second, event.origin);
  }
  return true;
}

}  // namespace chat
