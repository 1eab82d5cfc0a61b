#include "chat/cluster/redis_client.h"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <iterator>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace chat::cluster {
namespace {

timeval AtLeastAMillisecond(absl::Duration d) {
  return absl::ToTimeval(std::max(d, absl::Milliseconds(1)));
}

// hiredis takes argv as parallel arrays of pointers and lengths.
struct Argv {
  explicit Argv(const std::vector<std::string>& args) {
    pointers.reserve(args.size());
    lengths.reserve(args.size());
    for (const std::string& arg : args) {
      pointers.push_back(arg.data());
      lengths.push_back(arg.size());
    }
  }
  std::vector<const char*> pointers;
  std::vector<size_t> lengths;
};

}  // namespace

absl::StatusOr<RedisAddress> ParseRedisAddress(std::string_view text) {
  RedisAddress address;
  std::string_view host = text;
  std::string_view port;
  if (absl::StartsWith(text, "[")) {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) return absl::InvalidArgumentError("unclosed [");
    host = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return absl::InvalidArgumentError("expected :PORT after ]");
      port = rest.substr(1);
    }
  } else if (const size_t colon = text.rfind(':'); colon != std::string_view::npos) {
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (host.empty()) return absl::InvalidArgumentError("no host");
  address.host = std::string(host);
  if (!port.empty() && (!absl::SimpleAtoi(port, &address.port) || address.port <= 0 ||
                        address.port > 65535)) {
    return absl::InvalidArgumentError(absl::StrCat("bad port: ", port));
  }
  return address;
}

absl::StatusOr<std::string> ReadRedisPasswordFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::string password((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return absl::DataLossError(absl::StrCat("error reading ", path));
  if (absl::EndsWith(password, "\r\n")) {
    password.resize(password.size() - 2);
  } else if (absl::EndsWith(password, "\n")) {
    password.pop_back();
  }
  if (password.empty()) return absl::InvalidArgumentError(absl::StrCat(path, " is empty"));
  return password;
}

void ReplyDeleter::operator()(redisReply* reply) const { freeReplyObject(reply); }

RedisConnection::RedisConnection(RedisAddress address, absl::Duration timeout)
    : address_(std::move(address)), timeout_(timeout) {}

RedisConnection::~RedisConnection() { Disconnect(); }

void RedisConnection::Disconnect() {
  if (context_ != nullptr) redisFree(context_);
  context_ = nullptr;
}

absl::Status RedisConnection::Connect() {
  Disconnect();
  closed_by_peer_ = false;
  replies_ = 0;
  redisContext* context =
      redisConnectWithTimeout(address_.host.c_str(), address_.port, AtLeastAMillisecond(timeout_));
  if (context == nullptr) return absl::ResourceExhaustedError("redis: out of memory");
  if (context->err != 0) {
    absl::Status status = absl::UnavailableError(
        absl::StrCat("redis ", address_.host, ":", address_.port, ": ", context->errstr));
    redisFree(context);
    return status;
  }
  if (redisSetTimeout(context, AtLeastAMillisecond(timeout_)) != REDIS_OK) {
    redisFree(context);
    return absl::InternalError("redis: cannot set the command timeout");
  }
  context_ = context;
  if (!address_.password.empty()) {
    // The reply (never the password) says what is wrong: WRONGPASS, or no password set.
    if (absl::StatusOr<ReplyPtr> auth = Command({"AUTH", address_.password}); !auth.ok()) {
      Disconnect();
      return absl::PermissionDeniedError(absl::StrCat("redis ", address_.host, ":",
                                                      address_.port, ": AUTH refused: ",
                                                      auth.status().message()));
    }
  }
  return absl::OkStatus();
}

absl::Status RedisConnection::Broken(std::string_view what) {
  const int error = errno;
  closed_by_peer_ = context_ != nullptr &&
                    (context_->err == REDIS_ERR_EOF ||
                     (context_->err == REDIS_ERR_IO && (error == ECONNRESET || error == EPIPE)));
  absl::Status status = absl::UnavailableError(
      absl::StrCat("redis ", address_.host, ":", address_.port, ": ", what, ": ",
                   context_ != nullptr ? context_->errstr : "not connected"));
  Disconnect();
  return status;
}

absl::StatusOr<ReplyPtr> RedisConnection::Command(const std::vector<std::string>& argv) {
  if (absl::Status status = Append(argv); !status.ok()) return status;
  return GetReply();
}

absl::StatusOr<std::vector<absl::StatusOr<ReplyPtr>>> RedisConnection::Pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  for (const std::vector<std::string>& argv : commands) {
    if (absl::Status status = Append(argv); !status.ok()) return status;
  }
  std::vector<absl::StatusOr<ReplyPtr>> replies;
  replies.reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    replies.push_back(GetReply());
    if (!connected()) return replies.back().status();  // broken: nothing is left to read
  }
  return replies;
}

absl::Status RedisConnection::Append(const std::vector<std::string>& argv) {
  if (context_ == nullptr) return absl::UnavailableError("redis: not connected");
  Argv args(argv);
  if (redisAppendCommandArgv(context_, static_cast<int>(argv.size()), args.pointers.data(),
                             args.lengths.data()) != REDIS_OK) {
    return Broken("sending");
  }
  return absl::OkStatus();
}

absl::StatusOr<ReplyPtr> RedisConnection::GetReply() {
  if (context_ == nullptr) return absl::UnavailableError("redis: not connected");
  void* raw = nullptr;
  if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) return Broken("reading");
  ReplyPtr reply(static_cast<redisReply*>(raw));
  ++replies_;
  if (reply->type == REDIS_REPLY_ERROR) {
    return absl::FailedPreconditionError(absl::StrCat("redis: ", ReplyText(*reply)));
  }
  return reply;
}

absl::Duration Backoff::Next() {
  next_ = next_ == absl::ZeroDuration() ? initial_ : std::min(next_ * 2, max_);
  return next_;
}

std::string_view ReplyText(const redisReply& reply) {
  if ((reply.type == REDIS_REPLY_STRING || reply.type == REDIS_REPLY_STATUS ||
       reply.type == REDIS_REPLY_ERROR) &&
      reply.str != nullptr) {
    return std::string_view(reply.str, reply.len);
  }
  return {};
}

bool IsArray(const redisReply& reply) { return reply.type == REDIS_REPLY_ARRAY; }
bool IsNil(const redisReply& reply) { return reply.type == REDIS_REPLY_NIL; }
bool IsError(const redisReply& reply) { return reply.type == REDIS_REPLY_ERROR; }

}  // namespace chat::cluster
