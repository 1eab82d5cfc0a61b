#!/usr/bin/env bash
# Refreshes the README's screenshots of the chat page (docs/chat-*.png): runs the browser
# end-to-end test (headless Chromium against the real server, see
# chat/web/browser_test.py), which takes them at laptop and phone size, and copies them
# out of Bazel's test outputs.
#
#   tools/screenshots.sh     # after tools/setup.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bazel test --nocache_test_results //chat/web:browser_test
outputs=$(bazel info bazel-testlogs)/chat/web/browser_test/test.outputs
unzip -o -q "$outputs/outputs.zip" 'chat-*.png' -d docs
ls -l docs/chat-*.png
