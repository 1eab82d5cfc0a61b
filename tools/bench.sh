#!/usr/bin/env bash
# Benchmark matrix for the README's Performance section: TCPChat against the reference
# peers in ../shared/bench (baseline-go, ngircd), in one run on this machine, loopback
# only. Every server is started on a free 127.0.0.1 port and stopped by its PID; every
# load run is bounded by a timeout. Flood control and the per-address limits are off for
# TCPChat: a load generator is a flood from one address by design.
#
#   sudo apt-get install -y golang-go ngircd     # the reference peers' needs
#   tools/bench.sh [results.jsonl]                # REPS=3 for medians of three
#   ONLY='1000x5|2000' tools/bench.sh              # only the scenarios whose label matches
#
# Prints one JSON line per run (with a "label") and a table of medians at the end.
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
shared=${SHARED_BENCH:-$repo/../shared/bench}
out=${1:-$(mktemp /tmp/tcpchat-bench-XXXXXX.jsonl)}
reps=${REPS:-1}
bin=/tmp/chatbench-bin  # the reference tools are built here, never inside shared/
export BIN=$bin TIMEOUT=${TIMEOUT:-90}

command -v go >/dev/null || { echo "bench: needs golang-go (see the header)"; exit 3; }
if [ ! -x "$bin/chatload" ]; then
  mkdir -p "$bin"
  (cd "$shared" && GOFLAGS=-mod=mod GOPROXY=off GOCACHE=/tmp/chatbench-gocache \
     go build -o "$bin/" ./...) || exit 3
fi
bazel build -c opt //chat:server //tools:chat_bench >/dev/null 2>&1 || { echo "bench: build failed"; exit 3; }
opt=$(bazel info -c opt bazel-bin 2>/dev/null)
tcpchat=$opt/chat/server
chat_bench=$opt/tools/chat_bench

label() { sed "s|^{|{\"label\":\"$1\",|"; }

# chatload (the independent tool) through shared/bench/run.sh: label, chatload flags, --, server.
chatload() {
  local name=$1; shift
  [[ -z "${ONLY:-}" || "$name" =~ $ONLY ]] || return 0
  bash "$shared/run.sh" "$@" 2>/dev/null | tail -n 1 | label "$name" | tee -a "$out"
}

# chat_bench (ours) against a TCPChat started here: label, server flags, --, chat_bench flags.
ours() {
  local name=$1; shift
  [[ -z "${ONLY:-}" || "$name" =~ $ONLY ]] || return 0
  local flags=()
  while [ "$1" != "--" ]; do flags+=("$1"); shift; done
  shift
  local port pid
  port=$("$bin/chatload" free-port)
  "$tcpchat" --port="$port" "${flags[@]}" >/tmp/tcpchat-bench-server.log 2>&1 &
  pid=$!
  "$bin/chatload" wait-listen -port "$port" -pid "$pid" -timeout 10s >/dev/null || { kill "$pid"; return; }
  timeout 150 "$chat_bench" --port="$port" --server_pid="$pid" --timeout=120 "$@" | label "$name" | tee -a "$out"
  kill -TERM "$pid"; wait "$pid" 2>/dev/null
}

# Every load client comes from 127.0.0.1, so the per-address limits go off too.
unlimited=(--max_msgs_per_sec=0 --max_pending_per_ip=0 --logins_per_minute_per_ip=0
           --ip_lines_per_sec=0 --ip_bytes_per_sec=0)
