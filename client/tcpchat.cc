// tcpchat: a full-screen terminal client for net-cat chat servers (issue #14).
//
//   tcpchat [--tls [--tls_insecure | --tls_ca_file=PEM]] [--bell=false] [HOST [PORT]]
//
// Messages scroll in a pane; the line being typed sits below it and nothing that
// arrives touches it. This file only draws and moves bytes: what to show and send is
// ChatModel's, editing is LineEditor's, wrapping and paging are Scrollback's.
//
// One thread, one poll() over the terminal, the socket and a self-pipe for signals,
// rather than a reader thread: ncurses is not thread-safe, so a reader thread would have
// to hand every byte to the UI thread anyway, through a lock and a wake-up; one loop needs
// neither, and nothing in it blocks (the socket is non-blocking once connected).

#include <fcntl.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "chat/message.h"
#include "client/chat_model.h"
#include "client/connection.h"
#include "client/line_editor.h"
#include "client/name_colors.h"
#include "client/scrollback.h"
#include "client/utf8.h"
#include "gflags/gflags.h"

// ncurses defines macros (OK, ERR, timeout, move, ...) that clash with C++ names;
// it comes last.
#include <ncursesw/curses.h>

DEFINE_bool(tls, false, "connect with TLS (a server's --tls_port)");
DEFINE_bool(tls_insecure, false,
            "with --tls: do not verify the server's certificate (self-signed test servers "
            "only: anyone in the path could read and change the chat)");
DEFINE_string(tls_ca_file, "",
              "with --tls: trust the certificates in this PEM file instead of the system's");
DEFINE_bool(bell, true, "ring the terminal bell on a private message or a mention of your name");
DEFINE_bool(auto_users, true,
            "send /users after login and on joins and leaves, for the status line (turn off "
            "for a net-cat server without commands)");

namespace {

using chat::client::ChatModel;
using chat::client::Connection;
using chat::client::LineEditor;
using chat::client::Scrollback;
using chat::client::StyledLine;

// How long lines typed ahead wait for the server's prompt before going anyway
// (ChatModel::ReleaseStalled): a server that answers some line with no prompt at all.
constexpr int kStalledQueueMillis = 3000;

// --- Restoring the terminal from a signal handler -----------------------------------
// endwin() is not async-signal-safe (it allocates, and ncurses may be mid-update when a
// crash hits). What is: tcsetattr() with the settings saved before ncurses started, and
// write() of escape sequences computed in advance from terminfo (leave the alternate
// screen, show the cursor, plain attributes). Fatal signals do exactly that, then die
// by the same signal; SIGTERM, SIGHUP and SIGINT only wake the loop through a pipe, and
// the normal exit path runs endwin().
termios g_saved_termios;
bool g_have_termios = false;
char g_restore[256];
size_t g_restore_size = 0;
int g_signal_pipe[2] = {-1, -1};

void AppendRestore(const char* capability) {
  const char* value = tigetstr(const_cast<char*>(capability));
  if (value == nullptr || value == reinterpret_cast<char*>(-1)) return;
  const size_t n = std::strlen(value);
  if (g_restore_size + n > sizeof(g_restore)) return;
  std::memcpy(g_restore + g_restore_size, value, n);
  g_restore_size += n;
}

void OnFatalSignal(int signal_number) {
  if (g_restore_size > 0) (void)!::write(STDOUT_FILENO, g_restore, g_restore_size);
  if (g_have_termios) ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &g_saved_termios);
  // SA_RESETHAND made the default action current: die of the same signal (core dump).
  ::raise(signal_number);
}

void OnQuitSignal(int) {
  const int saved = errno;
  (void)!::write(g_signal_pipe[1], "q", 1);
  errno = saved;
}

