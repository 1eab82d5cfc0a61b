#!/usr/bin/env bash
# Runs the whole suite twice: under AddressSanitizer + UBSan (clang, which also checks the
# lock annotations with -Werror=thread-safety) and under ThreadSanitizer (g++); then each
# libFuzzer target for FUZZ_SECONDS (default 15), relinked from the asan build. Prints how
# long each stage took. Exits non-zero if any test fails in either configuration or a
# fuzzer finds a failing input. Prints one closing line "tests: N passed, M failed"
# (counted per test target and configuration).
#
# There is no third, unsanitised run: it found nothing the two compilers' sanitised runs
# do not, and cost CI a quarter of its time. `bazel test //...` is still the quick run
# while editing.
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
# TSan skips the tests tagged no_tsan: first make sure none of them starts a thread.
tools/check_no_tsan.sh 2>&1 | tee -a "$log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
for config in asan tsan; do
  echo "=== bazel test ${config:+--config=$config }//..."
  started=$SECONDS
  # clang's ASan runtime makes gold warn once per link about symbols it cannot export.
  bazel test ${config:+--config=$config} "${flags[@]}" //... 2>&1 |
    grep --line-buffered -v 'ld.gold: warning: Cannot export local symbol' | tee -a "$log"
  rc=${PIPESTATUS[0]}
  [ "$rc" -eq 0 ] || status=$rc
  echo "=== ${config:-plain}: $((SECONDS - started)) s"
done

echo "=== tools/fuzz.sh ${FUZZ_SECONDS:-15}"
started=$SECONDS
tools/fuzz.sh "${FUZZ_SECONDS:-15}" 2>&1 | grep -v 'ld.gold: warning' | tee -a "$log"
rc=${PIPESTATUS[0]}
[ "$rc" -eq 0 ] || status=$rc
echo "=== fuzz: $((SECONDS - started)) s"
bazel shutdown >/dev/null 2>&1  # leave no Bazel server running behind us

passed=$(grep -cE '^//[^ ]+ +(\(cached\) )?PASSED|^fuzz: 1 passed' "$log")
failed=$(grep -cE '^//[^ ]+ +(\(cached\) )?(FAILED|TIMEOUT|NO STATUS|FAILED TO BUILD|INCOMPLETE)|^fuzz: 0 passed' "$log")
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1  # the build itself failed before any test ran
fi
echo "tests: $passed passed, $failed failed"
exit "$status"