tc="$tcpchat --port={PORT} ${unlimited[*]}"
ulimit -n 20000 2>/dev/null || true  # 5000 clients: a descriptor each, in every process
for _ in $(seq "$reps"); do
  # 10 clients x 2000 messages.
  chatload "10x2000 tcpchat" -n 10 -m 2000 -- $tc
  chatload "10x2000 baseline-go" -n 10 -m 2000 -- "$bin/baseline-go" -port {PORT} -max 200
  chatload "10x2000 rawbcast (harness ceiling)" -n 10 -m 2000 -mode raw -- "$bin/rawbcast" -port {PORT}
  ours "10x2000 tcpchat (chat_bench)" "${unlimited[@]}" -- --clients=10 --messages=2000
  # 100 clients x 200 messages.
  chatload "100x200 tcpchat" -n 100 -m 200 -- $tc --max_clients=100
  chatload "100x200 baseline-go" -n 100 -m 200 -- "$bin/baseline-go" -port {PORT} -max 200
  chatload "100x200 ngircd" -n 100 -m 200 -mode irc -- bash "$shared/ngircd/start.sh" {PORT}
  ours "100x200 tcpchat (chat_bench)" "${unlimited[@]}" --max_clients=100 -- --clients=100 --messages=200
  # Paced: 100 clients at 10 messages/s each.
  chatload "paced 100@10/s tcpchat" -n 100 -m 50 -rate 10 -- $tc --max_clients=100
  chatload "paced 100@10/s baseline-go" -n 100 -m 50 -rate 10 -- "$bin/baseline-go" -port {PORT} -max 200
  ours "paced 100@10/s tcpchat (chat_bench)" "${unlimited[@]}" --max_clients=100 -- --clients=100 --messages=50 --rate=10
  # 1000 clients x 5 messages, against ngircd (one epoll thread) and the typical Go server.
  chatload "1000x5 tcpchat" -n 1000 -m 5 -- $tc --max_clients=1000
  chatload "1000x5 ngircd" -n 1000 -m 5 -mode irc -- bash "$shared/ngircd/start.sh" {PORT}
  chatload "1000x5 baseline-go" -n 1000 -m 5 -- "$bin/baseline-go" -port {PORT} -max 1000
  chatload "1000x5 rawbcast (harness ceiling)" -n 1000 -m 5 -mode raw -- "$bin/rawbcast" -port {PORT}
  ours "1000x5 tcpchat (chat_bench)" "${unlimited[@]}" --max_clients=1000 -- --clients=1000 --messages=5
  # Thousands: 2000 x 2 and 5000 x 1 must complete with nothing lost.
  chatload "2000x2 tcpchat" -n 2000 -m 2 -- $tc --max_clients=2000
  chatload "2000x2 ngircd" -n 2000 -m 2 -mode irc -- bash "$shared/ngircd/start.sh" {PORT}
  chatload "5000x1 tcpchat" -n 5000 -m 1 -- $tc --max_clients=5000
  # 1000 clients logged in and idle: what the server costs per connection at rest.
  ours "1000 idle tcpchat (chat_bench)" "${unlimited[@]}" --max_clients=1000 -- --clients=1000 --messages=1
  # One stalled reader, 512-byte payloads, against the same run without it.
  chatload "512B tcpchat" -n 10 -m 2000 -size 512 -- $tc --max_clients=20
  chatload "512B tcpchat + stalled reader" -n 10 -m 2000 -size 512 -slow-client -- $tc --max_clients=20
  chatload "512B baseline-go + stalled reader" -n 10 -m 2000 -size 512 -slow-client -- "$bin/baseline-go" -port {PORT} -max 200
done

echo
echo "medians of $reps run(s); raw lines in $out"
"$bin/chatload" summarize -fields deliveries_per_sec,lat_p50_us,lat_p99_us,lost,server_peak_rss_kb,server_threads < <(grep -v chat_bench "$out")
python3 - "$out" <<'PY' 2>/dev/null || true
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    d = json.loads(line)
    if "chat_bench" in d["label"]:
        rows.setdefault(d["label"], []).append(d)
print("\n| chat_bench run | deliveries/s | p50 ms | p99 ms | lost | join s | peak RSS KiB | threads |")
print("| --- | --- | --- | --- | --- | --- | --- | --- |")
for label, runs in rows.items():
    m = lambda f: statistics.median(f(r) for r in runs)
    print(f"| {label} | {m(lambda r: r['deliveries_per_sec']):,.0f} | {m(lambda r: r['latency_ms']['p50']):.2f} | "
          f"{m(lambda r: r['latency_ms']['p99']):.2f} | {m(lambda r: r['lost'])} | {m(lambda r: r['join_s']):.2f} | "
          f"{m(lambda r: r['server_peak_rss_kb']):,} | {m(lambda r: r['server_threads'])} |")
PY
