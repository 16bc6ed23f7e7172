#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang (build-fuzz: only the targets and the
# libraries they link, instrumented with ASan+UBSan) and runs each for SECONDS (default 30) over
# a copy of its seed corpus. Fails on any crash, hang, leak, sanitizer report or broken property;
# the input that did it is left in build-fuzz/fuzz-run/<target>/ (crash-*, timeout-*, leak-*).
# CI runs the default; for a long local run: nice -n 10 scripts/fuzz.sh 600, or one target with
# FUZZ_TARGETS=fuzz_http_request. The grown corpora stay in build-fuzz/fuzz-run (not committed).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
jobs=$(nproc)
read -r -a targets <<< "${FUZZ_TARGETS:-fuzz_iso_duration fuzz_cron_expression fuzz_json_body fuzz_storage_records fuzz_http_request}"

# -O1: the build is most of the cost of a short run, and libFuzzer's own docs suggest it.
CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" -DDORT_FUZZ=ON -DDORT_BUILD_BENCH=OFF >/dev/null
cmake --build build-fuzz -j"$jobs" --target dort_fuzz

run_dir=build-fuzz/fuzz-run
failed=()
for target in "${targets[@]}"; do
  dir="$run_dir/$target"
  mkdir -p "$dir/corpus"
  cp -n tests/fuzz/corpus/"$target"/* "$dir/corpus/"
  options=(-max_total_time="$seconds" -timeout=60 -print_final_stats=1 -artifact_prefix="$dir/")
  case "$target" in
    fuzz_json_body) options+=(-dict=tests/fuzz/json.dict) ;;
    # Runtime threads allocate between inputs, so per-input leak checks would misfire; the
    # runtime's memory also needs more than libFuzzer's default 2 GB under ASan.
    fuzz_http_request) options+=(-dict=tests/fuzz/http.dict -detect_leaks=0 -rss_limit_mb=4096) ;;
  esac
  echo "fuzz: $target for ${seconds}s" >&2
  if "build-fuzz/tests/fuzz/$target" "${options[@]}" "$dir/corpus" >"$dir/log" 2>&1; then
    grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$dir/log" >&2 || true
    echo "fuzz: $target ok, corpus $(ls "$dir/corpus" | wc -l) inputs" >&2
  else
    tail -n 60 "$dir/log" >&2
    echo "fuzz: $target FAILED (log: $dir/log)" >&2
    failed+=("$target")
  fi
done
if (( ${#failed[@]} > 0 )); then
  echo "fuzz: failed: ${failed[*]}" >&2
  exit 1
fi
