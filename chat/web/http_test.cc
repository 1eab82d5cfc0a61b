#include "chat/web/http.h"

#include <string>

#include "gtest/gtest.h"

namespace chat {
namespace {

constexpr char kUpgrade[] =
    "GET /ws?room=x HTTP/1.1\r\n"
    "Host: chat.example:8990\r\n"
    "upgrade: websocket\r\n"
    "Connection: keep-alive, Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "Origin: http://chat.example:8990\r\n"
    "User-Agent: test\r\n"
    "\r\n";

TEST(HttpRequestReaderTest, ReadsTheHeadersTheServerNeeds) {
  HttpRequestReader reader(8192);
  ASSERT_EQ(reader.Feed(kUpgrade), HttpRequestReader::Result::kComplete);
  const HttpRequest& request = reader.request();
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.target, "/ws?room=x");
  EXPECT_EQ(request.path, "/ws");
  EXPECT_EQ(request.http_major, 1u);
  EXPECT_EQ(request.http_minor, 1u);
  EXPECT_TRUE(request.upgrade);
  EXPECT_EQ(request.host, "chat.example:8990");
  EXPECT_EQ(request.upgrade_header, "websocket");
  EXPECT_EQ(request.connection, "keep-alive, Upgrade");
  EXPECT_EQ(request.websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
  EXPECT_EQ(request.websocket_version, "13");
  EXPECT_EQ(request.origin, "http://chat.example:8990");
  EXPECT_EQ(reader.consumed(), std::string(kUpgrade).size());
}

TEST(HttpRequestReaderTest, AByteAtATimeAndFramesRightBehind) {
  const std::string stream = std::string(kUpgrade) + "\x81\x85";
  HttpRequestReader reader(8192);
  size_t i = 0;
  HttpRequestReader::Result result = HttpRequestReader::Result::kNeedMore;
  for (; i + 1 < std::string(kUpgrade).size(); ++i) {
    result = reader.Feed(stream.substr(i, 1));
    ASSERT_EQ(result, HttpRequestReader::Result::kNeedMore) << i;
  }
  // The last byte of the head arrives with the first bytes of a frame.
  ASSERT_EQ(reader.Feed(stream.substr(i)), HttpRequestReader::Result::kComplete);
  EXPECT_EQ(reader.consumed(), 1u);
  EXPECT_EQ(reader.request().websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
}

TEST(HttpRequestReaderTest, RepeatedHeadersAreJoined) {
  HttpRequestReader reader(8192);
  ASSERT_EQ(reader.Feed("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n"
                        "Connection: upgrade\r\n\r\n"),
            HttpRequestReader::Result::kComplete);
  EXPECT_EQ(reader.request().connection, "keep-alive, upgrade");
  EXPECT_FALSE(reader.request().upgrade);
}

TEST(HttpRequestReaderTest, AHeadOverTheBoundIsTooLarge) {
  HttpRequestReader reader(64);
  EXPECT_EQ(reader.Feed("GET / HTTP/1.1\r\nHost: a\r\n"), HttpRequestReader::Result::kNeedMore);
  EXPECT_EQ(reader.Feed("X-Padding: " + std::string(100, 'x') + "\r\n\r\n"),
            HttpRequestReader::Result::kTooLarge);
}

TEST(HttpRequestReaderTest, NotHttpIsMalformed) {
  for (const char* garbage : {"\x16\x03\x01\x02\x00", "HELLO\r\n\r\n", "GET / FTP/1.0\r\n\r\n",
                              "GET / HTTP/1.1\r\nBad Header\r\n\r\n"}) {
    HttpRequestReader reader(8192);
    EXPECT_EQ(reader.Feed(garbage), HttpRequestReader::Result::kMalformed) << garbage;
  }
}

TEST(HttpRequestReaderTest, ABodyIsNotWaitedFor) {
  HttpRequestReader reader(8192);
  EXPECT_EQ(reader.Feed("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\nabc"),
            HttpRequestReader::Result::kComplete);
  EXPECT_EQ(reader.request().method, "POST");
}

TEST(WebSocketKeyTest, TheAcceptKeyOfRfc6455) {
  // RFC 6455 section 1.3's example.
  EXPECT_EQ(WebSocketAcceptKey("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WebSocketKeyTest, OnlySixteenBytesOfBase64) {
  EXPECT_TRUE(IsWebSocketKey("dGhlIHNhbXBsZSBub25jZQ=="));
  EXPECT_FALSE(IsWebSocketKey(""));
  EXPECT_FALSE(IsWebSocketKey("dGhlIHNhbXBsZSBub25jZQ"));     // no padding
  EXPECT_FALSE(IsWebSocketKey("dGhlIHNhbXBsZSBub25jZ!=="));  // not base64
  EXPECT_FALSE(IsWebSocketKey("dGhlIHNhbXBsZSBub25jZQdGhl"));
}

TEST(HttpResponseTest, FormatsStatusHeadersLengthAndBody) {
  HttpResponse response;
  response.status = 404;
  response.headers = {{"Connection", "close"}};
  response.body = "no\n";
  EXPECT_EQ(response.Format(),
            "HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 3\r\n\r\nno\n");
  EXPECT_EQ(response.Format(/*head_only=*/true),
            "HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 3\r\n\r\n");
}

}  // namespace
}  // namespace chat
