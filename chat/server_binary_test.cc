// The real server binary: command line, stdout, banner over TCP, signals.

#include <signal.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <thread>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "chat/socket.h"
#include "chat/testing/line_client.h"
#include "chat/testing/server_process.h"
#include "chat/testing/subprocess.h"
#include "chat/testing/test_files.h"
#include "gtest/gtest.h"

namespace chat {
namespace {

using testing::LineClient;
using testing::Subprocess;
using testing::TempPath;

constexpr char kServer[] = "chat/server";
constexpr char kUsageLine[] = "[USAGE]: ./TCPChat $port\n";
constexpr absl::Duration kPatience = absl::Seconds(30);

// Runs the server with `args` and expects the classic usage line and exit status 1.
void ExpectUsageError(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {kServer};
  argv.insert(argv.end(), args.begin(), args.end());
  Subprocess server(argv);
  const std::optional<int> status = server.Wait(kPatience);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 1);
  EXPECT_EQ(server.DrainStdout(), kUsageLine);
}

TEST(ServerBinaryTest, TwoPositionalArgumentsIsAUsageError) { ExpectUsageError({"2525", "localhost"}); }
TEST(ServerBinaryTest, NonNumericPortIsAUsageError) { ExpectUsageError({"http"}); }
TEST(ServerBinaryTest, PositionalPortOutOfRangeIsAUsageError) {
  ExpectUsageError({"0"});
  ExpectUsageError({"65536"});
  ExpectUsageError({"-1"});
}
TEST(ServerBinaryTest, PortFlagOutOfRangeIsAUsageError) { ExpectUsageError({"--port=70000"}); }

TEST(ServerBinaryTest, AnAllowedOriginThatIsNotAnOriginIsAStartupError) {
  Subprocess server({kServer, "--port=0", "--http_allowed_origins=https://example.org/chat"});
  const std::optional<int> status = server.Wait(kPatience);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 1);
  EXPECT_TRUE(absl::StrContains(server.DrainStderr(), "--http_allowed_origins: "));
}

// Expects the listening line of a server just started, returns the port.
int StartAndReadPort(Subprocess& server) {
  return testing::ReadPortLine(server, "Listening on the port :", kPatience);
}

TEST(ServerBinaryTest, ServesTheBannerAndShutsDownCleanlyOnSigterm) {
  Subprocess server({kServer, "--port=0"});
  const int port = StartAndReadPort(server);
  ASSERT_GT(port, 0);

  absl::StatusOr<LineClient> alice = LineClient::Connect(port);
  ASSERT_TRUE(alice.ok()) << alice.status();
  const std::string welcome = testing::GoldenWelcome();
  EXPECT_EQ(alice->Read(welcome.size()), welcome);
  alice->Send("alice\n");
  // The prompt carries the real local time; check its shape.
  const std::string prompt = alice->ReadUntil("[alice]:");
  EXPECT_EQ(prompt.size(), std::string("[2026-11-23 18:30:00][alice]:").size()) << prompt;

  absl::StatusOr<LineClient> bob = LineClient::Connect(port);
  ASSERT_TRUE(bob.ok());
  EXPECT_EQ(bob->Read(welcome.size()), welcome);
  bob->Send("bob\nhello from bob\n");
  const std::string joined = alice->ReadUntil("[alice]:");
  EXPECT_TRUE(absl::StartsWith(joined, "\nbob has joined our chat...\n[")) << joined;
  const std::string message = alice->ReadUntil("[alice]:");
  EXPECT_TRUE(absl::StrContains(message, "][bob]:hello from bob\n[")) << message;

  server.Signal(SIGTERM);
  EXPECT_EQ(alice->ReadToEnd(), "\nServer is shutting down. Goodbye!\n");
  const std::optional<int> status = server.Wait(kPatience);
  ASSERT_TRUE(status.has_value()) << "server did not exit after SIGTERM";
  EXPECT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 0);
  const std::string log = server.DrainStderr();
  EXPECT_TRUE(absl::StrContains(log, "login")) << log;
  EXPECT_TRUE(absl::StrContains(log, "all sessions closed")) << log;
}

