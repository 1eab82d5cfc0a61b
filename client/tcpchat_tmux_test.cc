// The terminal client end to end: the real //client:tcpchat in a real terminal (tmux, on
// a private socket, fixed size and TERM) against the real //chat:server on a loopback
// port, with a raw-socket client on the other side. The screen is read with
// `tmux capture-pane -p`, polled until a condition holds (generous deadline, no sleeps
// that pass or fail a test).

#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "chat/testing/line_client.h"
#include "chat/testing/server_process.h"
#include "chat/testing/subprocess.h"
#include "gtest/gtest.h"

namespace chat::client {
namespace {

using chat::testing::LineClient;
using chat::testing::Subprocess;

constexpr char kServer[] = "chat/server";
constexpr char kClient[] = "client/tcpchat";
constexpr char kTmux[] = "/usr/bin/tmux";
constexpr absl::Duration kPatience = absl::Seconds(60);

std::string Runfile(const char* path) {
  return absl::StrCat(std::filesystem::current_path().string(), "/", path);
}

// A tmux server of our own: its socket lives in a fresh directory, and only this server
// is killed at the end.
class Tmux {
 public:
  Tmux() {
    // Short path: a Unix socket path must fit in 108 bytes, TEST_TMPDIR may not.
    char dir[] = "/tmp/tcpchat-tmux-XXXXXX";
    EXPECT_NE(::mkdtemp(dir), nullptr);
    dir_ = dir;
    socket_ = dir_ + "/socket";
  }
  ~Tmux() {
    Run({"kill-server"});
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  // Starts `command` in a 100x30 window under `sh -c`.
  void Start(const std::string& command) {
    Run({"new-session", "-d", "-x", "100", "-y", "30", absl::StrCat("sh -c '", command, "'")});
  }

  std::string Run(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {kTmux, "-S", socket_};
    argv.insert(argv.end(), args.begin(), args.end());
    Subprocess tmux(argv);
    EXPECT_TRUE(tmux.Wait(kPatience).has_value());
    return tmux.DrainStdout();
  }

  std::string Screen() { return Run({"capture-pane", "-p"}); }

  void Type(const std::string& text) { Run({"send-keys", "-l", text}); }
  void Key(const std::string& key) { Run({"send-keys", key}); }

  // Polls the screen until `done` holds for it; returns the last screen seen.
  template <typename Predicate>
  std::string AwaitScreen(Predicate done, const std::string& what) {
    const absl::Time deadline = absl::Now() + kPatience;
    std::string screen;
    while (absl::Now() < deadline) {
      screen = Screen();
      if (done(screen)) return screen;
      absl::SleepFor(absl::Milliseconds(50));
    }
    ADD_FAILURE() << "timed out waiting for " << what << "; screen:\n" << screen;
    return screen;
  }

  std::string AwaitText(const std::string& text) {
    return AwaitScreen([&](const std::string& s) { return absl::StrContains(s, text); }, text);
  }

 private:
  std::string dir_;
  std::string socket_;
};

std::vector<std::string> Lines(const std::string& screen) {
  return absl::StrSplit(screen, '\n');
}

// The last non-empty row of the screen: with the client running, its input line.
std::string InputLine(const std::string& screen) {
  std::vector<std::string> lines = Lines(screen);
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines.empty() ? "" : lines.back();
}

// After the client exits, the shell prints the terminal's modes as ICANON/ECHO flags.
constexpr char kAfterExit[] =
    "; echo CLIENT_EXITED $?; stty -a | tr \" ;\" \"\\n\\n\" | grep -E \"^-?(icanon|echo)$\" "
    "| tr \"\\n\" \" \"; echo; sleep 600";

TEST(TcpchatTmuxTest, ArrivingLinesNeverBreakTheLineBeingTyped) {
  Subprocess server({kServer, "--port=0"});
  const int port = chat::testing::ReadPortLine(server, "Listening on the port :", kPatience);
  ASSERT_GT(port, 0);

  Tmux tmux;
  tmux.Start(absl::StrCat("TERM=xterm-256color ", Runfile(kClient), " 127.0.0.1 ", port,
                          kAfterExit));
  tmux.AwaitText("[ENTER YOUR NAME]:");
  EXPECT_TRUE(absl::StrContains(tmux.Screen(), "Welcome to TCP-Chat!"));
  tmux.Type("alice");
  tmux.Key("Enter");
  tmux.AwaitText("general | 1 online: alice");

  absl::StatusOr<LineClient> bob = LineClient::Connect(port);
  ASSERT_TRUE(bob.ok()) << bob.status();
  bob->ReadUntil("[ENTER YOUR NAME]: ");
  bob->Send("bob\n");
  bob->ReadUntil("[bob]:");
  tmux.AwaitText("general | 2 online: alice, bob");
  EXPECT_TRUE(absl::StrContains(tmux.Screen(), "bob has joined our chat..."));

  // Half a line, wide characters included.
  tmux.Type("hello wor日本");
  tmux.AwaitScreen(
      [](const std::string& s) { return InputLine(s) == "[alice]: hello wor日本"; },
      "the half-typed line");
  bob->Send("good morning, alice\n");
  const std::string screen = tmux.AwaitText("][bob]:good morning, alice");
  EXPECT_EQ(InputLine(screen), "[alice]: hello wor日本") << screen;
  // The server's prompt redraws ("[time][alice]:" alone) never reach the screen.
  for (const std::string& line : Lines(screen)) {
    EXPECT_FALSE(absl::EndsWith(line, "][alice]:")) << screen;
  }

  tmux.Type("ld");
  tmux.Key("Enter");
  const std::string received = bob->ReadUntil("hello wor日本ld\n");
  // Exactly the line, as bob sees any line: after the prompt it had, "[time][alice]:...".
  EXPECT_TRUE(absl::EndsWith(received, "][alice]:hello wor日本ld\n")) << received;
  tmux.AwaitText("][alice]:hello wor日本ld");
  tmux.AwaitScreen([](const std::string& s) { return InputLine(s) == "[alice]:"; },
                   "an empty input line");

  // A paste of several lines: each goes as its own line, in order, and the screen shows
  // them as lines (no prompt glued to a reply, no line glued to a prompt).
  tmux.Run({"set-buffer", "first pasted\nsecond pasted\n/users\nthird pasted\n"});
  tmux.Run({"paste-buffer"});
  for (const char* line : {"first pasted", "second pasted", "third pasted"}) {
    const std::string got = bob->ReadUntil(absl::StrCat(line, "\n"));
    EXPECT_TRUE(absl::EndsWith(got, absl::StrCat("][alice]:", line, "\n"))) << got;
  }
  const std::string pasted = tmux.AwaitText("][alice]:third pasted");
  EXPECT_TRUE(absl::StrContains(pasted, "Users in general (2): alice, bob\nConnected in total: 2\n"))
      << pasted;
  for (const std::string& line : Lines(pasted)) {
    EXPECT_FALSE(absl::EndsWith(line, "][alice]:")) << pasted;
    EXPECT_FALSE(absl::StrContains(line, "][alice]:[")) << pasted;
  }

  // A narrower window: rows re-wrap, the line being typed stays whole.
  tmux.Type("still typing");
  tmux.Run({"resize-window", "-x", "30", "-y", "12"});
  const std::string narrow = tmux.AwaitScreen(
      // "[YYYY-MM-DD HH:MM:SS][alice]:" is 29 columns: one letter fits, then an indented row.
      [](const std::string& s) { return absl::StrContains(s, "][alice]:t\n  hird pasted\n"); },
      "re-wrapped rows");
  EXPECT_EQ(InputLine(narrow), "[alice]: still typing") << narrow;
  tmux.Key("C-u");

  tmux.Type("/quit");
  tmux.Key("Enter");
  const std::string after = tmux.AwaitText("CLIENT_EXITED");
  EXPECT_TRUE(absl::StrContains(after, "Bye!\nCLIENT_EXITED 0")) << after;
  // The terminal is back in its ordinary mode: line editing and echo on.
  tmux.AwaitText("icanon echo");
  EXPECT_TRUE(absl::StrContains(bob->ReadUntil("alice has left our chat..."),
                                "alice has left our chat..."));
}

TEST(TcpchatTmuxTest, CrashSignalsAndSigtermRestoreTheTerminal) {
  Subprocess server({kServer, "--port=0"});
  const int port = chat::testing::ReadPortLine(server, "Listening on the port :", kPatience);
  ASSERT_GT(port, 0);
  for (const char* signal_name : {"TERM", "SEGV", "ABRT"}) {
    SCOPED_TRACE(signal_name);
    Tmux tmux;
    tmux.Start(absl::StrCat("TERM=xterm-256color ", Runfile(kClient), " 127.0.0.1 ", port,
                            kAfterExit));
    tmux.AwaitText("[ENTER YOUR NAME]:");
    const std::string pid = tmux.Run({"list-panes", "-F", "#{pane_pid}"});
    // The pane's process is the shell; the client is its only child.
    Subprocess pgrep({"/usr/bin/pgrep", "-P", std::string(absl::StripAsciiWhitespace(pid))});
    ASSERT_TRUE(pgrep.Wait(kPatience).has_value());
    const std::string child = std::string(absl::StripAsciiWhitespace(pgrep.DrainStdout()));
    ASSERT_FALSE(child.empty());
    Subprocess kill({"/bin/kill", absl::StrCat("-", signal_name), child});
    ASSERT_TRUE(kill.Wait(kPatience).has_value());
    const std::string after = tmux.AwaitText("icanon echo");
    EXPECT_TRUE(absl::StrContains(after, "CLIENT_EXITED")) << after;
    // Back on the normal screen: the client's banner was on the alternate one.
    EXPECT_FALSE(absl::StrContains(after, "[ENTER YOUR NAME]")) << after;
  }
}

TEST(TcpchatTmuxTest, TlsVerifiesTheCertificateUnlessTold) {
  const std::string dir = absl::StrCat(::testing::TempDir(), "/cert");
  chat::testing::MakeCertificate(dir, "localhost");
  const int tls_port = chat::testing::FreeLoopbackPort();
  Subprocess server({kServer, "--port=0", "--address=127.0.0.1",
                     absl::StrCat("--tls_port=", tls_port),
                     absl::StrCat("--tls_cert_file=", dir, "/cert.pem"),
                     absl::StrCat("--tls_key_file=", dir, "/key.pem")});
  ASSERT_GT(chat::testing::ReadPortLine(server, "Listening on the port :", kPatience), 0);
  ASSERT_EQ(chat::testing::ReadPortLine(server, "Listening for TLS on the port :", kPatience),
            tls_port);
  const std::string client = absl::StrCat("TERM=xterm-256color ", Runfile(kClient));
  {
    // The system's trust store does not know a self-signed certificate: refused, said why.
    Tmux tmux;
    tmux.Start(absl::StrCat(client, " --tls 127.0.0.1 ", tls_port, kAfterExit));
    const std::string screen = tmux.AwaitText("CLIENT_EXITED");
    EXPECT_TRUE(absl::StrContains(screen, "certificate not trusted")) << screen;
    EXPECT_TRUE(absl::StrContains(screen, "CLIENT_EXITED 1")) << screen;
  }
  for (const std::string& trust : {absl::StrCat("--tls_ca_file=", dir, "/cert.pem"),
                                   std::string("--tls_insecure")}) {
    SCOPED_TRACE(trust);
    Tmux tmux;
    tmux.Start(absl::StrCat(client, " --tls ", trust, " 127.0.0.1 ", tls_port, kAfterExit));
    tmux.AwaitText("[ENTER YOUR NAME]:");
    tmux.Type("carol");
    tmux.Key("Enter");
    tmux.AwaitText("general | 1 online: carol");
    tmux.Key("C-c");
    tmux.AwaitText("icanon echo");
  }
}

}  // namespace
}  // namespace chat::client
