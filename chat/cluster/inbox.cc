#include "chat/cluster/inbox.h"

#include <hiredis/hiredis.h>

#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "chat/cluster/keys.h"
#include "chat/core/event.h"
#include "chat/name.h"
#include "glog/logging.h"

namespace chat::cluster {
namespace {

// KEYS[1] the name's lease; ARGV[1] this instance, ARGV[2] the inbox key prefix,
// ARGV[3] MAXLEN, ARGV[4] the inbox's expiry in seconds, ARGV[5] the heartbeat key prefix
// (InstanceKey("")), ARGV[6] the owner the lease must name (empty: any), then the
// entry's fields. The heartbeat's key depends on the owner read here, so it cannot be a
// KEYS argument. 1 sent, 0 nobody (alive, or the owner required) has the name, -1 it is
// this instance's (its user just left).
constexpr std::string_view kSend = R"lua(
local owner = redis.call('GET', KEYS[1])
if not owner or owner == '' or string.len(owner) > 256 then return 0 end
if ARGV[6] ~= '' and owner ~= ARGV[6] then return 0 end
if owner == ARGV[1] then return -1 end
if redis.call('EXISTS', ARGV[5] .. owner) == 0 then return 0 end
local inbox = ARGV[2] .. owner
redis.call('XADD', inbox, 'MAXLEN', '~', ARGV[3], '*', unpack(ARGV, 7))
redis.call('EXPIRE', inbox, ARGV[4])
return 1
)lua";
constexpr int kInboxExpirySeconds = 24 * 60 * 60;

// One stream entry ([id, [field, value, ...]]) -> its id and fields; false if not one.
bool ReadEntry(const redisReply& entry, std::optional<StreamId>* id,
               std::vector<StreamField>* fields) {
  if (!IsArray(entry) || entry.elements != 2) return false;
  *id = StreamId::Parse(ReplyText(*entry.element[0]));
  const redisReply& pairs = *entry.element[1];
  if (!IsArray(pairs) || pairs.elements % 2 != 0 || pairs.elements > 2 * kMaxFields) {
    return false;
  }
  for (size_t i = 0; i < pairs.elements; i += 2) {
    fields->emplace_back(ReplyText(*pairs.element[i]), ReplyText(*pairs.element[i + 1]));
  }
  return true;
}

}  // namespace

Inbox::Inbox(InboxOptions options, NameRegistry* names, const Clock* clock)
    : options_(std::move(options)),
      names_(names),
      clock_(clock),
      senders_(options_.address, options_.timeout, options_.max_idle_connections) {}

Inbox::~Inbox() { Stop(); }

void Inbox::Start() {
  reader_ = std::thread([this] { ReadLoop(); });
  first_attempt_.WaitForNotificationWithTimeout(2 * options_.timeout);
}

void Inbox::Stop() {
  if (!stopping_.HasBeenNotified()) stopping_.Notify();
  if (reader_.joinable()) reader_.join();
}

namespace {

InboxEntry PrivateEntry(std::string_view recipient, std::string_view sender,
                        std::string_view text, uint64_t sender_id) {
  InboxEntry entry;
  entry.kind = InboxEntry::Kind::kPrivate;
  entry.to = std::string(recipient);
  entry.from = std::string(sender);
  entry.text = std::string(text);
  entry.from_session = sender_id;
  return entry;
}

}  // namespace

RemoteUsers::Result Inbox::SendPrivate(std::string_view recipient, std::string_view sender,
                                       std::string_view text, uint64_t sender_id) {
  return Send(PrivateEntry(recipient, sender, text, sender_id));
}

RemoteUsers::Result Inbox::ReplyPrivate(std::string_view instance, uint64_t session,
                                        std::string_view recipient, std::string_view sender,
                                        std::string_view text, uint64_t sender_id) {
  if (instance.empty() || session == 0) return Result::kNoSuchUser;
  InboxEntry entry = PrivateEntry(recipient, sender, text, sender_id);
  entry.to_session = session;
  return Send(entry, instance);
}

RemoteUsers::Result Inbox::Kick(std::string_view name, std::string_view goodbye) {
  InboxEntry entry;
  entry.kind = InboxEntry::Kind::kKick;
  entry.to = std::string(name);
  entry.text = std::string(goodbye);
  return Send(entry);
}

RemoteUsers::Result Inbox::Send(const InboxEntry& sent, std::string_view owner) {
  InboxEntry entry = sent;
  entry.instance = options_.instance_id;
  entry.at = clock_->Now();
  std::vector<std::string> argv = {"EVAL",
                                   std::string(kSend),
                                   "1",
                                   NameLeaseKey(NameKey(entry.to)),
                                   options_.instance_id,
                                   InboxKey(""),
                                   absl::StrCat(std::max<size_t>(options_.max_len, 1)),
                                   absl::StrCat(kInboxExpirySeconds),
                                   InstanceKey(""),
                                   std::string(owner)};
  EncodeInboxEntry(entry, &argv);
  absl::StatusOr<ReplyPtr> reply = senders_.Command(argv);
  if (!reply.ok() || (*reply)->type != REDIS_REPLY_INTEGER) {
    LOG_EVERY_N(ERROR, 100) << "redis: sending to another instance's inbox: "
                            << (reply.ok() ? absl::InternalError("not an integer reply")
                                           : reply.status());
    return Result::kUnavailable;
  }
  return (*reply)->integer > 0 ? Result::kSent : Result::kNoSuchUser;
}

