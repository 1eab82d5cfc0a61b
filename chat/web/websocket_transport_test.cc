// WebSocketTransport over a socketpair: the test plays the browser on one end and drives
// the transport's reader (Receive) and writer (Send) itself, one at a time.

#include "chat/web/websocket_transport.h"

#include <sys/socket.h>

#include <errno.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "chat/testing/line_client.h"
#include "chat/testing/socket_pair.h"
#include "chat/testing/websocket_client.h"
#include "chat/transport/tcp_transport.h"
#include "gtest/gtest.h"

namespace chat {
namespace {

using testing::LineClient;
using testing::WebSocketClient;

constexpr uint8_t kText = 0x1, kBinary = 0x2, kClose = 0x8, kPing = 0x9, kPong = 0xA;

class WebSocketTransportTest : public ::testing::Test {
 protected:
  void Open(WebSocketOptions options = {}) {
    testing::SocketPair pair = testing::MakeSocketPair();
    transport_ = std::make_unique<WebSocketTransport>(
        std::make_unique<TcpTransport>(std::move(pair.server_end)), options);
    client_ = std::make_unique<WebSocketClient>(LineClient(std::move(pair.client_end)));
  }

  // The transport's reader: the next message, or "" with `result_` set otherwise.
  std::string Receive() {
    char buffer[16 * 1024];
    errno = 0;
    result_ = transport_->Receive(buffer, sizeof(buffer));
    error_ = errno;
    return result_ > 0 ? std::string(buffer, static_cast<size_t>(result_)) : std::string();
  }

  // Upgrades, with `first` sent right behind the request.
  void Upgrade(std::string first = WebSocketClient::Frame(kText, "hello")) {
    client_->Send(WebSocketClient::UpgradeRequest() + first);
    ASSERT_EQ(Receive(), "hello");
    ASSERT_EQ(transport_->Send({}), SendResult::kOk);
    ASSERT_TRUE(absl::StartsWith(client_->ReadHead(), "HTTP/1.1 101 Switching Protocols\r\n"));
  }

  // Receive() fails with EPROTO, and the client is sent a close with `code`.
  void ExpectFailedWith(uint16_t code) {
    EXPECT_EQ(Receive(), "");
    EXPECT_EQ(result_, -1);
    EXPECT_EQ(error_, EPROTO);
    transport_->Send("{\"type\":\"late\"}\n");  // dropped: closing
    transport_->FinishSending();
    const WebSocketClient::Message close = client_->Read();
    EXPECT_EQ(close.opcode, kClose);
    EXPECT_EQ(WebSocketClient::CloseCode(close), code);
    EXPECT_EQ(client_->line().ReadToEnd(), "");  // nothing after the close
  }

