#include "chat/cluster/redis_store.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "chat/cluster/identity_records.h"
#include "chat/sanitize.h"
#include "glog/logging.h"

namespace chat::cluster {
namespace {

using identity::Account;
using identity::Ban;
using identity::IgnoredName;
using identity::Topic;

std::string AccountKey(std::string_view key) { return absl::StrCat("tcpchat:account:", key); }
std::string IgnoreKey(std::string_view key) { return absl::StrCat("tcpchat:ignore:", key); }
std::string IgnoreOrderKey(std::string_view key) {
  return absl::StrCat("tcpchat:ignore_order:", key);
}
std::string TopicKey(std::string_view room_key) { return absl::StrCat("tcpchat:topic:", room_key); }
constexpr char kBanNext[] = "tcpchat:bans:next";
constexpr char kBans[] = "tcpchat:bans";
constexpr char kBanPrefix[] = "tcpchat:ban:";
constexpr char kBanNamePrefix[] = "tcpchat:bans:name:";
constexpr char kBanAddressPrefix[] = "tcpchat:bans:address:";

// --- Lua scripts. Redis runs each atomically; every value is an argument, never spliced.

// KEYS[1] account; ARGV field/value pairs. 1 created, 0 exists.
// KEYS[2], KEYS[3]: the name's ignore list, cleared: one left behind (an ignore added
// by another server's session while the account was being deleted) is not the new
// owner's.
constexpr std::string_view kCreateAccount = R"lua(
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('DEL', KEYS[2], KEYS[3])
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1
)lua";

// KEYS[1] account; ARGV[1] field, ARGV[2] value. 1 set, 0 no such account.
constexpr std::string_view kSetAccountField = R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
)lua";

// KEYS[1] account; ARGV[1] expected hash, ARGV[2] new hash. 1 set, 0 changed, -1 none.
constexpr std::string_view kReplaceHash = R"lua(
local hash = redis.call('HGET', KEYS[1], 'h')
if not hash then return -1 end
if hash ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'h', ARGV[2])
return 1
)lua";

// KEYS account, its ignore hash, its ignore order. 1 deleted, 0 no such account.
constexpr std::string_view kDeleteAccount = R"lua(
if redis.call('DEL', KEYS[1]) == 0 then return 0 end
redis.call('DEL', KEYS[2], KEYS[3])
return 1
)lua";

// KEYS[1] the id counter, KEYS[2] the set of all bans; ARGV[1] ban key prefix, ARGV[2]
// the name index key or '', ARGV[3] the address index key or '', then field/value pairs.
constexpr std::string_view kAddBan = R"lua(
local id = redis.call('INCR', KEYS[1])
redis.call('HSET', ARGV[1] .. id, unpack(ARGV, 4))
redis.call('ZADD', KEYS[2], id, id)
if ARGV[2] ~= '' then redis.call('SADD', ARGV[2], id) end
if ARGV[3] ~= '' then redis.call('SADD', ARGV[3], id) end
return id
)lua";

// Removing one ban and its index entries; ARGV[1..3] are the ban, name index and
// address index key prefixes, KEYS[1] the set of all bans.
constexpr std::string_view kDropBan = R"lua(
local function drop(id)
  local key = ARGV[1] .. id
  local keys = redis.call('HMGET', key, 'nk', 'ak')
  if keys[1] and keys[1] ~= '' then redis.call('SREM', ARGV[2] .. keys[1], id) end
  if keys[2] and keys[2] ~= '' then redis.call('SREM', ARGV[3] .. keys[2], id) end
  redis.call('ZREM', KEYS[1], id)
  return redis.call('DEL', key)
end
)lua";

// KEYS[2] an index set. Returns how many bans went.
constexpr std::string_view kRemoveBansIn = R"lua(
local removed = 0
for _, id in ipairs(redis.call('SMEMBERS', KEYS[2])) do removed = removed + drop(id) end
redis.call('DEL', KEYS[2])
return removed
)lua";

