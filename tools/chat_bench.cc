// tools/chat_bench.cc: the chat_bench command line: flags in, one JSON line out.
//
//   chat_bench --port=N [--transport=tcp|tls|ws|wss] [--clients=10] [--messages=100]
//              [--size=32] [--rate=0] [--window=16] [--stalled_client] [--server_pid=PID]
//              [--timeout=60]
//
// Exit status: 0 all delivered once, in order; 1 loss, duplicates, order problems or a
// dropped client; 2 timeout; 3 setup failure. The JSON line is printed in every case
// (except for unknown flags, which gflags rejects before we run). The work is in
// tools/bench/load.h.

#include <iostream>
#include <optional>
#include <string>
#include <string_view>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "gflags/gflags.h"
#include "tools/bench/load.h"

DEFINE_string(host, "127.0.0.1",
              "Server address. Only loopback is allowed: 127.0.0.0/8, ::1 or localhost.");
DEFINE_int32(port, 0, "Server port (required).");
DEFINE_string(ports, "",
              "More servers of one cluster, comma-separated ports on --host (same "
              "--transport): client i connects to the (i mod n)th of --port and these, so "
              "every line crosses instances. Empty: --port only.");
DEFINE_string(transport, "tcp",
              "What --port speaks: tcp (the server's --port), tls (its --tls_port), ws (its "
              "--http_port: JSON over WebSocket) or wss (--http_port of a server with a "
              "certificate, which makes that port TLS). Certificates are not verified.");
DEFINE_int32(clients, 10,
             "Clients that each send --messages lines and read everyone else's. The "
             "server's --max_clients must allow them all (plus one for --stalled_client).");
DEFINE_int32(messages, 100, "Lines each client sends in the measured phase.");
DEFINE_int32(size, 32,
             "Bytes per line, without the newline: the marker padded with 'x'. A marker "
             "longer than this is sent unpadded. Keep it within the server's "
             "--max_line_bytes.");
DEFINE_double(rate, 0, "Lines per second per client. 0: as fast as the window allows.");
DEFINE_int32(window, 16,
             "Most lines per sender in flight, i.e. not yet received by every other client, "
             "so a server without backpressure is not measured as infinitely fast. "
             "0: unlimited.");
DEFINE_string(window_timeout, "1s",
              "A full window with no progress for this long counts a window stall and its "
              "lines stop counting as in flight. Also how long to wait for stragglers after "
              "the last line is sent (they count as lost). Seconds, or a duration like 500ms.");
DEFINE_string(timeout, "60",
              "The whole run, connecting included; the tool stops by itself then (exit 2). "
              "Seconds, or a duration like 90s or 2m.");
DEFINE_bool(stalled_client, false,
            "Add one client that logs in and then never reads (SO_RCVBUF of "
            "--stalled_rcvbuf bytes, set before connecting). It sends nothing and is not "
            "counted as a receiver; the result says whether the server disconnected it.");
DEFINE_int32(stalled_rcvbuf, 4096, "SO_RCVBUF of the --stalled_client, in bytes.");
DEFINE_int32(server_pid, 0,
             "The server's PID: report its peak RSS (VmHWM at the end) and its most threads "
             "(sampled every 100 ms) from /proc. 0: do not.");
DEFINE_string(name_prefix, "b",
              "Client names are this plus 0, 1, ...; the stalled client is this plus "
              "\"stalled\".");
DEFINE_int32(connect_concurrency, 64,
             "Clients connecting or logging in at once; small listen backlogs drop more.");
DEFINE_int64(order_check_max_deliveries, 20'000'000,
             "Skip the same-global-order check above this many expected deliveries (it "
             "keeps 4 bytes per delivery).");
DEFINE_bool(progress, false, "Print progress to stderr once a second.");

DECLARE_bool(help);
DECLARE_bool(helpshort);

namespace {

// "60" (seconds) or an absl duration ("1s", "500ms", "2m").
bool ParseSeconds(const std::string& text, absl::Duration* out) {
  double seconds = 0;
  if (absl::SimpleAtod(text, &seconds)) {
    *out = absl::Seconds(seconds);
    return true;
  }
  return absl::ParseDuration(text, out);
}

int PrintAndExit(const chat::bench::LoadResult& result) {
  std::cout << chat::bench::ToJson(result) << std::endl;
  return chat::bench::ExitCode(result);
}

}  // namespace

int main(int argc, char** argv) {
  gflags::SetUsageMessage(
      "Load test for the TCPChat server over loopback. Prints one JSON line.\n"
      "  chat_bench --port=N [--clients=10] [--messages=100] [--size=32] [--rate=0] ...\n"
      "Exit status: 0 ok, 1 loss/duplicates/order problems, 2 timeout, 3 setup failure.");
  gflags::ParseCommandLineNonHelpFlags(&argc, &argv, /*remove_flags=*/true);
  if (FLAGS_help || FLAGS_helpshort) {
    // Only our flags: gflags' own would bury them.
    gflags::ShowUsageWithFlagsRestrict(argv[0], "tools/chat_bench");
    return 0;
  }
  gflags::HandleCommandLineHelpFlags();

  chat::bench::LoadOptions options;
  options.host = FLAGS_host;
  options.port = FLAGS_port;
  for (std::string_view port : absl::StrSplit(FLAGS_ports, ',', absl::SkipEmpty())) {
    int parsed = 0;
    options.more_ports.push_back(absl::SimpleAtoi(port, &parsed) ? parsed : -1);
  }
  const std::optional<chat::bench::Transport> transport =
      chat::bench::ParseTransport(FLAGS_transport);
  if (transport.has_value()) options.transport = *transport;
  options.clients = FLAGS_clients;
  options.messages_per_client = FLAGS_messages;
  options.payload_bytes = FLAGS_size;
  options.rate = FLAGS_rate;
  options.window = FLAGS_window;
  options.stalled_client = FLAGS_stalled_client;
  options.stalled_rcvbuf_bytes = FLAGS_stalled_rcvbuf;
  options.server_pid = FLAGS_server_pid;
  options.name_prefix = FLAGS_name_prefix;
  options.connect_concurrency = FLAGS_connect_concurrency;
  options.order_check_max_deliveries = FLAGS_order_check_max_deliveries;
  options.verbose = FLAGS_progress;

  // Bad values are setup failures, reported like any other (JSON line, exit 3).
  if (argc > 1) {
    return PrintAndExit(
        chat::bench::SetupFailure(options, std::string("unexpected argument: ") + argv[1]));
  }
  if (!transport.has_value()) {
    return PrintAndExit(chat::bench::SetupFailure(
        options, "--transport: expected tcp, tls, ws or wss, got '" + FLAGS_transport + "'"));
  }
  if (!ParseSeconds(FLAGS_timeout, &options.timeout)) {
    return PrintAndExit(chat::bench::SetupFailure(
        options,
        "--timeout: expected seconds or a duration like 90s, got '" + FLAGS_timeout + "'"));
  }
  if (!ParseSeconds(FLAGS_window_timeout, &options.window_timeout)) {
    return PrintAndExit(chat::bench::SetupFailure(
        options, "--window_timeout: expected seconds or a duration like 500ms, got '" +
                     FLAGS_window_timeout + "'"));
  }
  return PrintAndExit(chat::bench::RunLoad(options));
}
