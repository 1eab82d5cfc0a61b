// chat/web/endpoint.h: what the web port answers to an HTTP request.
//
// Defines:
//   HttpAnswer      - the response's bytes, and whether WebSocket frames follow.
//   AnswerRequest   - routes a request: the page's files, the /ws upgrade, or an error.
//   AnswerUnreadable - the response to a request that could not be read.
//
// Pure functions: the WebSocket transport reads the request and sends the answer.

#ifndef CHAT_WEB_ENDPOINT_H_
#define CHAT_WEB_ENDPOINT_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chat/web/http.h"

namespace chat {

// Which pages may open the WebSocket. The chat's own page always may (its Origin names the
// host the request was sent to); these are the others.
struct OriginPolicy {
  // Exact origins ("https://example.org", "http://localhost:3000"), compared without
  // regard to case. "*" allows every page on the web: only for a server nobody outside a
  // private network can reach, since any site could then use its visitors' browsers as
  // chat clients.
  std::vector<std::string> also_allowed;
};

// ParseOriginList() reads a comma-separated --http_allowed_origins value: each entry "*"
// or "http(s)://host[:port]" with nothing after the authority. Returns the refusal's
// reason on anything else.
std::optional<std::string> ParseOriginList(std::string_view text, OriginPolicy* policy);

struct HttpAnswer {
  int status = 200;
  std::string response;  // the bytes to send
  bool upgrade = false;  // 101: the connection speaks WebSocket from here on
};

// AnswerRequest() answers
//   GET|HEAD /, /app.js, /style.css  the page (static_files.h), with a strict
//                                    Content-Security-Policy and no caching beyond
//                                    revalidation;
//   GET /ws with a valid upgrade     101 and the handshake (RFC 6455 4.2.2): HTTP/1.1 or
//                                    later, "Upgrade: websocket", "Connection: upgrade",
//                                    version 13, a 16-byte key, and an Origin (browsers
//                                    send one) naming the host the request was sent to
//                                    or one `origins` allows, so no other site's page
//                                    can use its visitors' browsers as chat clients;
// and otherwise 400, 403, 404, 405, 426 or 505, each with a one-line text body. Every
// response closes the connection (one request per connection: a client slot is not held
// by an idle keep-alive).
HttpAnswer AnswerRequest(const HttpRequest& request, const OriginPolicy& origins = {});

// AnswerRefused() is 503 with `notice` (why the per-address limits turned the connection
// away) as its text, sent before the request is read.
HttpAnswer AnswerRefused(std::string_view notice);

// AnswerUnreadable() is 431 for kTooLarge, 408 for a request not complete in time, and
// 400 otherwise.
HttpAnswer AnswerUnreadable(HttpRequestReader::Result result, bool timed_out = false);

}  // namespace chat

#endif  // CHAT_WEB_ENDPOINT_H_
