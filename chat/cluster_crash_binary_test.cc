// kill -9 of one instance of a cluster (--redis) in the middle of a burst: nothing any
// client saw is missing from the shared history, nothing is out of order, and the other
// instance goes on serving.

#include <signal.h>

#include <algorithm>
#include <iostream>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "chat/testing/cluster_fixture.h"
#include "gtest/gtest.h"

namespace chat {
namespace {

using testing::Eventually;
using testing::Instance;
using testing::kPatience;
using testing::LineClient;
using testing::Login;
using testing::RedisServer;

// The flags that let one client say thousands of lines at once.
const std::vector<std::string> kNoFloodLimits = {
    "--max_msgs_per_sec=0", "--ip_lines_per_sec=0", "--ip_bytes_per_sec=0",
    "--max_outbox_bytes=67108864"};

// Chat lines ("speaker:msg-...") one client received, recorded as they arrive by a thread
// of their own, up to `stop_at` or the end of the connection. Only whole lines count: a
// connection cut mid-line must not record "msg-alice-1" for "msg-alice-12".
class Recorder {
 public:
  Recorder(LineClient& client, std::string stop_at)
      : stop_at_(std::move(stop_at)), thread_([this, &client] { Run(client); }) {}
  ~Recorder() { Join(); }

  void Join() {
    if (thread_.joinable()) thread_.join();
  }
  size_t count() const {
    absl::MutexLock lock(&mu_);
    return lines_.size();
  }
  std::vector<std::string> lines() const {
    absl::MutexLock lock(&mu_);
    return lines_;
  }

 private:
  void Run(LineClient& client) {
    static const std::regex kLine(R"(\]\[(\w+)\]:(msg-\w+-\d+)\r?\n)");
    const absl::Time deadline = absl::Now() + 3 * kPatience;
    while (absl::Now() < deadline) {
      const std::string chunk = client.ReadUntil("\n");
      if (chunk.empty() || chunk.back() != '\n') return;  // closed, or cut mid-line
      for (std::sregex_iterator it(chunk.begin(), chunk.end(), kLine), end; it != end; ++it) {
        std::string line = absl::StrCat((*it)[1].str(), ":", (*it)[2].str());
        const bool last = line == stop_at_;
        absl::MutexLock lock(&mu_);
        lines_.push_back(std::move(line));
        if (last) return;
      }
    }
  }

  const std::string stop_at_;
  mutable absl::Mutex mu_;
  std::vector<std::string> lines_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

// A newcomer's history replay on `port`, up to and including `last`.
std::vector<std::string> HistoryOf(int port, const std::string& name, const std::string& last) {
  absl::StatusOr<LineClient> client = LineClient::Connect(port);
  EXPECT_TRUE(client.ok()) << client.status();
  if (!client.ok()) return {};
  client->ReadUntil("[ENTER YOUR NAME]: ");
  client->Send(absl::StrCat(name, "\n"));  // the replay comes before the first prompt
  Recorder recorder(*client, last);
  recorder.Join();
  return recorder.lines();
}

std::vector<std::string> Except(const std::vector<std::string>& lines, const std::string& speaker) {
  std::vector<std::string> out;
  for (const std::string& line : lines) {
    if (!line.starts_with(speaker + ":")) out.push_back(line);
  }
  return out;
}

TEST(ClusterCrashBinaryTest, AnInstanceKilledMidBurstLosesNothingAnyoneSawAndTheOtherServesOn) {
  RedisServer redis(/*append_only=*/true);
  ASSERT_TRUE(redis.Start().ok());
  auto a = std::make_unique<Instance>(redis, "a", kNoFloodLimits);
  Instance b(redis, "b", kNoFloodLimits);
  ASSERT_GT(a->port, 0);
  ASSERT_GT(b.port, 0);

  LineClient alice = Login(a->port, "alice");
  LineClient carol = Login(a->port, "carol");
  LineClient bob = Login(b.port, "bob");
  LineClient dave = Login(b.port, "dave");
  // Everyone is in everywhere before the burst starts, so each sees all of it.
  for (LineClient* client : {&alice, &carol, &bob}) client->ReadUntil("dave has joined our chat...");

  // After the crash bob speaks, then dave answers: each recorder stops at the other's line.
  Recorder on_carol(carol, "never");  // until A dies
  Recorder on_bob(bob, "dave:msg-dave-0");
  Recorder on_dave(dave, "bob:msg-bob-0");

  constexpr int kBurst = 2000;
  std::string burst;
  for (int n = 0; n < kBurst; ++n) absl::StrAppend(&burst, "msg-alice-", n, "\n");
  ASSERT_TRUE(alice.Send(burst));
  // Each of alice's lines is one XADD and round trip after the one before; B's clients
  // seeing the first tenth means A is in the middle of the burst.
  ASSERT_TRUE(Eventually([&] { return on_dave.count() >= kBurst / 10; })) << on_dave.count();
  a->process->Signal(SIGKILL);
  ASSERT_TRUE(a->process->Wait(kPatience).has_value());
  on_carol.Join();  // A's connections end with it
  a.reset();

  // B goes on: its clients still chat, both ways.
  ASSERT_TRUE(bob.Send("msg-bob-0\n"));
  on_dave.Join();
  ASSERT_TRUE(dave.Send("msg-dave-0\n"));
  on_bob.Join();
  const std::vector<std::string> dave_saw = on_dave.lines();
  const std::vector<std::string> bob_saw = on_bob.lines();
  ASSERT_FALSE(dave_saw.empty());
  ASSERT_EQ(dave_saw.back(), "bob:msg-bob-0");
  ASSERT_FALSE(bob_saw.empty());
  ASSERT_EQ(bob_saw.back(), "dave:msg-dave-0");

  // A newcomer on B, and one on a new instance started after the crash, are replayed the
  // same history up to dave's answer.
  const std::vector<std::string> history = HistoryOf(b.port, "erin", "dave:msg-dave-0");
  ASSERT_FALSE(history.empty());
  ASSERT_EQ(history.back(), "dave:msg-dave-0");
  Instance restarted(redis, "a2", kNoFloodLimits);
  ASSERT_GT(restarted.port, 0);
  EXPECT_EQ(HistoryOf(restarted.port, "frank", "dave:msg-dave-0"), history);

  // alice's lines went into Redis one after the other: the history holds a prefix of the
  // burst, in order, and the kill cut it short after at least what B's clients saw.
  const std::vector<std::string> alices = Except(Except(history, "bob"), "dave");
  ASSERT_GE(alices.size(), static_cast<size_t>(kBurst / 10));
  for (size_t n = 0; n < alices.size(); ++n) {
    ASSERT_EQ(alices[n], absl::StrCat("alice:msg-alice-", n));
  }
  // Every surviving client saw exactly the history (less its own lines) in its order ...
  EXPECT_EQ(dave_saw, Except(std::vector<std::string>(history.begin(), history.end() - 1), "dave"));
  EXPECT_EQ(bob_saw, Except(history, "bob"));
  // ... and what carol, on A, saw before the kill is all in it, in the same order.
  const std::vector<std::string> carol_saw = on_carol.lines();
  ASSERT_LE(carol_saw.size(), alices.size());
  EXPECT_EQ(carol_saw, std::vector<std::string>(alices.begin(), alices.begin() + carol_saw.size()));
  if (static_cast<int>(alices.size()) == kBurst) {
    std::cerr << "the whole burst was stored before the kill: not a mid-burst crash this time\n";
  }
}

}  // namespace
}  // namespace chat
