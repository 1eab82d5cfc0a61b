#include "chat/web/endpoint.h"

#include <string_view>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "chat/web/static_files.h"

namespace chat {
namespace {

// The page loads only its own script and style and talks only to its own host; nothing
// may frame it or be loaded from elsewhere. ('self' covers ws: to the same host.)
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

HttpResponse Base(int status) {
  HttpResponse response;
  response.status = status;
  response.headers = {
      {"Connection", "close"},
      {"Content-Security-Policy", std::string(kContentSecurityPolicy)},
      {"X-Content-Type-Options", "nosniff"},
      {"X-Frame-Options", "DENY"},
      {"Referrer-Policy", "no-referrer"},
      {"Cross-Origin-Opener-Policy", "same-origin"},
      {"Cross-Origin-Resource-Policy", "same-origin"},
  };
  return response;
}

HttpAnswer Answer(const HttpResponse& response, bool head_only = false) {
  return HttpAnswer{response.status, response.Format(head_only), response.status == 101};
}

HttpAnswer Error(int status, std::string_view why,
                 std::vector<std::pair<std::string, std::string>> extra = {}) {
  HttpResponse response = Base(status);
  response.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  response.headers.emplace_back("Cache-Control", "no-store");
  for (auto& header : extra) response.headers.push_back(std::move(header));
  response.body = absl::StrCat(why, "\n");
  return Answer(response);
}

// Whether the comma-separated header `value` has `token` (case-insensitive).
bool HasToken(std::string_view value, std::string_view token) {
  for (std::string_view item : absl::StrSplit(value, ',')) {
    if (absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(item), token)) return true;
  }
  return false;
}

// An Origin ("http://host:port") names the Host the request was sent to.
bool SameOrigin(std::string_view origin, std::string_view host) {
  if (host.empty()) return false;
  return absl::ConsumePrefix(&origin, "http://") || absl::ConsumePrefix(&origin, "https://")
             ? absl::EqualsIgnoreCase(origin, host)
             : false;
}

bool Allowed(std::string_view origin, const OriginPolicy& policy) {
  for (const std::string& allowed : policy.also_allowed) {
    if (allowed == "*" || absl::EqualsIgnoreCase(allowed, origin)) return true;
  }
  return false;
}

HttpAnswer Upgrade(const HttpRequest& request, const OriginPolicy& origins) {
  if (request.method != "GET") return Error(405, "Use GET to open a WebSocket.", {{"Allow", "GET"}});
  if (request.http_major < 1 || (request.http_major == 1 && request.http_minor < 1)) {
    return Error(505, "WebSocket needs HTTP/1.1.");
  }
  if (!HasToken(request.upgrade_header, "websocket") ||
      !HasToken(request.connection, "upgrade")) {
    return Error(426, "This is a WebSocket endpoint: the chat page is at /.",
                 {{"Upgrade", "websocket"}});
  }
  if (request.websocket_version != "13") {
    return Error(426, "Only WebSocket version 13 is spoken here.",
                 {{"Sec-WebSocket-Version", "13"}});
  }
  if (!IsWebSocketKey(request.websocket_key)) return Error(400, "Bad Sec-WebSocket-Key.");
  if (!request.origin.empty() && !SameOrigin(request.origin, request.host) &&
      !Allowed(request.origin, origins)) {
    return Error(403, "Open the chat from its own page.");
  }
  HttpResponse response;
  response.status = 101;
  response.headers = {{"Upgrade", "websocket"},
                      {"Connection", "Upgrade"},
                      {"Sec-WebSocket-Accept", WebSocketAcceptKey(request.websocket_key)}};
  return Answer(response);
}

}  // namespace

std::optional<std::string> ParseOriginList(std::string_view text, OriginPolicy* policy) {
  policy->also_allowed.clear();
  for (std::string_view entry : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    entry = absl::StripAsciiWhitespace(entry);
    if (entry != "*") {
      std::string_view authority = entry;
      if (!absl::ConsumePrefix(&authority, "http://") &&
          !absl::ConsumePrefix(&authority, "https://")) {
        return absl::StrCat("'", entry, "' is not an origin: it starts with http:// or https://");
      }
      // Browsers send the bare origin: no path, query, user or trailing slash.
      if (authority.empty() || authority.find_first_of("/?#@ ") != std::string_view::npos) {
        return absl::StrCat("'", entry, "' is not an origin like https://example.org:8443");
      }
    }
    policy->also_allowed.emplace_back(entry);
  }
  return std::nullopt;
}

HttpAnswer AnswerRequest(const HttpRequest& request, const OriginPolicy& origins) {
  if (request.http_major != 1) return Error(505, "Only HTTP/1.x is spoken here.");
  if (request.http_minor >= 1 && request.host.empty()) {
    return Error(400, "HTTP/1.1 needs a Host header.");
  }
  if (request.path == "/ws") return Upgrade(request, origins);
  for (const StaticFile& file : StaticFiles()) {
    if (file.path != request.path) continue;
    const bool head = request.method == "HEAD";
    if (request.method != "GET" && !head) {
      return Error(405, "Only GET and HEAD.", {{"Allow", "GET, HEAD"}});
    }
    HttpResponse response = Base(200);
    response.headers.emplace_back("Content-Type", std::string(file.content_type));
    // The files change only with the binary; revalidating each time keeps an upgrade
    // from mixing an old script with a new page.
    response.headers.emplace_back("Cache-Control", "no-cache");
    response.body = std::string(file.body);
    return Answer(response, head);
  }
  return Error(404, "Not found. The chat page is at /.");
}

HttpAnswer AnswerRefused(std::string_view notice) {
  return Error(503, absl::StripSuffix(notice, "\n"), {{"Retry-After", "10"}});
}

HttpAnswer AnswerUnreadable(HttpRequestReader::Result result, bool timed_out) {
  if (timed_out) return Error(408, "No complete request in time.");
  if (result == HttpRequestReader::Result::kTooLarge) {
    return Error(431, "The request's headers are too large.");
  }
  return Error(400, "That is not an HTTP/1.1 request.");
}

}  // namespace chat