void InstallSignalHandlers() {
  struct sigaction fatal{};
  fatal.sa_handler = OnFatalSignal;
  fatal.sa_flags = SA_RESETHAND | SA_NODEFER;
  sigemptyset(&fatal.sa_mask);
  for (int s : {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL}) sigaction(s, &fatal, nullptr);
  struct sigaction quit{};
  quit.sa_handler = OnQuitSignal;
  sigemptyset(&quit.sa_mask);
  for (int s : {SIGTERM, SIGHUP, SIGINT, SIGQUIT}) sigaction(s, &quit, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
}

// --- Drawing -------------------------------------------------------------------------
class Screen {
 public:
  explicit Screen(bool colors) {
    initscr();
    raw();  // Ctrl+C, Ctrl+Z and Ctrl+\ arrive as keys: the client decides what they do
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    set_escdelay(25);
    AppendRestore("sgr0");
    AppendRestore("cnorm");
    AppendRestore("rmcup");
    if (colors && has_colors()) {
      start_color();
      use_default_colors();  // the terminal's own background: dark or light
      const std::span<const int> palette =
          COLORS >= 256 ? chat::client::Palette256() : chat::client::Palette8();
      for (size_t i = 0; i < palette.size(); ++i) {
        init_pair(static_cast<short>(kFirstNamePair + i), static_cast<short>(palette[i]), -1);
      }
      init_pair(kClientPair, COLOR_RED, -1);
      name_colors_ = static_cast<int>(palette.size());
      colors_ = true;
    }
  }
  ~Screen() { endwin(); }

  int name_colors() const { return name_colors_; }

  attr_t Attributes(int style) const {
    using namespace chat::client;
    switch (style) {
      case kPlainStyle:
        return A_NORMAL;
      case kTimeStyle:
      case kNoticeStyle:
        return A_DIM;
      case kOwnStyle:
      case kMentionStyle:
        return A_BOLD;
      case kPrivateStyle:
        return A_BOLD | A_REVERSE;
      case kClientStyle:
        return A_BOLD | (colors_ ? COLOR_PAIR(kClientPair) : 0);
      default:
        if (style >= kNameStyle && colors_) {
          return A_BOLD | COLOR_PAIR(kFirstNamePair + (style - kNameStyle));
        }
        return A_BOLD;
    }
  }

  void Draw(Scrollback& pane, const ChatModel& model, const LineEditor& editor,
            const std::string& connection) {
    int height = 0;
    int width = 0;
    getmaxyx(stdscr, height, width);
    erase();
    if (height < 3 || width < 10) {
      mvaddstr(0, 0, "(too small)");
      wnoutrefresh(stdscr);
      doupdate();
      return;
    }
    const int pane_height = height - 2;
    const std::vector<StyledLine> rows = pane.View(width, pane_height);
    // New lines at the bottom, as in a terminal: a short history sits just above the status.
    int y = pane_height - static_cast<int>(rows.size());
    for (const StyledLine& row : rows) {
      move(y++, 0);
      for (const chat::client::Span& span : row) {
        attrset(Attributes(span.style));
        addstr(span.text.c_str());
      }
    }
    attrset(A_REVERSE);
    std::string status = model.Status();
    if (!connection.empty()) status = status.empty() ? connection : status + " | " + connection;
    if (model.queued() > 0) status += " | sending " + std::to_string(model.queued()) + " lines";
    if (pane.offset() > 0) status += " | PgDn for newer";
    status = " " + chat::client::TruncateToWidth(status, width - 2);
    mvhline(height - 2, 0, ' ', width);
    mvaddstr(height - 2, 0, status.c_str());
    attrset(A_NORMAL);
    const std::string label =
        chat::client::TruncateToWidth(model.InputLabel(), std::max(0, width / 2));
    const int label_width = chat::client::DisplayWidth(label);
    attrset(A_BOLD);
    mvaddstr(height - 1, 0, label.c_str());
    attrset(A_NORMAL);
    // One column short of the edge: writing the last cell of the last row would scroll.
    const LineEditor::View view = editor.Render(width - label_width - 1, model.MaskInput());
    addstr(view.text.c_str());
    move(height - 1, label_width + view.cursor_column);
    wnoutrefresh(stdscr);
    doupdate();
  }

 private:
  static constexpr short kClientPair = 1;
  static constexpr short kFirstNamePair = 16;
  int name_colors_ = 0;
  bool colors_ = false;
};

// --- Keys --------------------------------------------------------------------------
enum class KeyResult { kNone, kQuit };

constexpr wint_t Ctrl(char c) { return static_cast<wint_t>(c & 0x1f); }

void SubmitLine(LineEditor& editor, Scrollback& pane, ChatModel& model) {
  const bool secret = model.MaskInput();  // a password is not kept in history
  model.OnUserLine(editor.Submit(/*remember=*/!secret));
  pane.ScrollToBottom();
}

KeyResult HandleKey(int status, wint_t key, LineEditor& editor, Scrollback& pane,
                    ChatModel& model) {
  const int page = std::max(1, LINES - 2);
  if (status == KEY_CODE_YES) {
    switch (key) {
      case KEY_LEFT: editor.Left(); break;
      case KEY_RIGHT: editor.Right(); break;
      case KEY_HOME: editor.Home(); break;
      case KEY_END: editor.End(); break;
      case KEY_BACKSPACE: editor.Backspace(); break;
      case KEY_DC: editor.Delete(); break;
      case KEY_UP: editor.HistoryUp(); break;
      case KEY_DOWN: editor.HistoryDown(); break;
      case KEY_PPAGE: pane.PageUp(page); break;
      case KEY_NPAGE: pane.PageDown(page); break;
      case KEY_ENTER:
        SubmitLine(editor, pane, model);
        break;
      default: break;  // KEY_RESIZE: the redraw that follows every key does it
    }
    return KeyResult::kNone;
  }
  switch (key) {
    case '\r':
    case '\n':
      // A paste arrives as keys too: each newline sends its line, and the input line
      // starts empty again, so nothing of a pasted block is left glued on screen.
      SubmitLine(editor, pane, model);
      break;
    case Ctrl('C'):
      return KeyResult::kQuit;
    case Ctrl('D'):
      if (editor.empty()) return KeyResult::kQuit;
      editor.Delete();
      break;
    case Ctrl('A'): editor.Home(); break;
    case Ctrl('E'): editor.End(); break;
    case Ctrl('B'): editor.Left(); break;
    case Ctrl('F'): editor.Right(); break;
    case Ctrl('H'):
    case 0x7f: editor.Backspace(); break;
    case Ctrl('W'): editor.DeleteWordBackward(); break;
    case Ctrl('U'): editor.DeleteToStart(); break;
    case Ctrl('P'): editor.HistoryUp(); break;
    case Ctrl('N'): editor.HistoryDown(); break;
    case Ctrl('L'): clearok(curscr, TRUE); break;
    case '\t': editor.Insert(U' '); break;
    default:
      if (key >= 0x20 && key != 0x7f && !(key >= 0x80 && key < 0xa0)) {
        editor.Insert(static_cast<char32_t>(key));
      }
      break;
  }
  return KeyResult::kNone;
}

std::string LocalTimestamp() { return chat::FormatTimestamp(absl::Now(), absl::LocalTimeZone()); }

int Run(const std::string& host, const std::string& port) {
  chat::client::TlsOptions tls;
  tls.enabled = FLAGS_tls;
  tls.verify = !FLAGS_tls_insecure;
  tls.ca_file = FLAGS_tls_ca_file;
  absl::StatusOr<std::unique_ptr<Connection>> opened = Connection::Open(host, port, tls);
  if (!opened.ok()) {
    std::fprintf(stderr, "tcpchat: %s\n", std::string(opened.status().message()).c_str());
    return 1;
  }
  Connection& connection = **opened;
  const std::string connection_label =
      connection.Describe().empty() ? "" : connection.Describe() + (tls.verify ? "" : " unverified");

  if (::pipe2(g_signal_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
    std::perror("tcpchat: pipe");
    return 1;
  }
  g_have_termios = ::tcgetattr(STDIN_FILENO, &g_saved_termios) == 0;
  InstallSignalHandlers();

  std::string goodbye;
  int exit_code = 0;
  {
    Screen screen(chat::client::ColorsWanted(std::getenv("NO_COLOR")));
    ChatModel::Options options;
    options.auto_users = FLAGS_auto_users;
    options.name_colors = screen.name_colors();
    options.now = LocalTimestamp;
    ChatModel model(options);
    LineEditor editor;
    Scrollback pane;
    bool running = true;
    bool server_closed = false;
    while (running) {
      for (StyledLine& line : model.TakeLines()) pane.Add(std::move(line));
      if (model.TakeBell() && FLAGS_bell) beep();
      const std::string outgoing = model.TakeOutgoing();
      if (!outgoing.empty() && !connection.Queue(outgoing)) {
        model.Note("Not sent: the server is not reading what this client sends.");
        continue;
      }
      if (absl::Status flushed = connection.Flush(); !flushed.ok()) {
        goodbye = "tcpchat: " + std::string(flushed.message());
        exit_code = 1;
        break;
      }
      if (server_closed) break;
      screen.Draw(pane, model, editor, connection_label);

      pollfd fds[3] = {
          {STDIN_FILENO, POLLIN, 0},
          {connection.fd(),
           static_cast<short>(POLLIN | (connection.WantsWrite() ? POLLOUT : 0)), 0},
          {g_signal_pipe[0], POLLIN, 0},
      };
      int timeout = model.queued() > 0 ? kStalledQueueMillis : -1;
      if (connection.HasBufferedInput()) timeout = 0;
      const int ready = ::poll(fds, 3, timeout);
      if (ready < 0 && errno != EINTR) {
        goodbye = std::string("tcpchat: poll: ") + std::strerror(errno);
        exit_code = 1;
        break;
      }
      if (ready == 0 && model.queued() > 0 && !connection.HasBufferedInput()) {
        model.ReleaseStalled();
      }
      if (fds[2].revents & POLLIN) break;  // SIGTERM, SIGHUP, SIGINT
      // Keys, and KEY_RESIZE after a SIGWINCH (which also interrupts poll: EINTR).
      if (ready < 0 || (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
        wint_t key = 0;
        int status = 0;
        while ((status = get_wch(&key)) != ERR) {
          if (HandleKey(status, key, editor, pane, model) == KeyResult::kQuit) {
            running = false;
            break;
          }
        }
        if (fds[0].revents & (POLLHUP | POLLERR)) running = false;  // the terminal went away
      }
      if ((fds[1].revents & (POLLIN | POLLHUP | POLLERR)) || connection.HasBufferedInput()) {
        std::string received;
        for (;;) {
          absl::StatusOr<Connection::ReadResult> result = connection.Read(&received);
          if (!result.ok()) {
            model.Note(std::string(result.status().message()));
            server_closed = true;
            break;
          }
          if (*result == Connection::ReadResult::kWouldBlock) break;
          if (*result == Connection::ReadResult::kClosed) {
            server_closed = true;
            break;
          }
          if (received.size() >= 64 * 1024) break;  // draw now and then in a flood
        }
        model.OnServerBytes(received);
        if (server_closed) {
          model.OnServerClosed();
          goodbye = model.last_text();
        }
      }
    }
  }  // ~Screen: endwin()
  if (!goodbye.empty()) std::printf("%s\n", goodbye.c_str());
  return exit_code;
}

// Wide characters need a UTF-8 LC_CTYPE: the user's if it is one, C.UTF-8 otherwise.
void SetUpLocale() {
  setlocale(LC_ALL, "");
  const char* codeset = nl_langinfo(CODESET);
  if (codeset == nullptr || std::strcmp(codeset, "UTF-8") != 0) setlocale(LC_CTYPE, "C.UTF-8");
}

}  // namespace

int main(int argc, char** argv) {
  gflags::SetUsageMessage("tcpchat [--flags] [HOST [PORT]]  (default: localhost 8989)");
  gflags::SetVersionString("0.5.0");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  if (argc > 3) {
    std::fprintf(stderr, "usage: tcpchat [--tls] [--tls_insecure] [--bell=false] [HOST [PORT]]\n");
    return 2;
  }
  if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
    std::fprintf(stderr, "tcpchat: needs a terminal; for scripts use nc\n");
    return 2;
  }
  SetUpLocale();
  const std::string host = argc >= 2 ? argv[1] : "localhost";
  const std::string port = argc >= 3 ? argv[2] : "8989";
  return Run(host, port);
}
