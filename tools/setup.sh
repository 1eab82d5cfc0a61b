#!/usr/bin/env bash
# Installs everything TCPChat's build and tests need on a Debian 12 machine, offline except
# for Debian's own archive. Idempotent: a second run changes nothing and takes a second.
#
#   tools/setup.sh          # as root, or as a user with sudo
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)

packages=(
  bazel-bootstrap      # Bazel 4.2.3 (WORKSPACE mode), the only Bazel Debian ships
  bazel-rules-java     # stands in for rules_java, which Bazel would download
  bazel-platforms      # stands in for platforms, which Bazel would download
  bazel-skylib         # Abseil's BUILD files load it
  g++                  # C++20 (std::jthread) and the sanitizer runtimes
  clang-14             # libFuzzer (tools/fuzz.sh) and -Wthread-safety (--config=clang)
  libclang-rt-14-dev   # libFuzzer's and clang's sanitizer runtimes
  libgflags-dev
  libgoogle-glog-dev
  libgtest-dev         # GoogleTest
  libgmock-dev         # GoogleMock
  libicu-dev           # ICU: name normalisation, case folding and look-alike (UTS #39) checks
  netcat-openbsd       # `nc`, the client people use
  libwslay-dev         # WebSocket framing (RFC 6455) for the browser page's endpoint
  libhttp-parser-dev   # HTTP/1.1 request parsing: serving the page, the WebSocket upgrade
  nlohmann-json3-dev   # JSON for the browser/bot protocol (header-only)
  libssl-dev           # OpenSSL: SHA-1 and base64 for the WebSocket handshake
  chromium             # headless browser for the page's end-to-end test
  chromium-driver      # its WebDriver (chromedriver), driven from Python's standard library
  python3              # runs that end-to-end test
  prometheus           # only for `promtool check metrics`, which validates /metrics in the suite
  ca-certificates      # apt over https mirrors, if configured
)

if [ "$(id -u)" -eq 0 ]; then
  sudo=()
else
  sudo=(sudo)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Abseil comes from Debian's *source* package, built by Bazel with our flags. The prebuilt
# libabsl is not instrumented, so ThreadSanitizer cannot see absl::Mutex and would report a
# false race on every guarded field. apt verifies the download against Debian's signed
# index. A private apt state directory keeps the system's sources.list untouched.
absl_dir="$repo/third_party/abseil-cpp"
if [ ! -f "$absl_dir/WORKSPACE" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work/parts" "$work/lists/partial" "$work/cache/archives/partial" "$work/src"
  # Derive deb-src entries from the machine's own deb entries, in either format apt accepts.
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && sed 's/^Types:.*deb\b.*/Types: deb-src/' "$f" > "$work/parts/$(basename "$f")"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] && sed -n 's/^deb \(.*debian.*\)/deb-src \1/p' "$f" > "$work/parts/src-$(basename "$f").list"
  done
  apt_opts=(
    -o Dir::Etc::SourceList=/dev/null
    -o "Dir::Etc::SourceParts=$work/parts"
    -o "Dir::State::Lists=$work/lists"
    -o "Dir::Cache=$work/cache"
    -o APT::Sandbox::User=root
    -o Debug::NoLocking=1
  )
  echo "setup: fetching Abseil source from Debian"
  apt-get "${apt_opts[@]}" update -qq
  (cd "$work/src" && apt-get "${apt_opts[@]}" source --download-only -qq abseil >/dev/null)
  orig=$(ls "$work"/src/abseil_*.orig.tar.* | head -n 1)
  mkdir -p "$absl_dir.tmp"
  tar -xf "$orig" -C "$absl_dir.tmp" --strip-components=1
  rm -rf "$absl_dir"
  mv "$absl_dir.tmp" "$absl_dir"
  echo "setup: Abseil $(basename "$orig") unpacked in third_party/abseil-cpp"
fi

echo "setup: done"
