// chat/http_response.h: the HTTP responses TCPChat sends, on the web port and on the
// metrics port alike.
//
// Defines:
//   HttpResponse - a status, headers and body; Format() gives the bytes.
//   HttpReason   - the reason phrase of a status code ("Not Found").

#ifndef CHAT_HTTP_RESPONSE_H_
#define CHAT_HTTP_RESPONSE_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace chat {

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // HttpResponse::Format() is the response's bytes: status line, the headers, a
  // Content-Length (except for 101), and the body unless `head_only` (a HEAD request).
  std::string Format(bool head_only = false) const;
};

// The reason phrase of a status code this server sends ("Not Found").
std::string_view HttpReason(int status);

}  // namespace chat

#endif  // CHAT_HTTP_RESPONSE_H_
