// client/chat_model.h: what the terminal client shows and sends, without a terminal.
//
// Between the server's bytes (ServerStream events) and the screen: which lines go into
// the pane and in what styles, what the input line's label is and whether it is masked,
// the status line (room, who is online), when to ring the bell, and the /users requests
// the client makes by itself (whose replies it hides). The ncurses code (tcpchat.cc)
// only draws what this says and moves bytes.
//
// Lines go to the server one at a time: the next is sent once the server's prompt for
// the previous one has come. A net-cat server ends each reply with a prompt and no
// newline, so the reply to a second line sent early would arrive glued to that prompt
// ("[time][you]:Users in general ..."), which no parser can tell from a line of one's
// own. This also paces a pasted block below the server's flood limit. A server that
// answers some line with no prompt at all would stall the queue: the UI calls
// ReleaseStalled() when the server has been silent for a while.

#ifndef CLIENT_CHAT_MODEL_H_
#define CLIENT_CHAT_MODEL_H_

#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "client/scrollback.h"
#include "client/server_stream.h"

namespace chat::client {

// Span styles. Names get kNameStyle + their palette index (see name_colors.h).
enum Style : int {
  kPlainStyle = 0,
  kTimeStyle = 1,     // timestamps: dim
  kNoticeStyle = 2,   // joins, leaves, renames, server text: dim
  kOwnStyle = 3,      // your own name: bold
  kPrivateStyle = 4,  // a private message's header: bold, reversed
  kMentionStyle = 5,  // a line that mentions you: bold
  kClientStyle = 6,   // the client's own notes (connection closed, output full)
  kNameStyle = 100,
};

class ChatModel {
 public:
  struct Options {
    bool auto_users = true;  // send /users after login and on join/leave/rename
    int name_colors = 0;     // palette size; 0: names get no colour (NO_COLOR)
    // The local time as the server writes it ("2026-11-27 12:00:00"), for own lines.
    std::function<std::string()> now;
  };
  explicit ChatModel(Options options);

  // ChatModel::OnServerBytes() takes what the server sent.
  void OnServerBytes(std::string_view bytes);
  // ChatModel::OnServerClosed(): the connection ended; a last unterminated line is shown.
  void OnServerClosed();
  // ChatModel::OnUserLine() takes a line the user entered (no newline). Blank lines are
  // not sent once logged in (the server would ignore them).
  void OnUserLine(std::string_view line);
  // ChatModel::ReleaseStalled() sends the next queued line without waiting any longer.
  void ReleaseStalled();
  // Lines typed but not sent yet (waiting for the server's prompt).
  size_t queued() const { return queue_.size(); }

  // ChatModel::Note() adds a line of the client's own (kClientStyle).
  void Note(std::string_view text);

  // What happened since the last call: lines for the pane, bytes for the server, and
  // whether to ring the bell (a mention or a private message).
  std::vector<StyledLine> TakeLines();
  std::string TakeOutgoing();
  bool TakeBell();

  // The input line's label ("[ENTER YOUR NAME]: ", "[alice]: ") and whether what is
  // typed must be shown as '*' (a password prompt, or the server asked to echo).
  std::string InputLabel() const;
  bool MaskInput() const;
  // "general | 3 online: alice, bob, carol", or "" before the first /users reply.
  std::string Status() const;
  const std::string& own_name() const { return own_name_; }
  bool logged_in() const { return !own_name_.empty(); }
  // The last line of plain text the server sent (its goodbye, say), for after exit.
  const std::string& last_text() const { return last_text_; }

 private:
  void Handle(const ServerEvent& event);
  void UpdateState();
  void RequestUsers();
  void Queue(std::string line, bool automatic_users);
  void Pump();
  void Add(StyledLine line);
  void AddMessage(const std::string& time, const std::string& name, std::string_view separator,
                  const std::string& text, bool is_private);
  int NameStyle(std::string_view name) const;
  bool Mentions(std::string_view text) const;

  Options options_;
  ServerStream stream_;
  std::vector<StyledLine> lines_;
  std::string outgoing_;
  bool bell_ = false;
  std::string own_name_;
  std::string room_;
  std::vector<std::string> users_;
  // One entry per /users in flight, oldest first: true if the client sent it itself (its
  // reply is hidden). Only one automatic request is in flight at a time; changes seen
  // meanwhile set users_stale_, and one more is sent when the reply comes: a storm of
  // joins costs a handful of requests, not one each.
  std::deque<bool> users_requests_;
  bool users_stale_ = false;
  bool users_supported_ = false;  // a /users reply came: the server has the command
  bool asked_users_ = false;
  bool hide_total_ = false;       // the next "Connected in total" follows a hidden reply
  std::string last_text_;
  struct Outgoing {
    std::string line;
    bool automatic_users;
  };
  std::deque<Outgoing> queue_;
  bool awaiting_prompt_ = false;  // a line was sent; its prompt has not come yet
};

}  // namespace chat::client

#endif  // CLIENT_CHAT_MODEL_H_