TEST(ServerBinaryTest, SinglePositionalArgumentIsThePort) {
  // Find a free port, release it, and hand it to the server.
  absl::StatusOr<ScopedFd> probe = ListenTcp("127.0.0.1", 0, 1);
  ASSERT_TRUE(probe.ok());
  const int port = *LocalPort(probe->get());
  probe->Reset();
  Subprocess server({kServer, absl::StrCat(port)});
  EXPECT_EQ(StartAndReadPort(server), port);
  server.Signal(SIGINT);
  const std::optional<int> status = server.Wait(kPatience);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(WEXITSTATUS(*status), 0);
}

TEST(ServerBinaryTest, BusyPortIsReportedNotCrashed) {
  absl::StatusOr<ScopedFd> holder = ListenTcp("", 0, 1);
  ASSERT_TRUE(holder.ok());
  const int port = *LocalPort(holder->get());
  Subprocess server({kServer, absl::StrCat("--port=", port)});
  const std::optional<int> status = server.Wait(kPatience);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 1);
  const std::string err = server.DrainStderr();
  // Once, not once from the log and once for the terminal.
  const std::vector<std::string> parts = absl::StrSplit(err, "cannot start on port");
  EXPECT_EQ(parts.size(), 2u) << err;
}

TEST(ServerBinaryTest, VersionNamesTheProduct) {
  Subprocess server({kServer, "--version"});
  const std::optional<int> status = server.Wait(kPatience);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(WEXITSTATUS(*status), 0);
  EXPECT_TRUE(absl::StartsWith(server.DrainStdout(), "tcpchat ")) << "not just the binary's name";
}


TEST(ServerBinaryTest, SecondSignalExitsWithoutWaitingForStalledClients) {
  // A long grace and no send timeout: after one SIGTERM the server would wait a minute
  // for `stalled` to take its goodbye. The second SIGTERM must end it at once.
  Subprocess server({kServer, "--port=0", "--shutdown_grace=60s", "--send_timeout=0",
                     "--max_msgs_per_sec=0", "--ip_lines_per_sec=0", "--ip_bytes_per_sec=0",
                     "--max_outbox_bytes=268435456"});
  const int port = StartAndReadPort(server);
  ASSERT_GT(port, 0);
  const std::string welcome = testing::GoldenWelcome();
  absl::StatusOr<LineClient> stalled = LineClient::Connect(port);
  ASSERT_TRUE(stalled.ok());
  stalled->Send("stalled\n");
  absl::StatusOr<LineClient> alice = LineClient::Connect(port);
  ASSERT_TRUE(alice.ok());
  alice->ReadUntil("[ENTER YOUR NAME]: ");
  alice->Send("alice\n");
  alice->ReadUntil("[alice]:");
  // Fill stalled's socket buffers (several MB on loopback).
  const std::string line = std::string(4000, 'x') + "\n";
  for (int i = 0; i < 4000; ++i) {
    ASSERT_TRUE(alice->Send(line));
    alice->ReadUntil("[alice]:");
  }
  server.Signal(SIGTERM);
  // alice gets her goodbye: the first signal has been handled.
  EXPECT_TRUE(absl::EndsWith(alice->ReadToEnd(), "\nServer is shutting down. Goodbye!\n"));
  EXPECT_FALSE(server.Wait(absl::Milliseconds(200)).has_value()) << "should still be waiting";
  server.Signal(SIGTERM);
  const std::optional<int> status = server.Wait(kPatience);  // far less than the 60s grace
  ASSERT_TRUE(status.has_value()) << "second SIGTERM did not end the server";
  EXPECT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 1);
}

TEST(ServerBinaryTest, HelpListsEveryFlagWithText) {
  Subprocess server({kServer, "--helpon=main"});
  ASSERT_TRUE(server.Wait(kPatience).has_value());
  const std::string help = server.DrainStdout() + server.DrainStderr();
  for (const char* flag : {"port", "address", "max_clients", "history_size", "max_line_bytes",
                           "max_outbox_bytes", "send_timeout", "max_msgs_per_sec", "burst",
                           "flood_disconnect_after", "login_timeout", "idle_timeout",
                           "shutdown_grace", "max_rooms", "history_file", "history_fsync",
                           "metrics_port", "metrics_address", "log_message_text",
                           "history_room_bytes", "history_total_bytes", "room_expiry",
                           "max_rooms_per_ip", "max_pending_per_ip", "max_connections_per_ip",
                           "logins_per_minute_per_ip", "login_burst_per_ip", "ip_lines_per_sec",
                           "ip_line_burst", "ip_bytes_per_sec", "ip_byte_burst",
                           "rooms_per_hour_per_ip", "room_burst_per_ip", "max_tracked_ips",
                           "tls_port", "tls_address", "tls_cert_file", "tls_key_file",
                           "tls_handshakes_per_minute_per_ip",
                           "http_port", "http_address", "http_allowed_origins",
                           "motd_file", "redis", "instance_id", "redis_timeout"}) {
    EXPECT_TRUE(absl::StrContains(help, absl::StrCat("-", flag, " ("))) << flag << "\n" << help;
  }
}

