// chat/testing/session_fixture.h: a gtest fixture that runs Sessions over socketpair(2)
// with a fake clock, so tests see exact bytes. The test holds each client end.

#ifndef CHAT_TESTING_SESSION_FIXTURE_H_
#define CHAT_TESTING_SESSION_FIXTURE_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "chat/core/lobby.h"
#include "chat/message.h"
#include "chat/metrics/server_metrics.h"
#include "chat/motd.h"
#include "chat/name_registry.h"
#include "chat/session.h"
#include "chat/testing/fake_clock.h"
#include "chat/testing/line_client.h"
#include "chat/testing/protocol.h"
#include "chat/testing/socket_pair.h"
#include "chat/transport/tcp_transport.h"
#include "gtest/gtest.h"

namespace chat::testing {

inline const absl::Time kStart =
    absl::FromCivil(absl::CivilSecond(2026, 1, 2, 3, 4, 5), absl::UTCTimeZone());

class SessionFixture : public ::testing::Test {
 protected:
  SessionFixture() : lobby_(/*history_limit=*/100, /*max_rooms=*/3), clock_(kStart) {}

  void SetUp() override {
    context_.lobby = &lobby_;
    context_.names = &names_;
    context_.clock = &clock_;
    context_.metrics = &metrics_;
    context_.time_zone = absl::UTCTimeZone();
    context_.options = options_;
  }

  // The test body's LineClients are gone by now, so every session has seen end of stream.
  ~SessionFixture() override {
    AwaitSessionsFinished();
    for (auto& connection : connections_) connection->session.reset();
  }

  // Waits until every session's threads are done with the context. A derived fixture
  // that owns something the sessions use (a store, a mute list) calls it from TearDown():
  // its members are destroyed before this base's destructor would wait.
  void AwaitSessionsFinished() {
    for (auto& connection : connections_) connection->finished.WaitForNotification();
  }

  struct Connection {
    std::unique_ptr<Session> session;
    absl::Notification finished;
  };

  // The prompt as the fake clock stamps it now.
  std::string Prompt(std::string_view name) const {
    return FormatPrompt(clock_.Now(), absl::UTCTimeZone(), name);
  }
  std::string Event(std::string_view line, std::string_view recipient) const {
    return absl::StrCat("\n", line, "\n", Prompt(recipient));
  }

  // Connect() starts a Session on one end of a socketpair and returns the other end.
  LineClient Connect() {
    SocketPair pair = MakeSocketPair();
    auto connection = std::make_unique<Connection>();
    Connection* raw = connection.get();
    connection->session = std::make_unique<Session>(
        std::make_unique<TcpTransport>(std::move(pair.server_end)), context_,
        [raw](Session*) { raw->finished.Notify(); });
    connection->session->Start();
    connections_.push_back(std::move(connection));
    return LineClient(std::move(pair.client_end));
  }

  // Connects and logs in as `name`, consuming the welcome and the first prompt.
  LineClient LoggedIn(std::string_view name) {
    LineClient client = Connect();
    LogIn(client, name, Prompt(name));
    return client;
  }

  Session& session(size_t i) { return *connections_[i]->session; }

  // Waits until session `i` has acted on `lines` lines in total (login included).
  bool AwaitLinesReceived(size_t i, uint64_t lines) {
    for (int tries = 0; tries < 20000; ++tries) {
      if (session(i).lines_received() >= lines) return true;
      absl::SleepFor(absl::Milliseconds(1));
    }
    return false;
  }
  absl::Notification& finished(size_t i) { return connections_[i]->finished; }

  SessionOptions options_;
  Lobby lobby_;
  Room& room_ = lobby_.default_room();
  NameRegistry names_;
  FakeClock clock_;
  metrics::ServerMetrics metrics_{"test"};
  // Set context_.motd = &motd_ to show one. Here, not in a derived fixture: sessions
  // read it until the destructor above has joined them.
  Motd motd_;
  SessionContext context_;
  std::vector<std::unique_ptr<Connection>> connections_;
};

}  // namespace chat::testing

#endif  // CHAT_TESTING_SESSION_FIXTURE_H_