// ARGV[4] now (Unix microseconds): bans whose end is at or before it go.
constexpr std::string_view kRemoveExpired = R"lua(
local now = tonumber(ARGV[4])
local removed = 0
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local untilv = redis.call('HGET', ARGV[1] .. id, 'u')
  if not untilv then
    drop(id)
  elseif untilv ~= '' then
    local t = tonumber(untilv)
    if t and t <= now then removed = removed + drop(id) end
  end
end
return removed
)lua";

// KEYS index sets (or, with ARGV[3] == 'z', sorted sets) of ban ids; ARGV[1] the ban key
// prefix, ARGV[2] at most this many bans. Returns id, fields, id, fields, ...
constexpr std::string_view kReadBans = R"lua(
local out = {}
local seen = {}
local max = tonumber(ARGV[2])
for _, index in ipairs(KEYS) do
  local ids
  if ARGV[3] == 'z' then ids = redis.call('ZRANGE', index, 0, -1)
  else ids = redis.call('SMEMBERS', index) end
  for _, id in ipairs(ids) do
    if #out >= 2 * max then return out end
    if not seen[id] then
      seen[id] = true
      local fields = redis.call('HGETALL', ARGV[1] .. id)
      if #fields > 0 then
        out[#out + 1] = id
        out[#out + 1] = fields
      end
    end
  end
end
return out
)lua";

// KEYS ignore hash, ignore order; ARGV key, name, max entries (0: none). 1 ok, 0 full.
constexpr std::string_view kAddIgnore = R"lua(
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then
  local max = tonumber(ARGV[3])
  if max > 0 and redis.call('HLEN', KEYS[1]) >= max then return 0 end
  redis.call('RPUSH', KEYS[2], ARGV[1])
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
)lua";

// KEYS ignore hash, ignore order; ARGV key. 1 removed, 0 was not there.
constexpr std::string_view kRemoveIgnore = R"lua(
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('LREM', KEYS[2], 0, ARGV[1])
return 1
)lua";

// KEYS ignore hash, ignore order; ARGV[1] at most this many. Returns key, name, ...
constexpr std::string_view kListIgnores = R"lua(
local out = {}
for _, key in ipairs(redis.call('LRANGE', KEYS[2], 0, tonumber(ARGV[1]) - 1)) do
  local name = redis.call('HGET', KEYS[1], key)
  if name then
    out[#out + 1] = key
    out[#out + 1] = name
  end
end
return out
)lua";

absl::Status Malformed(std::string_view what) {
  return absl::DataLossError(absl::StrCat("redis: unexpected reply to ", what));
}

// Field/value pairs of an HGETALL-shaped reply; false if it is not one.
bool ReadFields(const redisReply& reply, std::vector<RecordField>* fields) {
  if (!IsArray(reply) || reply.elements % 2 != 0) return false;
  for (size_t i = 0; i + 1 < reply.elements; i += 2) {
    const redisReply& field = *reply.element[i];
    const redisReply& value = *reply.element[i + 1];
    if (field.type != REDIS_REPLY_STRING || value.type != REDIS_REPLY_STRING) return false;
    fields->emplace_back(ReplyText(field), ReplyText(value));
  }
  return true;
}

// Bans in force at `now`: permanent first, then the latest end, then the oldest.
bool Outlasts(const Ban& a, const Ban& b) {
  if (a.until != b.until) return a.until > b.until;
  return a.id < b.id;
}

}  // namespace

RedisStore::RedisStore(RedisStoreOptions options)
    : options_(std::move(options)),
      pool_(options_.address, options_.timeout, options_.max_idle_connections) {}

absl::Status RedisStore::Ping() { return pool_.Command({"PING"}).status(); }

