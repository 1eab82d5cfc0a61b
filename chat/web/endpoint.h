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

#include <string>
#include <string_view>

#include "chat/web/http.h"

namespace chat {

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
//                                    send one) naming the host the request was sent to,
//                                    so no other site's page can use its visitors'
//                                    browsers as chat clients;
// and otherwise 400, 403, 404, 405, 426 or 505, each with a one-line text body. Every
// response closes the connection (one request per connection: a client slot is not held
// by an idle keep-alive).
HttpAnswer AnswerRequest(const HttpRequest& request);

// AnswerRefused() is 503 with `notice` (why the per-address limits turned the connection
// away) as its text, sent before the request is read.
HttpAnswer AnswerRefused(std::string_view notice);

// AnswerUnreadable() is 431 for kTooLarge, 408 for a request not complete in time, and
// 400 otherwise.
HttpAnswer AnswerUnreadable(HttpRequestReader::Result result, bool timed_out = false);

}  // namespace chat

#endif  // CHAT_WEB_ENDPOINT_H_
