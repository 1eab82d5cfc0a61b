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

wrong=$(bazel query --noshow_progress \
  "attr(tags, 'no_tsan', kind(cc_test, //...)) intersect rdeps(//..., set(${spawners[*]}))" 2>/dev/null)
if [ -n "$wrong" ]; then
  echo "check_no_tsan: these tests are tagged no_tsan but start threads or link code that does:" >&2
  echo "$wrong" >&2
  exit 1
fi
count=$(bazel query --noshow_progress "attr(tags, 'no_tsan', kind(cc_test, //...))" 2>/dev/null | wc -l)
echo "check_no_tsan: ${count} tests skip TSan, none starts a thread (${#spawners[@]} sources do)"