absl::StatusOr<ReplyPtr> RedisStore::Eval(std::string_view script, std::vector<std::string> keys,
                                          std::vector<std::string> args) {
  std::vector<std::string> argv;
  argv.reserve(3 + keys.size() + args.size());
  argv.push_back("EVAL");
  argv.emplace_back(script);
  argv.push_back(absl::StrCat(keys.size()));
  for (std::string& key : keys) argv.push_back(std::move(key));
  for (std::string& arg : args) argv.push_back(std::move(arg));
  return pool_.Command(argv);
}

absl::StatusOr<int64_t> RedisStore::EvalInteger(std::string_view script,
                                                std::vector<std::string> keys,
                                                std::vector<std::string> args) {
  absl::StatusOr<ReplyPtr> reply = Eval(script, std::move(keys), std::move(args));
  if (!reply.ok()) return reply.status();
  if ((*reply)->type != REDIS_REPLY_INTEGER) return Malformed("a script");
  return static_cast<int64_t>((*reply)->integer);
}

// --- Accounts

absl::Status RedisStore::CreateAccount(const Account& account) {
  std::vector<std::string> fields;
  EncodeAccount(account, &fields);
  absl::StatusOr<int64_t> created =
      EvalInteger(kCreateAccount,
                  {AccountKey(account.key), IgnoreKey(account.key), IgnoreOrderKey(account.key)},
                  std::move(fields));
  if (!created.ok()) return created.status();
  if (*created == 0) return absl::AlreadyExistsError("that name is already registered");
  return absl::OkStatus();
}

absl::StatusOr<std::optional<Account>> RedisStore::FindAccount(std::string_view key) {
  absl::StatusOr<ReplyPtr> reply = pool_.Command({"HGETALL", AccountKey(key)});
  if (!reply.ok()) return reply.status();
  std::vector<RecordField> fields;
  if (!ReadFields(**reply, &fields)) return Malformed("HGETALL");
  if (fields.empty()) return std::optional<Account>();
  absl::StatusOr<Account> account = DecodeAccount(key, fields);
  if (!account.ok()) return account.status();
  return std::optional<Account>(*std::move(account));
}

absl::Status RedisStore::SetPasswordHash(std::string_view key, std::string_view password_hash) {
  absl::StatusOr<int64_t> set =
      EvalInteger(kSetAccountField, {AccountKey(key)}, {"h", std::string(password_hash)});
  if (!set.ok()) return set.status();
  if (*set == 0) return absl::NotFoundError("no such account");
  return absl::OkStatus();
}

absl::Status RedisStore::ReplacePasswordHash(std::string_view key, std::string_view expected,
                                             std::string_view new_hash) {
  absl::StatusOr<int64_t> replaced = EvalInteger(
      kReplaceHash, {AccountKey(key)}, {std::string(expected), std::string(new_hash)});
  if (!replaced.ok()) return replaced.status();
  if (*replaced < 0) return absl::NotFoundError("no such account");
  if (*replaced == 0) return absl::FailedPreconditionError("the password hash changed meanwhile");
  return absl::OkStatus();
}

absl::Status RedisStore::SetOperator(std::string_view key, bool is_operator) {
  absl::StatusOr<int64_t> set =
      EvalInteger(kSetAccountField, {AccountKey(key)}, {"o", is_operator ? "1" : "0"});
  if (!set.ok()) return set.status();
  if (*set == 0) return absl::NotFoundError("no such account");
  return absl::OkStatus();
}

absl::Status RedisStore::DeleteAccount(std::string_view key) {
  absl::StatusOr<int64_t> deleted =
      EvalInteger(kDeleteAccount, {AccountKey(key), IgnoreKey(key), IgnoreOrderKey(key)}, {});
  if (!deleted.ok()) return deleted.status();
  if (*deleted == 0) return absl::NotFoundError("no such account");
  return absl::OkStatus();
}

// --- Bans

