#!/bin/sh
# install-deps.sh — installs the Debian packages leakscope builds and tests with.
# Called by the Makefile before the first build; does nothing when all are present.
# Usage: scripts/install-deps.sh [--demo|--test|--bench]
#   --demo adds what `make demo` uses (python3 formats the audit table);
#   --test adds what only `make check`/`fuzz` use (the real programs run under the
#   shim — among them the Rust, Java and Ruby runtimes, busybox's shell, and jemalloc,
#   tcmalloc and mimalloc for programs linked with them —, clang's libFuzzer);
#   --bench adds what `make bench` compares with and times (heaptrack, python3, GNU time);
#   `make bench` runs without them, saying "not installed" in their rows.
set -eu

BUILD_PKGS="gcc g++ make pkg-config libunwind-dev uthash-dev check libdw-dev libelf-dev libyaml-dev libjansson-dev zlib1g-dev"
DEMO_PKGS="python3"
TEST_PKGS="python3 git sqlite3 perl xz-utils tcl clang libclang-rt-14-dev bc procps time
           rustc default-jdk-headless ruby busybox golang-go prometheus valgrind chromium
           libjemalloc2 libtcmalloc-minimal4 libmimalloc2.0"
BENCH_PKGS="heaptrack python3 time"

want="$BUILD_PKGS"
[ "${1:-}" = "--demo" ] && want="$want $DEMO_PKGS"
[ "${1:-}" = "--test" ] && want="$want $TEST_PKGS"
[ "${1:-}" = "--bench" ] && want="$want $BENCH_PKGS"

missing=""
for p in $want; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
    echo "leakscope: missing Debian packages:$missing" >&2
    echo "leakscope: run as root, or: sudo apt-get install$missing" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "leakscope: missing packages:$missing, and apt-get is not available to install them" >&2
    exit 1
fi
echo "leakscope: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >&2
