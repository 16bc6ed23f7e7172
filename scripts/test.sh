#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: once in Release, once under
# AddressSanitizer + UndefinedBehaviorSanitizer, and the suites of dort's own threads under
# ThreadSanitizer, then each fuzz target for 30 s; after the Release part, the installed package
# is checked with samples/consumer (scripts/consumer.sh). This is what CI runs (.ci/run).
# Each part prints the time it took. Budgets on a fresh 2-core machine (CI's limit is 90 minutes,
# the aim under 45): installs 5 min, Release build and suites 8, installed package 1 (8 s measured
# reusing the Release build), ASan+UBSan build and suites 17, TSan 9, fuzzing 5. The last CI run
# took 22 minutes in all; on the development VM on 2026-12-03 a clean clone (installs present)
# took 40 min: Release 6, installed package 0.1, ASan+UBSan 21 (its build is most of it), TSan 6,
# fuzzing 7 — near the aim, so the scale tests run at a fifth of their size under the sanitizers.
# On a fresh Debian 12 (../shared/tools/fresh-debian.sh, 2026-12-03, no ccache): 43 min in all —
# installs 0.5, Release 6, installed package 0.1, ASan+UBSan 21, TSan 8, fuzzing 7.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

part_started=$SECONDS
part() {
  echo "test.sh: $1 took $((SECONDS - part_started)) s (total $SECONDS s)" >&2
  part_started=$SECONDS
}

bash scripts/install-deps.sh
part "installs"

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$jobs"
(cd build && ctest --output-on-failure -j"$jobs")
part "Release build and suites"

# dort as an installed package: the Release build installed to a temporary prefix, and
# samples/consumer built and run against it (a minute at most: nothing of dort is rebuilt).
bash scripts/consumer.sh build
part "installed package (samples/consumer)"

# Sanitizers: the benchmarks are left out, the tests are the same.
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDORT_SANITIZE=address \
  -DDORT_BUILD_BENCH=OFF
cmake --build build-asan -j"$jobs"
(cd build-asan && ctest --output-on-failure -j"$jobs")
part "ASan+UBSan build and suites"

# ThreadSanitizer: only the tests and targets it can judge (see tests/CMakeLists.txt).
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDORT_SANITIZE=thread \
  -DDORT_BUILD_BENCH=OFF
cmake --build build-tsan -j"$jobs" --target dort_tests
(cd build-tsan && ctest --output-on-failure -j"$jobs" -L without_caf)
part "TSan build and suites"

# Fuzzing: each libFuzzer target for 30 s over its seed corpus (clang build in build-fuzz).
bash scripts/fuzz.sh 30
part "fuzzing"