absl::StatusOr<int64_t> RedisStore::AddBan(const Ban& ban) {
  if (ban.name_key.empty() && ban.address_key.empty()) {
    return absl::InvalidArgumentError("a ban needs a name or an address");
  }
  std::vector<std::string> args = {
      kBanPrefix,
      ban.name_key.empty() ? std::string() : absl::StrCat(kBanNamePrefix, ban.name_key),
      ban.address_key.empty() ? std::string() : absl::StrCat(kBanAddressPrefix, ban.address_key)};
  EncodeBan(ban, &args);
  return EvalInteger(kAddBan, {kBanNext, kBans}, std::move(args));
}

absl::StatusOr<std::vector<Ban>> RedisStore::ReadBans(std::vector<std::string> index_keys,
                                                      bool sorted) {
  absl::StatusOr<ReplyPtr> reply =
      Eval(kReadBans, std::move(index_keys),
           {kBanPrefix, absl::StrCat(options_.max_bans_read), sorted ? "z" : "s"});
  if (!reply.ok()) return reply.status();
  const redisReply& all = **reply;
  if (!IsArray(all) || all.elements % 2 != 0) return Malformed("reading bans");
  std::vector<Ban> bans;
  for (size_t i = 0; i + 1 < all.elements; i += 2) {
    int64_t id = 0;
    std::vector<RecordField> fields;
    absl::StatusOr<Ban> ban = absl::DataLossError("not a ban");
    if (absl::SimpleAtoi(ReplyText(*all.element[i]), &id) &&
        ReadFields(*all.element[i + 1], &fields)) {
      ban = DecodeBan(id, fields);
    }
    if (!ban.ok()) {
      LOG(WARNING) << "identity store: skipping ban " << SanitizeText(ReplyText(*all.element[i]))
                   << ": " << ban.status();
      continue;
    }
    bans.push_back(*std::move(ban));
  }
  if (bans.size() >= options_.max_bans_read) {
    LOG(WARNING) << "identity store: read only the first " << options_.max_bans_read << " bans";
  }
  return bans;
}

absl::StatusOr<std::optional<Ban>> RedisStore::FindActiveBan(std::string_view name_key,
                                                             std::string_view address_key,
                                                             absl::Time now) {
  std::vector<std::string> indexes;
  if (!name_key.empty()) indexes.push_back(absl::StrCat(kBanNamePrefix, name_key));
  if (!address_key.empty()) indexes.push_back(absl::StrCat(kBanAddressPrefix, address_key));
  if (indexes.empty()) return std::optional<Ban>();
  absl::StatusOr<std::vector<Ban>> bans = ReadBans(std::move(indexes), /*sorted=*/false);
  if (!bans.ok()) return bans.status();
  std::optional<Ban> found;
  for (Ban& ban : *bans) {
    // The index is only a hint: the record itself must name these keys.
    const bool applies = (!name_key.empty() && ban.name_key == name_key) ||
                         (!address_key.empty() && ban.address_key == address_key);
    if (!applies || ban.until <= now) continue;
    if (!found.has_value() || Outlasts(ban, *found)) found = std::move(ban);
  }
  return found;
}

absl::StatusOr<int> RedisStore::RemoveBansIn(std::string index_key) {
  absl::StatusOr<int64_t> removed =
      EvalInteger(absl::StrCat(kDropBan, kRemoveBansIn), {kBans, std::move(index_key)},
                  {kBanPrefix, kBanNamePrefix, kBanAddressPrefix});
  if (!removed.ok()) return removed.status();
  return static_cast<int>(*removed);
}

absl::StatusOr<int> RedisStore::RemoveBansByName(std::string_view name_key) {
  if (name_key.empty()) return 0;
  return RemoveBansIn(absl::StrCat(kBanNamePrefix, name_key));
}

absl::StatusOr<int> RedisStore::RemoveBansByAddress(std::string_view address_key) {
  if (address_key.empty()) return 0;
  return RemoveBansIn(absl::StrCat(kBanAddressPrefix, address_key));
}

