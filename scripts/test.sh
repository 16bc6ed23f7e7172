#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: once in Release, once under
# AddressSanitizer + UndefinedBehaviorSanitizer. This is what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

bash scripts/install-deps.sh

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$jobs"
(cd build && ctest --output-on-failure -j"$jobs")

# Sanitizers: the benchmarks are left out, the tests are the same.
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDORT_SANITIZE=address \
  -DDORT_BUILD_BENCH=OFF
cmake --build build-asan -j"$jobs"
(cd build-asan && ctest --output-on-failure -j"$jobs")
