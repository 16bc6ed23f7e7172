#!/usr/bin/env bash
# Installs what is missing, builds, and runs the main program: `dort serve` on ./dort-data,
# listening on 127.0.0.1:8080 (every option can also be set through DORT_* variables, e.g.
# DORT_LISTEN, DORT_DATA, DORT_TOKEN; see `dort serve --help`). Stop it with Ctrl-C (graceful).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$(nproc)" --target dort
exec ./build/dort serve "$@"