absl::StatusOr<std::vector<Ban>> RedisStore::ListActiveBans(absl::Time now) {
  absl::StatusOr<std::vector<Ban>> bans = ReadBans({kBans}, /*sorted=*/true);
  if (!bans.ok()) return bans.status();
  std::erase_if(*bans, [now](const Ban& ban) { return ban.until <= now; });
  std::sort(bans->begin(), bans->end(), [](const Ban& a, const Ban& b) { return a.id < b.id; });
  return bans;
}

absl::StatusOr<int> RedisStore::RemoveExpiredBans(absl::Time now) {
  absl::StatusOr<int64_t> removed =
      EvalInteger(absl::StrCat(kDropBan, kRemoveExpired), {kBans},
                  {kBanPrefix, kBanNamePrefix, kBanAddressPrefix, EncodeMicros(now)});
  if (!removed.ok()) return removed.status();
  return static_cast<int>(*removed);
}

// --- Topics

absl::Status RedisStore::SetTopic(std::string_view room_key, const Topic& topic) {
  std::vector<std::string> argv = {"HSET", TopicKey(room_key)};
  EncodeTopic(topic, &argv);
  return pool_.Command(argv).status();
}

absl::StatusOr<std::optional<Topic>> RedisStore::GetTopic(std::string_view room_key) {
  absl::StatusOr<ReplyPtr> reply = pool_.Command({"HGETALL", TopicKey(room_key)});
  if (!reply.ok()) return reply.status();
  std::vector<RecordField> fields;
  if (!ReadFields(**reply, &fields)) return Malformed("HGETALL");
  if (fields.empty()) return std::optional<Topic>();
  absl::StatusOr<Topic> topic = DecodeTopic(fields);
  if (!topic.ok()) return topic.status();
  return std::optional<Topic>(*std::move(topic));
}

absl::Status RedisStore::ClearTopic(std::string_view room_key) {
  return pool_.Command({"DEL", TopicKey(room_key)}).status();
}

// --- Ignore lists

absl::Status RedisStore::AddIgnore(std::string_view account_key, const IgnoredName& ignored,
                                   size_t max_entries) {
  absl::StatusOr<int64_t> added =
      EvalInteger(kAddIgnore, {IgnoreKey(account_key), IgnoreOrderKey(account_key)},
                  {ignored.key, ignored.name, absl::StrCat(max_entries)});
  if (!added.ok()) return added.status();
  if (*added == 0) return absl::ResourceExhaustedError("the ignore list is full");
  return absl::OkStatus();
}

absl::Status RedisStore::RemoveIgnore(std::string_view account_key,
                                      std::string_view ignored_key) {
  absl::StatusOr<int64_t> removed =
      EvalInteger(kRemoveIgnore, {IgnoreKey(account_key), IgnoreOrderKey(account_key)},
                  {std::string(ignored_key)});
  if (!removed.ok()) return removed.status();
  if (*removed == 0) return absl::NotFoundError("not on the ignore list");
  return absl::OkStatus();
}

absl::StatusOr<std::vector<IgnoredName>> RedisStore::ListIgnores(std::string_view account_key) {
  absl::StatusOr<ReplyPtr> reply =
      Eval(kListIgnores, {IgnoreKey(account_key), IgnoreOrderKey(account_key)},
           {absl::StrCat(options_.max_ignores_read)});
  if (!reply.ok()) return reply.status();
  std::vector<RecordField> pairs;
  if (!ReadFields(**reply, &pairs)) return Malformed("listing ignores");
  std::vector<IgnoredName> names;
  for (const auto& [key, name] : pairs) {
    if (key.empty() || key.size() > kMaxRecordKeyBytes || name.size() > kMaxRecordNameBytes) {
      LOG(WARNING) << "identity store: skipping a malformed ignore list entry";
      continue;
    }
    names.push_back(IgnoredName{std::string(key), SanitizeText(name)});
  }
  return names;
}

}  // namespace chat::cluster