void WriteTextFile(const std::string& path, std::string_view text) {
  FILE* file = std::fopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr) << path;
  std::fwrite(text.data(), 1, text.size(), file);
  std::fclose(file);
}

// Waits until the server's stderr has said `text` (a line may arrive in two reads).
bool AwaitLog(Subprocess& server, std::string_view text) {
  const absl::Time deadline = absl::Now() + kPatience;
  std::string log;
  while (absl::Now() < deadline) {
    log += server.DrainStderr();
    if (absl::StrContains(log, text)) return true;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return false;
}

// Logs in `name` and returns what follows the name up to the second prompt: the message
// of the day, drawn like an event after the first prompt.
std::string MotdSeenBy(int port, std::string_view name) {
  absl::StatusOr<LineClient> client = LineClient::Connect(port);
  EXPECT_TRUE(client.ok()) << client.status();
  if (!client.ok()) return "";
  client->ReadUntil("[ENTER YOUR NAME]: ");
  client->Send(absl::StrCat(name, "\n"));
  const std::string tag = absl::StrCat("[", name, "]:");
  client->ReadUntil(tag);  // the first prompt
  return client->ReadUntil(tag);
}

TEST(ServerBinaryTest, MessageOfTheDayIsShownAfterLoginAndReReadOnSighup) {
  const std::string path = TempPath("motd.txt");
  WriteTextFile(path, "Be nice.\r\nNo \x1b[2Jspam.\n\n");
  Subprocess server({kServer, "--port=0", absl::StrCat("--motd_file=", path)});
  const int port = StartAndReadPort(server);
  ASSERT_GT(port, 0);
  std::string seen = MotdSeenBy(port, "alice");
  EXPECT_TRUE(absl::StartsWith(seen, "\nBe nice.\nNo [2Jspam.\n[")) << seen;

  WriteTextFile(path, "New rules.\n");
  server.Signal(SIGHUP);
  ASSERT_TRUE(AwaitLog(server, "reloaded the message of the day"));
  seen = MotdSeenBy(port, "bob");
  EXPECT_TRUE(absl::StartsWith(seen, "\nNew rules.\n[")) << seen;

  // A file grown too big is refused; the message in force stays.
  WriteTextFile(path, std::string(5000, 'x'));
  server.Signal(SIGHUP);
  ASSERT_TRUE(AwaitLog(server, "kept the old message of the day"));
  seen = MotdSeenBy(port, "carol");
  EXPECT_TRUE(absl::StartsWith(seen, "\nNew rules.\n[")) << seen;

  server.Signal(SIGTERM);
  const std::optional<int> status = server.Wait(kPatience);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(WEXITSTATUS(*status), 0);
}

TEST(ServerBinaryTest, TooBigOrMissingMessageOfTheDayStopsTheStart) {
  const std::string path = TempPath("big_motd.txt");
  WriteTextFile(path, std::string(4097, 'x'));
  Subprocess big({kServer, "--port=0", absl::StrCat("--motd_file=", path)});
  std::optional<int> status = big.Wait(kPatience);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 1);
  EXPECT_TRUE(absl::StrContains(
      big.DrainStderr(), absl::StrCat("--motd_file: ", path, " is larger than 4096 bytes")));

  Subprocess missing({kServer, "--port=0", "--motd_file=/nonexistent/motd.txt"});
  status = missing.Wait(kPatience);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(WEXITSTATUS(*status), 1);
  EXPECT_TRUE(absl::StrContains(missing.DrainStderr(),
                                "--motd_file: cannot read /nonexistent/motd.txt"));
}

