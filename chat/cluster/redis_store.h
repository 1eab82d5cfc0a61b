// chat/cluster/redis_store.h: the IdentityStore of several instances, in their Redis.
//
// Defines:
//   RedisStoreOptions - where Redis is, how long a command may take, how many connections.
//   RedisStore        - IdentityStore over Redis (--redis with --redis_identity).
//
// Same contract as SqliteStore (chat/identity/store_contract.h tests both): an account
// registered through one instance logs in on every other, a ban recorded on one is
// enforced by all, and so are topics and ignore lists. Every compound write is one Lua
// script, which Redis runs atomically: CreateAccount cannot overwrite an account,
// ReplacePasswordHash compares and sets in one step, AddIgnore counts and adds in one
// step, AddBan takes its id from INCR and indexes the ban in the same step. Ban expiry is
// data (the `until` field), compared with the caller's `now`, not a Redis TTL, so the
// store agrees with the clock the server was given. Scripts name keys they derive from
// their arguments, so this needs one Redis (or a replica set), not a Redis Cluster.
//
// Keys (all under "tcpchat:", each followed by a normalised key the caller gave):
//   account:<name key>           hash, identity_records.h's account fields
//   ignore:<account key>         hash ignored key -> ignored name
//   ignore_order:<account key>   list of ignored keys, oldest first
//   bans:next                    the last ban id given out (INCR)
//   bans                         sorted set of every ban id (score = id)
//   ban:<id>                     hash, identity_records.h's ban fields
//   bans:name:<name key>         set of the ids of bans with that name key
//   bans:address:<address key>   set of the ids of bans with that address key
//   topic:<room key>             hash, identity_records.h's topic fields
//
// What is read back is untrusted (identity_records.h decodes and bounds it): a malformed
// account or topic is a DataLoss error; a malformed ban is skipped (and logged), so one
// bad record cannot lock everyone out or let everyone in. Redis being unreachable is an
// Unavailable error; the callers already handle a failing store.

#ifndef CHAT_CLUSTER_REDIS_STORE_H_
#define CHAT_CLUSTER_REDIS_STORE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "chat/cluster/redis_client.h"
#include "chat/cluster/redis_pool.h"
#include "chat/identity/store.h"

namespace chat::cluster {

struct RedisStoreOptions {
  RedisAddress address;
  // Bounds connecting and each command (as --redis_timeout does for the rooms).
  absl::Duration timeout = absl::Seconds(1);
  // Idle connections kept for the session threads that use the store.
  size_t max_idle_connections = 4;
  // At most this many bans are read by ListActiveBans / FindActiveBan, and this many
  // entries of one ignore list: a bound on what a bad record set can make us hold.
  size_t max_bans_read = 100'000;
  size_t max_ignores_read = 10'000;
};

class RedisStore final : public identity::IdentityStore {
 public:
  explicit RedisStore(RedisStoreOptions options);

  // RedisStore::Ping() checks Redis answers (main() calls it at start, to fail early).
  absl::Status Ping();

  absl::Status CreateAccount(const identity::Account& account) override;
  absl::StatusOr<std::optional<identity::Account>> FindAccount(std::string_view key) override;
  absl::Status SetPasswordHash(std::string_view key, std::string_view password_hash) override;
  absl::Status ReplacePasswordHash(std::string_view key, std::string_view expected,
                                   std::string_view new_hash) override;
  absl::Status SetOperator(std::string_view key, bool is_operator) override;
  absl::Status DeleteAccount(std::string_view key) override;

  absl::StatusOr<int64_t> AddBan(const identity::Ban& ban) override;
  absl::StatusOr<std::optional<identity::Ban>> FindActiveBan(std::string_view name_key,
                                                             std::string_view address_key,
                                                             absl::Time now) override;
  absl::StatusOr<int> RemoveBansByName(std::string_view name_key) override;
  absl::StatusOr<int> RemoveBansByAddress(std::string_view address_key) override;
  absl::StatusOr<std::vector<identity::Ban>> ListActiveBans(absl::Time now) override;
  absl::StatusOr<int> RemoveExpiredBans(absl::Time now) override;

  absl::Status SetTopic(std::string_view room_key, const identity::Topic& topic) override;
  absl::StatusOr<std::optional<identity::Topic>> GetTopic(std::string_view room_key) override;
  absl::Status ClearTopic(std::string_view room_key) override;

  using IdentityStore::AddIgnore;
  absl::Status AddIgnore(std::string_view account_key, const identity::IgnoredName& ignored,
                         size_t max_entries) override;
  absl::Status RemoveIgnore(std::string_view account_key, std::string_view ignored_key) override;
  absl::StatusOr<std::vector<identity::IgnoredName>> ListIgnores(
      std::string_view account_key) override;

 private:
  absl::StatusOr<ReplyPtr> Eval(std::string_view script, std::vector<std::string> keys,
                                std::vector<std::string> args);
  absl::StatusOr<int64_t> EvalInteger(std::string_view script, std::vector<std::string> keys,
                                      std::vector<std::string> args);
  // The bans whose ids are in the sets (or, with `sorted`, the sorted set) `index_keys`.
  absl::StatusOr<std::vector<identity::Ban>> ReadBans(std::vector<std::string> index_keys,
                                                      bool sorted);
  absl::StatusOr<int> RemoveBansIn(std::string index_key);

  const RedisStoreOptions options_;
  RedisPool pool_;
};

}  // namespace chat::cluster

#endif  // CHAT_CLUSTER_REDIS_STORE_H_
