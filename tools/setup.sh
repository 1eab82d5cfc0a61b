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
  libgflags-dev        # command-line flags; glog (built from source below) reads its own through it
  libgtest-dev         # GoogleTest
  libgmock-dev         # GoogleMock
  libicu-dev           # ICU: name normalisation, case folding and look-alike (UTS #39) checks
  libssl-dev           # OpenSSL 3: the TLS port (--tls_port) and the TLS tests' client;
                       # SHA-1 and base64 for the WebSocket handshake
  openssl              # the CLI: tools/make_cert.sh, and `openssl s_client` in the TLS tests
  netcat-openbsd       # `nc`, the client people use
  libncurses-dev       # ncursesw: the full-screen terminal client (//client:tcpchat)
  tmux                 # the terminal client's end-to-end test types into it and reads its screen
  libwslay-dev         # WebSocket framing (RFC 6455) for the browser page's endpoint
  libhttp-parser-dev   # HTTP/1.1 request parsing: serving the page, the WebSocket upgrade
  nlohmann-json3-dev   # JSON for the browser/bot protocol (header-only)
  libsodium-dev        # Argon2id password hashes for registered names (chat/identity)
  libsqlite3-dev       # SQLite: the registered names' database (chat/identity)
  libhiredis-dev       # hiredis: the Redis client for --redis (chat/cluster), blocking API
  redis-server         # Redis, for --redis and the tests that run a real one
  haproxy              # the load balancer of the three-instance demo (tools/deploy) and its test
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

# Some libraries come from Debian's *source* packages, built by Bazel with our flags;
# apt verifies each download against Debian's signed index. A private apt state directory
# keeps the system's sources.list untouched; it is set up (and `apt-get update` run) once,
# and only when a source tree is missing.
work=""
apt_opts=()
private_apt() {
  [ -n "$work" ] && return
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work/parts" "$work/lists/partial" "$work/cache/archives/partial"
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
  apt-get "${apt_opts[@]}" update -qq
}

# fetch_source PACKAGE DIR: unpacks the upstream tarball of Debian's source package PACKAGE
# into DIR (Debian's patches are not applied), unless DIR already has it.
fetch_source() {
  local package=$1 dir=$2
  [ -f "$dir/WORKSPACE" ] && return
  private_apt
  echo "setup: fetching $package source from Debian"
  mkdir -p "$work/src/$package"
  (cd "$work/src/$package" && apt-get "${apt_opts[@]}" source --download-only -qq "$package" >/dev/null)
  local orig
  orig=$(ls "$work/src/$package/${package}_"*.orig.tar.* | head -n 1)
  rm -rf "$dir.tmp"
  mkdir -p "$dir.tmp"
  tar -xf "$orig" -C "$dir.tmp" --strip-components=1
  rm -rf "$dir"
  mv "$dir.tmp" "$dir"
  echo "setup: $(basename "$orig") unpacked in ${dir#"$repo"/}"
}

# Abseil: the prebuilt libabsl is not instrumented, so ThreadSanitizer cannot see
# absl::Mutex and would report a false race on every guarded field.
fetch_source abseil "$repo/third_party/abseil-cpp"
# glog: the prebuilt libglog keeps a 30 KB message buffer in static TLS, which glibc zeroes
# for every new thread; at two threads per client that was most of an idle client's memory.
# third_party/glog.BUILD builds it without that buffer.
fetch_source google-glog "$repo/third_party/glog"

echo "setup: done"