// Every chat line a client has seen must survive the server being killed (SIGKILL, no
// chance to flush anything) in the middle of a burst, and be replayed after a restart.
TEST(ServerBinaryTest, KillNineLosesNoLineAnyClientSaw) {
  const std::string history = TempPath("kill9_history.log");
  std::remove(history.c_str());
  std::vector<std::string> seen;
  {
    Subprocess server({kServer, "--port=0", "--max_msgs_per_sec=0", "--ip_lines_per_sec=0",
                       "--ip_bytes_per_sec=0", "--history_fsync=never",
                       absl::StrCat("--history_file=", history)});
    const int port = StartAndReadPort(server);
    ASSERT_GT(port, 0);
    absl::StatusOr<LineClient> alice = LineClient::Connect(port);
    absl::StatusOr<LineClient> bob = LineClient::Connect(port);
    ASSERT_TRUE(alice.ok() && bob.ok());
    alice->Send("alice\n");
    alice->ReadUntil("[alice]:");
    bob->Send("bob\n");
    bob->ReadUntil("[bob]:");
    alice->ReadUntil("[alice]:");  // bob's join notice
    // bob fires a burst without waiting; alice reads until well into it, then the
    // server dies mid-stream.
    std::jthread burst([&] {
      std::string lines;
      for (int i = 0; i < 5000; ++i) absl::StrAppend(&lines, "burst line ", i, "\n");
      bob->Send(lines);
    });
    while (seen.size() < 300) {
      const std::string event = alice->ReadUntil("[alice]:");
      ASSERT_TRUE(absl::StrContains(event, "][bob]:burst line ")) << event;
      // "\n<line>\n<prompt>": keep <line>.
      seen.push_back(event.substr(1, event.find('\n', 1) - 1));
    }
    server.Signal(SIGKILL);
    ASSERT_TRUE(server.Wait(kPatience).has_value());
    // Whatever else alice had received before the kill counts too.
    std::vector<std::string> pieces = absl::StrSplit(alice->ReadToEnd(), '\n');
    pieces.pop_back();  // not newline-terminated: possibly cut short by the kill
    for (const std::string& piece : pieces) {
      if (absl::StrContains(piece, "][bob]:burst line ")) seen.push_back(piece);
    }
  }
  Subprocess server({kServer, "--port=0", absl::StrCat("--history_file=", history)});
  const int port = StartAndReadPort(server);
  ASSERT_GT(port, 0);
  absl::StatusOr<LineClient> carol = LineClient::Connect(port);
  ASSERT_TRUE(carol.ok());
  carol->ReadUntil("[ENTER YOUR NAME]: ");
  carol->Send("carol\n");
  const std::string replay = carol->ReadUntil("[carol]:");
  std::vector<std::string> replayed = absl::StrSplit(replay, '\n');
  replayed.pop_back();  // the prompt
  ASSERT_GE(replayed.size(), seen.size());
  // The replay is the same lines, in the same order, as what alice saw.
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(replayed[i], seen[i]) << i;
  server.Signal(SIGTERM);
  EXPECT_TRUE(server.Wait(kPatience).has_value());
}

// glog warned "Logging before InitGoogleLogging()" on every shutdown with metrics on,
// and its log files were named after the binary, not tcpchat.INFO as documented.
TEST(ServerBinaryTest, ShutdownWithMetricsLogsCleanlyToTcpchatFiles) {
  const std::string dir = TempPath("logs");
  std::filesystem::create_directories(dir);
  absl::StatusOr<ScopedFd> probe = ListenTcp("127.0.0.1", 0, 1);  // a free port for metrics
  ASSERT_TRUE(probe.ok());
  const int metrics_port = *LocalPort(probe->get());
  probe->Reset();
  Subprocess server({kServer, "--port=0", absl::StrCat("--metrics_port=", metrics_port),
                     absl::StrCat("--log_dir=", dir)});
  ASSERT_GT(StartAndReadPort(server), 0);
  server.Signal(SIGTERM);
  const std::optional<int> status = server.Wait(kPatience);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(WEXITSTATUS(*status), 0);
  EXPECT_FALSE(absl::StrContains(server.DrainStderr(), "before InitGoogleLogging"));
  EXPECT_TRUE(std::filesystem::exists(absl::StrCat(dir, "/tcpchat.INFO")));
}

}  // namespace
}  // namespace chat
