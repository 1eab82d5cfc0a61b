#!/usr/bin/env bash
# chat/metrics/promtool_check_test.sh: Prometheus' own parser and linter must accept
# what we render, with no complaint at all.
#
#   promtool_check_test.sh RENDER_BINARY
#
# promtool comes from Debian's `prometheus` package (tools/setup.sh installs it). This
# test never skips: without promtool it fails and says so.
set -euo pipefail

render=$1
promtool=$(command -v promtool || true)
if [ -z "$promtool" ]; then
  echo "FAIL: promtool not found on PATH ($PATH)." >&2
  echo "Install Debian's 'prometheus' package (see tools/setup.sh)." >&2
  exit 1
fi
"$promtool" --version 2>&1 | head -n 1

status=0
for mode in "" --edge_cases; do
  name=${mode:-server_metrics}
  text=$("$render" $mode)
  if [ -z "$text" ]; then
    echo "FAIL [$name]: the renderer printed nothing" >&2
    status=1
    continue
  fi
  # `promtool check metrics` reads the exposition on stdin; it exits 1 if it cannot
  # parse it and 3 for lint problems (names, suffixes, help), printing each.
  if report=$(printf '%s\n' "$text" | "$promtool" check metrics 2>&1); then
    if [ -n "$report" ]; then
      echo "FAIL [$name]: promtool passed it but complained:" >&2
      echo "$report" >&2
      status=1
    else
      echo "PASS [$name]: $(printf '%s\n' "$text" | grep -vc '^#') samples"
    fi
  else
    echo "FAIL [$name]: promtool check metrics exited $?:" >&2
    echo "$report" >&2
    echo "--- input ---" >&2
    echo "$text" >&2
    status=1
  fi
done
exit "$status"
