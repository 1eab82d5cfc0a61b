#!/usr/bin/env bash
# Runs the libFuzzer target for a bounded time (default 60 s) on a scratch copy of the
# seed corpus in testdata/fuzz/input. Exits non-zero if it finds a crash or a broken
# property; the reproducer is kept and its path printed.
#
#   tools/fuzz.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}

flags=()
[ -n "${CI:-}" ] && flags+=(--color=no --curses=no)
bazel build --config=fuzz "${flags[@]}" //chat/fuzz:input_fuzzer
binary="$(bazel info --config=fuzz bazel-bin 2>/dev/null)/chat/fuzz/input_fuzzer"

work=$(mktemp -d)
cp -r testdata/fuzz/input "$work/corpus"
echo "fuzzing for ${seconds}s; scratch dir $work"
if "$binary" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$work/" "$work/corpus" 2>"$work/fuzz.log"; then
  tail -n 12 "$work/fuzz.log"
  rm -rf "$work"
  echo "fuzz: 1 passed, 0 failed"
else
  tail -n 60 "$work/fuzz.log"
  echo "fuzz: found a failing input; reproducer(s): $(ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* 2>/dev/null)"
  echo "fuzz: 0 passed, 1 failed"
  exit 1
fi