  std::unique_ptr<WebSocketTransport> transport_;
  std::unique_ptr<WebSocketClient> client_;
  ssize_t result_ = 0;
  int error_ = 0;
};

TEST_F(WebSocketTransportTest, UpgradesThenCarriesOneMessagePerLine) {
  Open();
  // The session queues its banner before the client has even sent its request.
  ASSERT_EQ(transport_->Send("{\"type\":\"banner\"}\n"), SendResult::kOk);
  Upgrade();
  ASSERT_EQ(transport_->Send("{\"a\":1}\n{\"b\":2}\n"), SendResult::kOk);
  EXPECT_EQ(client_->Read().payload, "{\"type\":\"banner\"}");
  EXPECT_EQ(client_->Read().payload, "{\"a\":1}");
  const WebSocketClient::Message b = client_->Read();
  EXPECT_EQ(b.opcode, kText);
  EXPECT_EQ(b.payload, "{\"b\":2}");
  EXPECT_EQ(transport_->kind(), "websocket");
}

TEST_F(WebSocketTransportTest, ALineSplitAcrossSendsIsOneFragmentedMessage) {
  Open();
  Upgrade();
  ASSERT_EQ(transport_->Send("{\"type\":\"welcome\",\"history\":["), SendResult::kOk);
  ASSERT_EQ(transport_->Send("1,2,"), SendResult::kOk);
  ASSERT_EQ(transport_->Send("3]}\n{\"next\":0}\n"), SendResult::kOk);
  EXPECT_EQ(client_->Read().payload, "{\"type\":\"welcome\",\"history\":[1,2,3]}");
  EXPECT_EQ(client_->Read().payload, "{\"next\":0}");
}

TEST_F(WebSocketTransportTest, FragmentsAreReassembledAndPingsAnsweredBetweenThem) {
  Open();
  Upgrade();
  client_->Send(WebSocketClient::Frame(kText, "{\"type\":", /*fin=*/false));
  client_->Send(WebSocketClient::Frame(kPing, "are you there"));
  client_->Send(WebSocketClient::Frame(0x0, "\"say\"", /*fin=*/false));
  client_->Send(WebSocketClient::Frame(0x0, "}", /*fin=*/true));
  EXPECT_EQ(Receive(), "{\"type\":\"say\"}");
  ASSERT_EQ(transport_->Send({}), SendResult::kOk);
  const WebSocketClient::Message pong = client_->Read();
  EXPECT_EQ(pong.opcode, kPong);
  EXPECT_EQ(pong.payload, "are you there");
}

TEST_F(WebSocketTransportTest, APingFloodQueuesOnePong) {
  Open();
  Upgrade();
  std::string flood;
  for (int i = 0; i < 1000; ++i) flood += WebSocketClient::Frame(kPing, absl::StrCat(i));
  client_->Send(flood + WebSocketClient::Frame(kText, "after"));
  EXPECT_EQ(Receive(), "after");
  ASSERT_EQ(transport_->Send({}), SendResult::kOk);
  ASSERT_EQ(transport_->FinishSending(), SendResult::kOk);
  const WebSocketClient::Message pong = client_->Read();
  EXPECT_EQ(pong.opcode, kPong);
  EXPECT_EQ(pong.payload, "999");
  const WebSocketClient::Message close = client_->Read();
  EXPECT_EQ(close.opcode, kClose);
  EXPECT_EQ(WebSocketClient::CloseCode(close), 1000);
}

TEST_F(WebSocketTransportTest, TheClosingHandshake) {
  Open();
  Upgrade();
  client_->Send(WebSocketClient::Frame(kClose, std::string("\x03\xe9", 2) + "bye"));
  EXPECT_EQ(Receive(), "");
  EXPECT_EQ(result_, 0);  // end of stream
  transport_->Send("{\"type\":\"goodbye\"}\n");
  transport_->FinishSending();
  const WebSocketClient::Message close = client_->Read();
  EXPECT_EQ(close.opcode, kClose);
  EXPECT_EQ(WebSocketClient::CloseCode(close), 1001);  // echoed
  EXPECT_EQ(client_->line().ReadToEnd(), "");
}

TEST_F(WebSocketTransportTest, UnmaskedFramesAreRefused) {
  Open();
  Upgrade();
  client_->Send(WebSocketClient::Frame(kText, "hi", true, /*masked=*/false));
  ExpectFailedWith(1002);
}

TEST_F(WebSocketTransportTest, BinaryMessagesAreRefused) {
  Open();
  Upgrade();
  client_->Send(WebSocketClient::Frame(kBinary, "\x01\x02"));
  ExpectFailedWith(1003);
}

TEST_F(WebSocketTransportTest, OversizedMessagesAreRefusedBeforeTheyAreRead) {
  WebSocketOptions options;
  options.max_message_bytes = 100;
  Open(options);
  Upgrade();
  // Only the header: the transport refuses on the announced length alone.
  std::string frame = WebSocketClient::Frame(kText, std::string(1 << 20, 'x'));
  client_->Send(frame.substr(0, 100));
  ExpectFailedWith(1009);
}

TEST_F(WebSocketTransportTest, FragmentsAddUpToTheLimit) {
  WebSocketOptions options;
  options.max_message_bytes = 100;
  Open(options);
  Upgrade();
  for (int i = 0; i < 3; ++i) {
    client_->Send(WebSocketClient::Frame(i == 0 ? kText : 0x0, std::string(40, 'x'), false));
  }
  ExpectFailedWith(1009);
}

TEST_F(WebSocketTransportTest, TooManyFragmentsAreRefused) {
  WebSocketOptions options;
  options.max_fragments = 8;
  Open(options);
  Upgrade();
  std::string fragments = WebSocketClient::Frame(kText, "", false);
  for (int i = 0; i < 10; ++i) fragments += WebSocketClient::Frame(0x0, "", false);
  client_->Send(fragments);
  ExpectFailedWith(1009);
}

TEST_F(WebSocketTransportTest, InvalidUtf8IsRefused) {
  Open();
  Upgrade();
  client_->Send(WebSocketClient::Frame(kText, "caf\xC3"));
  ExpectFailedWith(1007);
}

TEST_F(WebSocketTransportTest, WhatRfc6455ForbidsIsAProtocolError) {
  for (const std::string& frame :
       {WebSocketClient::Frame(kText, "x", true, true, /*rsv=*/4),
        WebSocketClient::Frame(0x3, "x"), WebSocketClient::Frame(0xB, ""),
        WebSocketClient::Frame(0x0, "continuation of nothing"),
        WebSocketClient::Frame(kText, "a", false) + WebSocketClient::Frame(kText, "b"),
        WebSocketClient::Frame(kPing, "x", /*fin=*/false),
        WebSocketClient::Frame(kClose, "\x03"), WebSocketClient::Frame(kClose, "\x03\xed"),
        std::string("\x81\xff\x80\x00\x00\x00\x00\x00\x00\x00", 10)}) {
    SCOPED_TRACE(absl::CEscape(frame));
    Open();
    Upgrade();
    client_->Send(frame);
    ExpectFailedWith(1002);
  }
}

TEST_F(WebSocketTransportTest, APageRequestIsAnsweredAndEndsTheStream) {
  Open();
  transport_->Send("{\"type\":\"early-bird\"}\n");  // not for a page request
  client_->Send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
  EXPECT_EQ(Receive(), "");
  EXPECT_EQ(result_, 0);
  transport_->Send("{\"type\":\"more\"}\n");
  transport_->FinishSending();
  const std::string response = client_->line().ReadToEnd();
  EXPECT_TRUE(absl::StartsWith(response, "HTTP/1.1 200 OK\r\n")) << response;
  EXPECT_TRUE(absl::EndsWith(response, "</html>\n"));
  EXPECT_FALSE(absl::StrContains(response, "early-bird"));
  EXPECT_FALSE(absl::StrContains(response, "more"));
}

TEST_F(WebSocketTransportTest, GarbageGetsA400) {
  Open();
  client_->Send("\x16\x03\x01 hello\r\n\r\n");
  EXPECT_EQ(Receive(), "");
  transport_->FinishSending();
  EXPECT_TRUE(absl::StartsWith(client_->line().ReadToEnd(), "HTTP/1.1 400 Bad Request\r\n"));
}

TEST_F(WebSocketTransportTest, AnUnfinishedRequestTimesOutAndGetsA408) {
  Open();
  transport_->SetReceiveTimeout(absl::Milliseconds(50));
  client_->Send("GET /ws HTTP/1.1\r\nHost: loc");
  EXPECT_EQ(Receive(), "");
  EXPECT_EQ(result_, -1);
  EXPECT_EQ(error_, EAGAIN);
  transport_->FinishSending();
  EXPECT_TRUE(absl::StartsWith(client_->line().ReadToEnd(), "HTTP/1.1 408 Request Timeout\r\n"));
}

// A client that leaves mid-request (a port scan, a cancelled preconnect) simply ends:
// end of stream, not an error, and no 408 sent after it.
TEST_F(WebSocketTransportTest, AClientLeavingMidRequestIsAnOrdinaryEnd) {
  Open();
  client_->Send("GET /ws HTTP/1.1\r\nHost: loc");
  ASSERT_EQ(::shutdown(client_->line().fd(), SHUT_WR), 0);
  EXPECT_EQ(Receive(), "");
  EXPECT_EQ(result_, 0);
  EXPECT_EQ(transport_->FinishSending(), SendResult::kOk);
  EXPECT_EQ(client_->line().ReadToEnd(), "");
}

// Pings are not data: a client that pings and says nothing still times out. (Were pings
// to restart the timeout, Receive() would never return and the test would time out.)
TEST_F(WebSocketTransportTest, PingsDoNotKeepAReceiveWaiting) {
  Open();
  Upgrade();
  transport_->SetReceiveTimeout(absl::Milliseconds(100));
  std::atomic<bool> done = false;
  const int fd = client_->line().fd();
  std::thread pinger([&] {
    const std::string ping = WebSocketClient::Frame(kPing, "");
    while (!done.load()) {
      if (SendAll(fd, ping) != SendResult::kOk) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  EXPECT_EQ(Receive(), "");
  EXPECT_EQ(result_, -1);
  EXPECT_EQ(error_, EAGAIN);
  done.store(true);
  pinger.join();
}

}  // namespace
}  // namespace chat
