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
#   ONLY=100x200- REPS=3 tools/bench.sh           # TLS and WebSocket against plaintext
#   ONLY=cluster REPS=3 tools/bench.sh            # 3 instances on Redis against one
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

# A free loopback port none of `taken` has.
free_port() {
  local port
  while :; do
    port=$("$bin/chatload" free-port) || return 1
    [[ " $* " == *" $port "* ]] || { echo "$port"; return; }
  done
}

# chat_bench against one port of a running TCPChat: label, transport, port, server PID.
transport_run() {
  local name=$1 transport=$2 port=$3 pid=$4; shift 4
  [[ -z "${ONLY:-}" || "$name" =~ $ONLY ]] || return 0
  # Each transport logs in under its own names: the last run's may still be leaving.
  timeout 150 "$chat_bench" --transport="$transport" --port="$port" --server_pid="$pid" \
    --name_prefix="$transport" --timeout=120 "$@" | label "$name" | tee -a "$out"
}

# TLS and WebSocket against plaintext, measured by the same driver (chat_bench
# --transport), so the ratios are the server's: ONE server with --port, --tls_port (a
# throwaway certificate) and --http_port. A certificate makes the web port https/wss only,
# so that server's WebSocket run is wss; plain ws runs against a second server without
# one (same binary and flags otherwise). Args: clients, messages.
transports() {
  local clients=$1 messages=$2 prefix="$1x$2-" t want=0
  for t in tcp tls wss ws; do
    [[ -z "${ONLY:-}" || "$prefix$t (chat_bench)" =~ $ONLY ]] && want=1
  done
  [ "$want" = 1 ] || return 0
  local certs port tls_port http_port pid
  certs=$(mktemp -d /tmp/tcpchat-bench-cert-XXXXXX)
  tools/make_cert.sh "$certs" >/dev/null || { rm -rf "$certs"; return; }
  local load=(--clients="$clients" --messages="$messages")
  # Twice the clients: the previous transport's sessions may still be leaving.
  local server=("$tcpchat" "${unlimited[@]}" --max_clients=$((2 * clients)))
  port=$(free_port) && tls_port=$(free_port "$port") && http_port=$(free_port "$port" "$tls_port")
  "${server[@]}" --port="$port" --tls_port="$tls_port" --http_port="$http_port" \
    --tls_cert_file="$certs/cert.pem" --tls_key_file="$certs/key.pem" \
    >/tmp/tcpchat-bench-server.log 2>&1 &
  pid=$!
  if "$bin/chatload" wait-listen -port "$port" -pid "$pid" -timeout 10s >/dev/null &&
     "$bin/chatload" wait-listen -port "$tls_port" -pid "$pid" -timeout 10s >/dev/null &&
     "$bin/chatload" wait-listen -port "$http_port" -pid "$pid" -timeout 10s >/dev/null; then
    transport_run "${prefix}tcp (chat_bench)" tcp "$port" "$pid" "${load[@]}"
    transport_run "${prefix}tls (chat_bench)" tls "$tls_port" "$pid" "${load[@]}"
    transport_run "${prefix}wss (chat_bench)" wss "$http_port" "$pid" "${load[@]}"
  fi
  kill -TERM "$pid"; wait "$pid" 2>/dev/null
  rm -rf "$certs"
  [[ -z "${ONLY:-}" || "${prefix}ws (chat_bench)" =~ $ONLY ]] || return 0
  port=$(free_port) && http_port=$(free_port "$port")
  "${server[@]}" --port="$port" --http_port="$http_port" >/tmp/tcpchat-bench-server.log 2>&1 &
  pid=$!
  if "$bin/chatload" wait-listen -port "$http_port" -pid "$pid" -timeout 10s >/dev/null; then
    transport_run "${prefix}ws (chat_bench)" ws "$http_port" "$pid" "${load[@]}"
  fi
  kill -TERM "$pid"; wait "$pid" 2>/dev/null
}

# Redis's count of calls to `command` (INFO commandstats), for commands per line.
redis_calls() {
  redis-cli -p "$1" info commandstats | tr -d '\r' |
    sed -n "s/^cmdstat_$2:calls=\([0-9]*\),.*/\1/p" | grep . || echo 0
}

# Redis's own CPU seconds so far (user + system), for its cost per line.
redis_cpu() {
  redis-cli -p "$1" info cpu | tr -d '\r' |
    awk -F: '/^used_cpu_(user|sys):/ { total += $2 } END { printf "%.3f", total }'
}

