#!/usr/bin/env bash
# One chat on three TCPChat instances: a Redis (append-only file, fsync every write), three
# instances sharing it, and HAProxy in front, all on loopback. Clients connect to HAProxy:
#
#   tools/deploy/cluster.sh                  # then, in other terminals: nc 127.0.0.1 8989
#   CHAT_PORT=7000 tools/deploy/cluster.sh   # another front port
#
# Environment: CHAT_PORT (8989, HAProxy's), INSTANCE_PORTS ("9001 9002 9003"),
# METRICS_PORTS ("9101 9102 9103", each instance's /metrics and /healthz), REDIS_PORT
# (6390); SERVER, the server binary (default: built with bazel); DATA_DIR, where Redis'
# files and every log go (default: a temporary directory, removed at the end). Everything
# it starts is stopped by PID on Ctrl-C or SIGTERM, or when any of it exits.
set -euo pipefail
cd "$(dirname "$0")/../.."

chat_port=${CHAT_PORT:-8989}
read -r -a instance_ports <<<"${INSTANCE_PORTS:-9001 9002 9003}"
read -r -a metrics_ports <<<"${METRICS_PORTS:-9101 9102 9103}"
redis_port=${REDIS_PORT:-6390}
if [ -z "${SERVER:-}" ]; then
  bazel build //chat:server >&2
  SERVER=$(bazel info bazel-bin 2>/dev/null)/chat/server
fi
for tool in redis-server redis-cli; do
  command -v "$tool" >/dev/null || { echo "cluster: needs $tool (tools/setup.sh installs it)" >&2; exit 3; }
done
haproxy=$(command -v haproxy || echo /usr/sbin/haproxy)
[ -x "$haproxy" ] || { echo "cluster: needs haproxy (tools/setup.sh installs it)" >&2; exit 3; }

if [ -n "${DATA_DIR:-}" ]; then
  data=$DATA_DIR
  mkdir -p "$data"
else
  data=$(mktemp -d /tmp/tcpchat-cluster-XXXXXX)
fi
pids=()
stop() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  [ -n "${DATA_DIR:-}" ] || rm -rf "$data"
}
trap stop EXIT
trap 'exit 0' INT TERM

# appendfsync always: a line is on disk before XADD returns, so before any client sees it.
redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$data" --save "" \
  --appendonly yes --appendfsync always >"$data/redis.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
  sleep 0.1
done
redis-cli -p "$redis_port" ping >/dev/null || { echo "cluster: redis did not start" >&2; exit 1; }

for i in 1 2 3; do
  port=${instance_ports[i - 1]}
  metrics=${metrics_ports[i - 1]}
  "$SERVER" --address=127.0.0.1 --port="$port" --metrics_port="$metrics" \
    --redis="127.0.0.1:$redis_port" --instance_id="chat$i" \
    --proxy_protocol_from=127.0.0.1 --max_clients=1000 \
    >"$data/chat$i.out" 2>"$data/chat$i.log" &
  pids+=($!)
  export "CHAT${i}_PORT=$port" "CHAT${i}_METRICS=$metrics"
done
for i in 1 2 3; do
  for _ in $(seq 100); do
    grep -q "Listening on the port" "$data/chat$i.out" 2>/dev/null && break
    sleep 0.1
  done
  grep -q "Listening on the port" "$data/chat$i.out" || { echo "cluster: chat$i did not start:" >&2; cat "$data/chat$i.log" >&2; exit 1; }
done

export CHAT_PORT=$chat_port
"$haproxy" -db -f tools/deploy/haproxy.cfg >"$data/haproxy.log" 2>&1 &
pids+=($!)
echo "cluster: ready: nc 127.0.0.1 $chat_port (instances on ${instance_ports[*]}, redis on $redis_port; Ctrl-C stops it all)"
wait -n "${pids[@]}" || true
echo "cluster: a process ended; stopping the rest" >&2
exit 1
