#!/usr/bin/env bash
# Runs the whole suite three times: plain, under AddressSanitizer + UBSan, and under
# ThreadSanitizer; then a clang build that checks the lock annotations, and each libFuzzer
# target for FUZZ_SECONDS (default 30; four targets). Exits non-zero if any
# test fails in any configuration or a fuzzer finds a failing input. Prints one
# closing line "tests: N passed, M failed" (counted per test target and configuration).
#
#   tools/test.sh            # after tools/setup.sh
set -uo pipefail
cd "$(dirname "$0")/.."

flags=(--test_summary=short)
if [ -n "${CI:-}" ]; then
  flags+=(--color=no --curses=no)
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
for config in "" asan tsan; do
  echo "=== bazel test ${config:+--config=$config }//..."
  bazel test ${config:+--config=$config} "${flags[@]}" //... 2>&1 | tee -a "$log"
  rc=${PIPESTATUS[0]}
  [ "$rc" -eq 0 ] || status=$rc
done
# clang checks the ABSL_GUARDED_BY / ABSL_LOCKS_EXCLUDED annotations (g++ ignores them).
echo "=== bazel build --config=clang //...  (-Werror=thread-safety)"
bazel build --config=clang "${flags[@]}" //... 2>&1 | tail -n 3 | tee -a "$log"
rc=${PIPESTATUS[0]}
if [ "$rc" -eq 0 ]; then
  echo "thread-safety: 1 passed" | tee -a "$log"
else
  echo "thread-safety: 0 passed" | tee -a "$log"
  status=$rc
fi

echo "=== tools/fuzz.sh ${FUZZ_SECONDS:-30}"
tools/fuzz.sh "${FUZZ_SECONDS:-30}" 2>&1 | grep -v 'ld.gold: warning' | tee -a "$log"
rc=${PIPESTATUS[0]}
[ "$rc" -eq 0 ] || status=$rc
bazel shutdown >/dev/null 2>&1  # leave no Bazel server running behind us

passed=$(grep -cE '^//[^ ]+ +(\(cached\) )?PASSED|^(fuzz|thread-safety): 1 passed' "$log")
failed=$(grep -cE '^//[^ ]+ +(\(cached\) )?(FAILED|TIMEOUT|NO STATUS|FAILED TO BUILD|INCOMPLETE)|^(fuzz|thread-safety): 0 passed' "$log")
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1  # the build itself failed before any test ran
fi
echo "tests: $passed passed, $failed failed"
exit "$status"