void Inbox::Deliver(const InboxEntry& entry) {
  bool delivered = false;
  switch (entry.kind) {
    case InboxEntry::Kind::kPrivate: {
      // Origin 0: no session here sent it, so /ignore matches it by name. /reply answers
      // the sender's session on its instance, if it said which.
      std::shared_ptr<Event> event =
          MakeEvent(Event::Kind::kPrivate, clock_->Now(), entry.from, entry.text);
      if (entry.from_session != 0 && !entry.instance.empty()) {
        event->origin_instance = entry.instance;
        event->origin_session = entry.from_session;
      }
      // A /reply is for the session that sent the message only, whatever it is called
      // now; if it has gone, nobody else with its name gets it.
      delivered = entry.to_session != 0 ? names_->DeliverToId(entry.to_session, std::move(event))
                                        : names_->DeliverTo(entry.to, std::move(event));
      VLOG(1) << "private message " << entry.from << "@" << entry.instance << " -> " << entry.to
              << (delivered ? "" : " (nobody here has the name or the session)");
      break;
    }
    case InboxEntry::Kind::kKick:
      if (options_.is_protected && options_.is_protected(NameKey(entry.to))) {
        LOG(WARNING) << "moderation: ignoring a kick of " << entry.to << " from " << entry.instance
                     << ": an operator here";
        break;
      }
      delivered = names_->Kick(entry.to, entry.text);
      LOG_IF(INFO, delivered) << "moderation: " << entry.to << " disconnected at the request of "
                              << entry.instance << ": " << entry.text;
      break;
  }
  (delivered ? delivered_ : dropped_).fetch_add(1, std::memory_order_relaxed);
}

void Inbox::ReadLoop() {
  const std::string key = InboxKey(options_.instance_id);
  RedisConnection connection(options_.address, options_.timeout);
  Backoff backoff(options_.backoff_initial, options_.backoff_max);
  std::string last_id;  // empty until the first connection has found the stream's end
  auto sleep = [this](absl::Duration d) { stopping_.WaitForNotificationWithTimeout(d); };
  while (!stopping_.HasBeenNotified()) {
    if (!connection.connected()) {
      absl::Status connected = connection.Connect();
      if (connected.ok() && last_id.empty()) {
        absl::StatusOr<ReplyPtr> newest = connection.Command({"XREVRANGE", key, "+", "-", "COUNT", "1"});
        connected = newest.status();
        if (newest.ok()) {
          last_id = "0-0";
          std::optional<StreamId> id;
          std::vector<StreamField> ignored;
          if (IsArray(**newest) && (*newest)->elements == 1 &&
              ReadEntry(*(*newest)->element[0], &id, &ignored) && id.has_value()) {
            last_id = id->ToString();
          }
        }
      }
      if (!first_attempt_.HasBeenNotified()) first_attempt_.Notify();
      if (!connected.ok() || !connection.connected()) {
        LOG_EVERY_N(WARNING, 20) << "redis: inbox " << key << ": " << connected;
        connection.Disconnect();
        sleep(backoff.Next());
        continue;
      }
    }
    absl::StatusOr<ReplyPtr> reply = connection.Command(
        {"XREAD", "COUNT", absl::StrCat(options_.read_count), "BLOCK",
         absl::StrCat(std::max<int64_t>(absl::ToInt64Milliseconds(options_.block), 1)), "STREAMS",
         key, last_id});
    if (!reply.ok()) {
      LOG_EVERY_N(WARNING, 20) << "redis: inbox " << key << ": " << reply.status();
      if (connection.connected()) sleep(options_.block);  // an error reply: do not spin
      else sleep(backoff.Next());
      continue;
    }
    backoff.Reset();
    const redisReply& streams = **reply;
    if (IsNil(streams) || !IsArray(streams)) continue;  // nothing within the block time
    // An entry whose id did not parse leaves last_id behind it, so the next XREAD returns
    // it again at once: wait as a quiet block would rather than spin on it.
    bool unparsed_id = false;
    for (size_t s = 0; s < streams.elements; ++s) {
      const redisReply& stream = *streams.element[s];
      if (!IsArray(stream) || stream.elements != 2 || !IsArray(*stream.element[1])) continue;
      const redisReply& entries = *stream.element[1];
      for (size_t i = 0; i < entries.elements; ++i) {
        std::optional<StreamId> id;
        std::vector<StreamField> fields;
        const bool read = ReadEntry(*entries.element[i], &id, &fields);
        // Resume after this entry even if it is malformed: it will not get better.
        if (id.has_value()) {
          last_id = id->ToString();
        } else {
          unparsed_id = true;
        }
        absl::StatusOr<InboxEntry> entry =
            read ? DecodeInboxEntry(fields) : absl::InvalidArgumentError("not a stream entry");
        if (!entry.ok()) {
          LOG_EVERY_N(WARNING, 100) << "redis: skipping an inbox entry: " << entry.status();
          dropped_.fetch_add(1, std::memory_order_relaxed);
          continue;
        }
        Deliver(*entry);
      }
    }
    if (unparsed_id) {
      LOG_EVERY_N(WARNING, 100) << "redis: inbox " << key << ": an entry id that does not parse";
      sleep(options_.block);
    }
  }
}

}  // namespace chat::cluster
