#!/usr/bin/env bash
# Checks dort as an installed CMake package: installs it to a temporary prefix, then configures,
# builds and runs samples/consumer against that prefix alone, as another project would
# (find_package(dort CONFIG REQUIRED)). Also checks that the headers' rule holds (the sample's
# header_check.cpp fails to compile if a public header brings in LMDB, libcurl, Boost or spdlog),
# that a program of dort::runtime alone links none of libcurl, Boost or spdlog, and that nothing
# of the consumer's build points into this source tree.
#   usage: scripts/consumer.sh [BUILD_DIR]
# BUILD_DIR: an already built build directory to install from (scripts/test.sh passes `build`,
# its Release build). Without it, the libraries alone are built in build-consumer (tests,
# benchmarks and server off).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

if [[ $# -ge 1 ]]; then
  build=$1
else
  build=build-consumer
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DDORT_BUILD_TESTS=OFF \
    -DDORT_BUILD_BENCH=OFF -DDORT_BUILD_SERVER=OFF
  cmake --build "$build" -j"$jobs"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/dort-consumer.XXXXXX")
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" > "$work/install.log"

app="$work/app"
cmake -S samples/consumer -B "$app" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$work/prefix"
cmake --build "$app" -j"$jobs"

fail() {
  echo "consumer.sh: $1" >&2
  exit 1
}
# The link line of the dort::runtime program (Makefile generator).
link="$app/CMakeFiles/dort_consumer.dir/link.txt"
[[ -f $link ]] || fail "no link line at $link"
if grep -Eiq 'curl|boost|spdlog' "$link"; then
  fail "dort_consumer (dort::runtime) links libcurl, Boost or spdlog: $(cat "$link")"
fi
# Only the installed prefix may serve the consumer's headers and libraries.
if grep -rqF "$PWD/" "$app/CMakeFiles"/*.dir/flags.make "$app/CMakeFiles"/*.dir/link.txt; then
  fail "the consumer's build uses files of the source tree $PWD"
fi

"$app/dort_consumer"
"$app/dort_consumer_tasks"
echo "consumer.sh: the installed package works (samples/consumer built and passed)"