# One room across three instances on one Redis (--redis), `per` clients on each, every
# line delivered to all 3 x per; then one instance (no Redis) with all of them, in the
# same run. Adds Redis's XADD and XREAD calls per line sent to the cluster run's line.
# Args: clients per instance, messages.
cluster() {
  local per=$1 messages=$2 total=$(($1 * 3))
  local prefix="cluster ${total}x$2"
  [[ -z "${ONLY:-}" || "$prefix 3 instances (chat_bench)" =~ $ONLY ]] || return 0
  command -v redis-server >/dev/null || { echo "bench: the cluster scenario needs redis-server"; return; }
  local data redis_port redis_pid ports=() pids=() port p
  data=$(mktemp -d /tmp/tcpchat-bench-cluster-XXXXXX)
  redis_port=$(free_port)
  # appendfsync everysec: what a deployment that can lose a second of lines would run.
  redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$data" --save "" \
    --appendonly yes --appendfsync everysec >"$data/redis.log" 2>&1 &
  redis_pid=$!
  for _ in $(seq 100); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  for _ in 1 2 3; do
    port=$(free_port "$redis_port" "${ports[@]}")
    ports+=("$port")
    "$tcpchat" "${unlimited[@]}" --max_clients=$((2 * per)) --port="$port" \
      --redis="127.0.0.1:$redis_port" --instance_id="bench$port" >"$data/$port.log" 2>&1 &
    pids+=($!)
  done
  local ready=1
  for i in 0 1 2; do
    "$bin/chatload" wait-listen -port "${ports[i]}" -pid "${pids[i]}" -timeout 10s >/dev/null || ready=0
  done
  if [ "$ready" = 1 ]; then
    local xadd xread cpu
    xadd=$(redis_calls "$redis_port" xadd) xread=$(redis_calls "$redis_port" xread)
    cpu=$(redis_cpu "$redis_port")
    local line
    line=$(timeout 150 "$chat_bench" --port="${ports[0]}" --ports="${ports[1]},${ports[2]}" \
      --clients="$total" --messages="$messages" --name_prefix=c --timeout=120 | label "$prefix 3 instances (chat_bench)")
    local lines=$((total * messages))
    xadd=$(( $(redis_calls "$redis_port" xadd) - xadd )) xread=$(( $(redis_calls "$redis_port" xread) - xread ))
    cpu=$(awk "BEGIN{printf \"%.2f\", ($(redis_cpu "$redis_port") - $cpu) * 1e6 / $lines}")
    echo "$line" | sed "s|^{|{\"redis_xadd_per_line\":$(awk "BEGIN{printf \"%.3f\", $xadd/$lines}"),\"redis_xread_per_line\":$(awk "BEGIN{printf \"%.3f\", $xread/$lines}"),\"redis_cpu_us_per_line\":$cpu,|" | tee -a "$out"
  fi
  for p in "${pids[@]}"; do kill -TERM "$p"; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  kill -TERM "$redis_pid"; wait "$redis_pid" 2>/dev/null
  rm -rf "$data"
  ours "$prefix 1 instance (chat_bench)" "${unlimited[@]}" --max_clients=$((2 * total)) -- \
    --clients="$total" --messages="$messages"
}

# Every load client comes from 127.0.0.1, so the per-address limits go off too.
unlimited=(--max_msgs_per_sec=0 --max_pending_per_ip=0 --logins_per_minute_per_ip=0
           --ip_lines_per_sec=0 --ip_bytes_per_sec=0 --tls_handshakes_per_minute_per_ip=0)
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
  # 100 clients x 200 messages over TLS and WebSocket, each against plaintext.
  transports 100 200
  # 3 instances x 100 clients on one Redis, against one instance with all 300.
  cluster 100 50
done

echo
echo "medians of $reps run(s); raw lines in $out"
if grep -qv chat_bench "$out"; then
  "$bin/chatload" summarize -fields deliveries_per_sec,lat_p50_us,lat_p99_us,lost,server_peak_rss_kb,server_threads < <(grep -v chat_bench "$out")
fi
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
          f"{m(lambda r: r.get('server_peak_rss_kb', 0)):,} | {m(lambda r: r.get('server_threads', 0))} |")
per_p99 = lambda runs: statistics.median(r["latency_ms"]["p99"] for r in runs)
# Each transport against plaintext: medians of deliveries/s, and their ratios.
medians = {label: statistics.median(r["deliveries_per_sec"] for r in runs)
           for label, runs in rows.items()}
for label in medians:
    if label.endswith("-tcp (chat_bench)") and medians[label] > 0:
        prefix = label[: -len("tcp (chat_bench)")]
        for t in ("tls", "wss", "ws"):
            other = f"{prefix}{t} (chat_bench)"
            if other in medians:
                print(f"{prefix}{t}/tcp: {medians[other] / medians[label]:.2f} "
                      f"({medians[other]:,.0f} / {medians[label]:,.0f} deliveries/s, "
                      f"medians of {len(rows[other])} and {len(rows[label])})")
# The cluster against one instance, and Redis's commands per line.
for label in medians:
    if label.startswith("cluster") and label.endswith(" 3 instances (chat_bench)"):
        one = label.replace(" 3 instances ", " 1 instance ")
        runs = rows[label]
        per = lambda f: statistics.median(r.get(f, 0) for r in runs)
        if one in medians and medians[one] > 0:
            print(f"{label[:-len(' 3 instances (chat_bench)')]}: 3 instances / 1: "
                  f"{medians[label] / medians[one]:.2f} ({medians[label]:,.0f} / {medians[one]:,.0f} "
                  f"deliveries/s); p99 {per_p99(runs):.1f} / {per_p99(rows[one]):.1f} ms; "
                  f"XADD {per('redis_xadd_per_line'):.2f} and XREAD {per('redis_xread_per_line'):.3f} per line, "
                  f"Redis CPU {per('redis_cpu_us_per_line'):.1f} us per line")
PY
