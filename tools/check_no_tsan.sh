#!/usr/bin/env bash
# Checks that every test tagged no_tsan really runs one thread. ThreadSanitizer only
# reports races between threads, so tools/test.sh skips single-threaded tests under TSan
# (ASan/UBSan still runs them); a test that starts threads, or links code that does,
# must not be skipped. Fails, naming the tests, if one is tagged anyway.
#
#   tools/check_no_tsan.sh      # run by tools/test.sh before the sanitizer runs
set -euo pipefail
cd "$(dirname "$0")/.."

# Source files (tests and libraries) that start a thread or another process.
pattern='std::(j)?thread|std::async|pthread_create|[^_a-z]fork *\(|posix_spawn'
mapfile -t spawners < <(grep -rlE --include='*.cc' --include='*.h' "$pattern" chat client tools | sort)
if [ "${#spawners[@]}" -eq 0 ]; then
  echo "check_no_tsan: found no source that starts a thread; the pattern is wrong" >&2
  exit 1
fi

# A query that fails (a file no longer in any package, a syntax error) fails the check,
# with Bazel's reason, rather than passing for want of an answer.
query() {
  local out
  if ! out=$(bazel query --noshow_progress "$1" 2>&1); then
    echo "check_no_tsan: bazel query failed:" >&2
    echo "$out" >&2
    exit 1
  fi
  grep '^//' <<<"$out" || true
}
wrong=$(query "attr(tags, 'no_tsan', kind(cc_test, //...)) intersect rdeps(//..., set(${spawners[*]}))")
if [ -n "$wrong" ]; then
  echo "check_no_tsan: these tests are tagged no_tsan but start threads or link code that does:" >&2
  echo "$wrong" >&2
  exit 1
fi
count=$(query "attr(tags, 'no_tsan', kind(cc_test, //...))" | wc -l)
echo "check_no_tsan: ${count} tests skip TSan, none starts a thread (${#spawners[@]} sources do)"
