// chat/web/http.h: the little HTTP/1.1 the web port speaks: one request per connection,
// read with http-parser; a response; the WebSocket handshake's accept key.
//
// Defines:
//   HttpRequest        - what the server needs of a request.
//   HttpRequestReader  - feeds bytes to http-parser until the request's head is complete,
//                        bounded in size.
//   WebSocketAcceptKey - Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455 4.2.2).
//   IsWebSocketKey     - whether a Sec-WebSocket-Key is base64 of 16 bytes.

#ifndef CHAT_WEB_HTTP_H_
#define CHAT_WEB_HTTP_H_

#include <http_parser.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "chat/http_response.h"

namespace chat {

struct HttpRequest {
  std::string method;  // "GET"
  std::string target;  // as sent: "/ws?x=1"
  std::string path;    // the target's path: "/ws" (empty if the target has none)
  unsigned http_major = 0;
  unsigned http_minor = 0;
  // http-parser saw "Connection: upgrade" and an "Upgrade" header.
  bool upgrade = false;
  // Values of the headers the server reads, matched without regard to case; a header
  // sent twice has its values joined with ", " (RFC 9110 5.3). Others are dropped.
  std::string host;
  std::string origin;
  std::string upgrade_header;
  std::string connection;
  std::string websocket_key;
  std::string websocket_version;
};

// HttpRequestReader reads one request's head (request line and headers); a body, and
// anything after it, is not read. Not thread-safe.
//
// Example:
//   HttpRequestReader reader(8192);
//   while (reader.Feed(bytes) == HttpRequestReader::Result::kNeedMore) bytes = ...;
class HttpRequestReader {
 public:
  enum class Result {
    kNeedMore,   // the head is not complete yet
    kComplete,   // request() is the request; consumed() says where its head ended
    kMalformed,  // not HTTP/1.x: answer 400
    kTooLarge,   // the head is longer than the bound: answer 431
  };

  explicit HttpRequestReader(size_t max_head_bytes);
  HttpRequestReader(const HttpRequestReader&) = delete;
  HttpRequestReader& operator=(const HttpRequestReader&) = delete;

  // HttpRequestReader::Feed() parses `bytes`, which follow those fed before. Once it
  // returned anything but kNeedMore, it must not be called again.
  Result Feed(std::string_view bytes);

  const HttpRequest& request() const { return request_; }
  // After kComplete: bytes of the last Feed() that belong to the head. For an upgrade,
  // what follows is the new protocol's (a WebSocket client may send frames at once).
  size_t consumed() const { return consumed_; }

 private:
  static int OnUrl(http_parser* parser, const char* at, size_t length);
  static int OnHeaderField(http_parser* parser, const char* at, size_t length);
  static int OnHeaderValue(http_parser* parser, const char* at, size_t length);
  static int OnHeadersComplete(http_parser* parser);
  // Stores the header just read, if it is one the server reads.
  void FinishHeader();

  const size_t max_head_bytes_;
  http_parser parser_;
  http_parser_settings settings_;
  HttpRequest request_;
  size_t fed_ = 0;
  size_t consumed_ = 0;
  bool head_complete_ = false;
  // The header being read; http-parser may hand over a name or value in pieces.
  std::string field_;
  std::string value_;
  bool in_value_ = false;
};

// WebSocketAcceptKey() is base64(SHA-1(key + the RFC 6455 GUID)).
std::string WebSocketAcceptKey(std::string_view key);

// IsWebSocketKey() is true if `key` is the base64 encoding of 16 bytes (RFC 6455 4.1).
bool IsWebSocketKey(std::string_view key);

}  // namespace chat

#endif  // CHAT_WEB_HTTP_H_
