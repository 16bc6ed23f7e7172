#!/usr/bin/env bash
# W2 (BENCHMARKS.md): 10,000 counters × 5 `incr`, 64 keep-alive connections. verified: every
# increment answered 200, and afterwards every counter holds exactly 5.
source "$(dirname "$0")/common.sh"
export COUNTERS="${COUNTERS:-10000}" ROUNDS="${ROUNDS:-5}"
start_server ${SERVE_ARGS:-}
result=$(MODE=load wrk -t1 -c64 -d120s -s "$here/many.lua" "$base_url" | json_of)
check=$(MODE=check wrk -t1 -c64 -d120s -s "$here/many.lua" "$base_url" | json_of)
verified=false
if [[ "$(field bad "$result")" == 0 && "$(field good "$result")" == $((COUNTERS * ROUNDS)) &&
      "$(field good "$check")" == "$COUNTERS" ]]; then
  verified=true
fi
echo "{\"bench\":\"w2_many\",\"counters\":$COUNTERS,\"rounds\":$ROUNDS,\"connections\":64,\"requests_per_s\":$(field requests_per_s "$result"),\"p99_ms\":$(field p99_ms "$result"),\"max_ms\":$(field max_ms "$result"),\"verified\":$verified}"
