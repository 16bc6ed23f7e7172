#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: once in Release, once under
# AddressSanitizer + UndefinedBehaviorSanitizer, and the suites of dort's own threads under
# ThreadSanitizer, then each fuzz target for 30 s. This is what CI runs (.ci/run).
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

# ThreadSanitizer: only the tests and targets it can judge (see tests/CMakeLists.txt).
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDORT_SANITIZE=thread \
  -DDORT_BUILD_BENCH=OFF
cmake --build build-tsan -j"$jobs" --target dort_tests
(cd build-tsan && ctest --output-on-failure -j"$jobs" -L without_caf)

# Fuzzing: each libFuzzer target for 30 s over its seed corpus (clang build in build-fuzz).
bash scripts/fuzz.sh 30
