#!/usr/bin/env bash
# Runs each libFuzzer target for a bounded time (default 60 s each) on a scratch copy of
# its seed corpus in testdata/fuzz/. Exits non-zero if any finds a crash or a broken
# property; the reproducer is kept and its path printed. One closing line per fuzzer:
# "fuzz: 1 passed, 0 failed" or "fuzz: 0 passed, 1 failed".
#
#   tools/fuzz.sh [seconds per fuzzer]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}

# target:corpus directory under testdata/fuzz
fuzzers=(
  input_fuzzer:input          # net-cat input: telnet, framing, sanitising, names, commands
  json_fuzzer:json            # the browser/bot JSON protocol, both ways
  http_fuzzer:http            # the web port's HTTP requests
  websocket_fuzzer:websocket  # WebSocket frames
  duration_fuzzer:duration    # moderation durations (/ban NAME 2h)
  server_stream_fuzzer:server_stream  # the terminal client: what a server sends it
  proxy_header_fuzzer:proxy_header  # a load balancer's PROXY header (--proxy_protocol_from)
  stream_entry_fuzzer:stream_entry    # Redis stream entries (--redis): written by anyone with access
  cluster_record_fuzzer:cluster_record  # accounts, bans, topics, inbox entries read back from Redis
  presence_fuzzer:presence    # presence records (--redis): other instances' users, as written
)

flags=()
[ -n "${CI:-}" ] && flags+=(--color=no --curses=no)
targets=()
for entry in "${fuzzers[@]}"; do targets+=("//chat/fuzz:${entry%%:*}"); done
bazel build --config=fuzz "${flags[@]}" "${targets[@]}"
bin="$(bazel info --config=fuzz bazel-bin 2>/dev/null)/chat/fuzz"

status=0
for entry in "${fuzzers[@]}"; do
  name=${entry%%:*}
  work=$(mktemp -d)
  cp -r "testdata/fuzz/${entry#*:}" "$work/corpus"
  echo "fuzzing $name for ${seconds}s; scratch dir $work"
  if "$bin/$name" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$work/" "$work/corpus" 2>"$work/fuzz.log"; then
    tail -n 12 "$work/fuzz.log"
    rm -rf "$work"
    echo "fuzz: 1 passed, 0 failed"
  else
    tail -n 60 "$work/fuzz.log"
    echo "fuzz: $name found a failing input; reproducer(s): $(ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* 2>/dev/null)"
    echo "fuzz: 0 passed, 1 failed"
    status=1
  fi
done
exit "$status"
