// chat/testing/cluster_fixture.h: server instances on one real redis-server, as the
// cluster binary tests drive them (--redis).

#ifndef CHAT_TESTING_CLUSTER_FIXTURE_H_
#define CHAT_TESTING_CLUSTER_FIXTURE_H_

#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "chat/testing/line_client.h"
#include "chat/testing/redis_server.h"
#include "chat/testing/server_process.h"
#include "chat/testing/subprocess.h"
#include "gtest/gtest.h"

namespace chat::testing {

inline constexpr char kServer[] = "chat/server";
inline constexpr absl::Duration kPatience = absl::Seconds(30);

// Instance is one real server binary on `redis`, named `id`, with `extra_flags` after
// the usual ones. Killed (SIGKILL) when destroyed, like any Subprocess.
struct Instance {
  Instance(const RedisServer& redis, const std::string& id,
           const std::vector<std::string>& extra_flags = {}) {
    metrics_port = FreeLoopbackPort();
    std::vector<std::string> argv = {
        kServer, "--port=0", absl::StrCat("--redis=", redis.address()),
        absl::StrCat("--instance_id=", id), absl::StrCat("--metrics_port=", metrics_port),
        "--max_clients=20", "--redis_timeout=2s"};
    argv.insert(argv.end(), extra_flags.begin(), extra_flags.end());
    process = std::make_unique<Subprocess>(argv);
    port = ReadPortLine(*process, "Listening on the port :", kPatience);
  }
  std::unique_ptr<Subprocess> process;
  int port = -1;
  int metrics_port = -1;
};

// Logs `name` in on `port`; returns the client, past its first prompt.
inline LineClient Login(int port, const std::string& name) {
  absl::StatusOr<LineClient> client = LineClient::Connect(port);
  EXPECT_TRUE(client.ok()) << client.status();
  if (!client.ok()) return LineClient();
  client->ReadUntil("[ENTER YOUR NAME]: ");
  client->Send(absl::StrCat(name, "\n"));
  client->ReadUntil(absl::StrCat("[", name, "]:"));
  return *std::move(client);
}

// /healthz of an instance: "200 ..." or "503 ...", status code and body.
inline std::string Health(int metrics_port) {
  absl::StatusOr<LineClient> http = LineClient::Connect(metrics_port);
  if (!http.ok()) return "";
  http->Send("GET /healthz HTTP/1.0\r\n\r\n");
  const std::string response = http->ReadToEnd();
  const size_t body = response.find("\r\n\r\n");
  return absl::StrCat(response.substr(9, 3), " ",
                      body == std::string::npos ? "" : response.substr(body + 4));
}

template <typename F>
bool Eventually(F done) {
  const absl::Time deadline = absl::Now() + kPatience;
  while (!done()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return true;
}

// Reads until `count` chat lines matching "[speaker]:msg-..." arrived; returns them as
// "speaker:msg-..." in arrival order.
inline std::vector<std::string> ReadChat(LineClient& client, size_t count) {
  static const std::regex kLine(R"(\]\[(\w+)\]:(msg-\w+-\d+))");
  std::vector<std::string> lines;
  std::string raw;
  const absl::Time deadline = absl::Now() + kPatience;
  while (lines.size() < count && absl::Now() < deadline) {
    const std::string chunk = client.ReadUntil("\n");
    if (chunk.empty()) break;
    raw += chunk;
    for (std::sregex_iterator it(chunk.begin(), chunk.end(), kLine), end; it != end; ++it) {
      lines.push_back(absl::StrCat((*it)[1].str(), ":", (*it)[2].str()));
    }
  }
  EXPECT_EQ(lines.size(), count) << raw;
  return lines;
}

inline std::vector<std::string> Without(const std::vector<std::string>& lines, const std::string& a,
                                 const std::string& b) {
  std::vector<std::string> out;
  for (const std::string& line : lines) {
    if (!absl::StartsWith(line, a + ":") && !absl::StartsWith(line, b + ":")) out.push_back(line);
  }
  return out;
}

}  // namespace chat::testing

#endif  // CHAT_TESTING_CLUSTER_FIXTURE_H_
