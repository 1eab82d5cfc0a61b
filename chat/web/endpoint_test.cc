#include "chat/web/endpoint.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace chat {
namespace {

HttpAnswer Answer(std::string head, const OriginPolicy& origins = {}) {
  HttpRequestReader reader(8192);
  EXPECT_EQ(reader.Feed(head + "\r\n"), HttpRequestReader::Result::kComplete) << head;
  return AnswerRequest(reader.request(), origins);
}

std::string Upgrade(std::string extra) {
  return absl::StrCat("GET /ws HTTP/1.1\r\nHost: 127.0.0.1:8990\r\nUpgrade: websocket\r\n"
                      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n",
                      extra);
}

TEST(EndpointTest, ThePageWithItsSecurityHeaders) {
  const HttpAnswer page = Answer("GET / HTTP/1.1\r\nHost: localhost\r\n");
  EXPECT_EQ(page.status, 200);
  EXPECT_FALSE(page.upgrade);
  EXPECT_TRUE(absl::StartsWith(page.response, "HTTP/1.1 200 OK\r\n"));
  for (const char* header :
       {"Content-Type: text/html; charset=utf-8\r\n", "Connection: close\r\n",
        "X-Content-Type-Options: nosniff\r\n", "Cache-Control: no-cache\r\n",
        "Content-Security-Policy: default-src 'none'; script-src 'self'; style-src 'self'; "
        "connect-src 'self';"}) {
    EXPECT_TRUE(absl::StrContains(page.response, header)) << header;
  }
  EXPECT_TRUE(absl::StrContains(page.response, "<script src=\"app.js\""));
  EXPECT_EQ(Answer("GET /app.js HTTP/1.1\r\nHost: a\r\n").status, 200);
  EXPECT_TRUE(absl::StrContains(Answer("GET /style.css HTTP/1.1\r\nHost: a\r\n").response,
                                "Content-Type: text/css; charset=utf-8\r\n"));
}

TEST(EndpointTest, HeadHasNoBody) {
  const HttpAnswer head = Answer("HEAD / HTTP/1.1\r\nHost: a\r\n");
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(absl::EndsWith(head.response, "\r\n\r\n"));
}

TEST(EndpointTest, ErrorsForEverythingElse) {
  EXPECT_EQ(Answer("GET /nope HTTP/1.1\r\nHost: a\r\n").status, 404);
  EXPECT_EQ(Answer("GET /../etc/passwd HTTP/1.1\r\nHost: a\r\n").status, 404);
  EXPECT_EQ(Answer("POST / HTTP/1.1\r\nHost: a\r\n").status, 405);
  EXPECT_EQ(Answer("GET / HTTP/1.1\r\n").status, 400);  // HTTP/1.1 needs a Host
  EXPECT_EQ(Answer("GET / HTTP/1.0\r\n").status, 200);
  EXPECT_EQ(Answer("GET /ws HTTP/1.1\r\nHost: a\r\n").status, 426);  // no upgrade
}

TEST(EndpointTest, AValidUpgradeIsAcceptedWithTheRightKey) {
  const HttpAnswer answer = Answer(Upgrade("Sec-WebSocket-Version: 13\r\n"));
  EXPECT_EQ(answer.status, 101);
  EXPECT_TRUE(answer.upgrade);
  EXPECT_EQ(answer.response,
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
}

TEST(EndpointTest, UpgradesThatAreRefused) {
  EXPECT_EQ(Answer(Upgrade("Sec-WebSocket-Version: 8\r\n")).status, 426);
  EXPECT_TRUE(absl::StrContains(Answer(Upgrade("")).response, "Sec-WebSocket-Version: 13\r\n"));
  EXPECT_EQ(Answer(absl::StrCat("GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n"
                                "Connection: Upgrade\r\nSec-WebSocket-Key: short\r\n"
                                "Sec-WebSocket-Version: 13\r\n"))
                .status,
            400);
  // Another site's page may not use its visitors' browsers as chat clients.
  EXPECT_EQ(Answer(Upgrade("Sec-WebSocket-Version: 13\r\nOrigin: https://evil.example\r\n")).status,
            403);
  EXPECT_EQ(Answer(Upgrade("Sec-WebSocket-Version: 13\r\nOrigin: null\r\n")).status, 403);
  EXPECT_EQ(Answer(Upgrade("Sec-WebSocket-Version: 13\r\nOrigin: http://127.0.0.1:8990\r\n")).status,
            101);
  EXPECT_EQ(Answer(absl::StrCat("GET /ws HTTP/1.0\r\nHost: a\r\nUpgrade: websocket\r\n"
                                "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                "Sec-WebSocket-Version: 13\r\n"))
                .status,
            505);
}

TEST(EndpointTest, AnOperatorMayAllowOtherPagesByOrigin) {
  OriginPolicy policy;
  ASSERT_EQ(ParseOriginList("https://chat.example.org, http://localhost:3000", &policy),
            std::nullopt);
  const std::string version = "Sec-WebSocket-Version: 13\r\n";
  EXPECT_EQ(Answer(Upgrade(version + "Origin: https://chat.example.org\r\n"), policy).status, 101);
  EXPECT_EQ(Answer(Upgrade(version + "Origin: HTTP://LOCALHOST:3000\r\n"), policy).status, 101);
  // Exact origins: not another port, scheme or a look-alike suffix.
  EXPECT_EQ(Answer(Upgrade(version + "Origin: http://localhost:3001\r\n"), policy).status, 403);
  EXPECT_EQ(Answer(Upgrade(version + "Origin: http://chat.example.org\r\n"), policy).status, 403);
  EXPECT_EQ(
      Answer(Upgrade(version + "Origin: https://chat.example.org.evil.example\r\n"), policy).status,
      403);
  // The chat's own page is still welcome.
  EXPECT_EQ(Answer(Upgrade(version + "Origin: http://127.0.0.1:8990\r\n"), policy).status, 101);

  ASSERT_EQ(ParseOriginList("*", &policy), std::nullopt);
  EXPECT_EQ(Answer(Upgrade(version + "Origin: https://anywhere.example\r\n"), policy).status, 101);
  EXPECT_EQ(Answer(Upgrade(version + "Origin: null\r\n"), policy).status, 101);

  ASSERT_EQ(ParseOriginList("", &policy), std::nullopt);
  EXPECT_TRUE(policy.also_allowed.empty());
}

TEST(EndpointTest, OriginListsThatAreNotOriginsAreRefused) {
  OriginPolicy policy;
  for (const char* bad : {"example.org", "https://example.org/", "https://example.org/chat",
                          "ftp://example.org", "https://", "https://user@example.org",
                          "https://a.example,example.org"}) {
    EXPECT_NE(ParseOriginList(bad, &policy), std::nullopt) << bad;
  }
}

TEST(EndpointTest, UnreadableRequests) {
  EXPECT_EQ(AnswerUnreadable(HttpRequestReader::Result::kTooLarge).status, 431);
  EXPECT_EQ(AnswerUnreadable(HttpRequestReader::Result::kMalformed).status, 400);
  EXPECT_EQ(AnswerUnreadable(HttpRequestReader::Result::kNeedMore, /*timed_out=*/true).status,
            408);
}

}  // namespace
}  // namespace chat
