#!/usr/bin/env bash
# Installs what is missing, builds, and runs the main program on ./dort-data. Until `dort serve`
# exists this is the counter demo: each run increments counter "demo" and prints its new value,
# so a second run shows that the state survived.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$(nproc)" --target dort_counter_demo
./build/dort_counter_demo "${DORT_DATA:-./dort-data}" "$@"
