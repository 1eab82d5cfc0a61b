// Fuzz target for the terminal client's parser of what a server sends (untrusted: any
// server, or anyone in the path of a --tls_insecure connection): client/server_stream
// and what client/chat_model makes of it.
//
// Checks properties, not just crashes:
//   - feeding the bytes whole or in pieces gives the same events (reads split anywhere);
//   - every string in every event is valid UTF-8 without control characters (sanitising
//     it again changes nothing), so nothing a server sends can drive the terminal;
//   - typed events hold what their kind promises (a chat line has a name; a users reply
//     has no empty name), and the pending text stays within its bound;
//   - the model sends only whole lines: outgoing bytes are what the user typed, one line
//     at a time, plus the client's own /users, and never a newline the user did not type.
//
// Built as a libFuzzer binary under --config=fuzz (clang); in every other configuration
// fuzz_corpus_main.cc replays testdata/fuzz/server_stream so the corpus is a regression test.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "client/chat_model.h"
#include "client/server_stream.h"
#include "client/utf8.h"

namespace {

using chat::client::ServerEvent;
using chat::client::ServerStream;

void Check(bool condition) {
  if (!condition) std::abort();
}

void CheckClean(std::string_view text) {
  Check(chat::client::SanitizeForDisplay(text) == text);
}

void CheckEvent(const ServerEvent& event) {
  CheckClean(event.time);
  CheckClean(event.name);
  CheckClean(event.text);
  CheckClean(event.room);
  for (const std::string& user : event.users) {
    CheckClean(user);
    Check(!user.empty());
  }
  switch (event.kind) {
    case ServerEvent::Kind::kChat:
    case ServerEvent::Kind::kPrivate:
    case ServerEvent::Kind::kEmote:
      Check(!event.name.empty() && !event.time.empty() && !event.text.empty());
      break;
    case ServerEvent::Kind::kPrompt:
      Check(!event.name.empty() && event.text.empty());
      break;
    case ServerEvent::Kind::kJoin:
    case ServerEvent::Kind::kLeave:
      Check(!event.name.empty() && event.name.find(' ') == std::string::npos);
      break;
    default:
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  ServerStream whole;
  std::vector<ServerEvent> whole_events;
  whole.Feed(input, &whole_events);

  ServerStream pieces;
  std::vector<ServerEvent> piece_events;
  for (size_t offset = 0, chunk = 1; offset < input.size(); chunk = chunk * 7 % 17 + 1) {
    const std::string_view piece = input.substr(offset, chunk);
    offset += piece.size();
    pieces.Feed(piece, &piece_events);
  }
  Check(whole_events == piece_events);
  Check(whole.PendingPrompt() == pieces.PendingPrompt());
  Check(whole.server_echoes() == pieces.server_echoes());
  for (const ServerEvent& event : whole_events) CheckEvent(event);
  const ServerEvent pending = whole.PendingPrompt();
  CheckEvent(pending);
  // Sanitising may grow invalid bytes into U+FFFD (3 bytes each), never more.
  Check(pending.text.size() <= 3 * ServerStream::kMaxPendingBytes);

  // The model: server bytes in pieces, a typed line after each piece.
  chat::client::ChatModel::Options options;
  options.name_colors = 5;
  options.now = [] { return std::string("2026-11-27 12:00:00"); };
  chat::client::ChatModel model(options);
  std::string typed;
  size_t lines_typed = 0;
  std::string sent;
  for (size_t offset = 0, chunk = 3; offset < input.size(); chunk = chunk * 5 % 31 + 1) {
    const std::string_view piece = input.substr(offset, chunk);
    offset += piece.size();
    model.OnServerBytes(piece);
    const std::string line = "line " + std::to_string(lines_typed++);
    model.OnUserLine(line);
    model.ReleaseStalled();
    sent += model.TakeOutgoing();
    for (const chat::client::StyledLine& shown : model.TakeLines()) {
      for (const chat::client::Span& span : shown) CheckClean(span.text);
    }
    CheckClean(model.InputLabel());
    CheckClean(model.Status());
  }
  model.OnServerClosed();
  while (model.queued() > 0) model.ReleaseStalled();
  sent += model.TakeOutgoing();
  // Every line typed is sent exactly once, in order, between the client's own /users.
  size_t next = 0;
  std::string_view rest = sent;
  while (!rest.empty()) {
    const size_t newline = rest.find('\n');
    Check(newline != std::string_view::npos);
    const std::string_view line = rest.substr(0, newline);
    rest.remove_prefix(newline + 1);
    if (line == "/users") continue;
    Check(line == "line " + std::to_string(next));
    ++next;
  }
  Check(next == lines_typed);
  return 0;
}
