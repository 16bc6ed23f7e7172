#!/usr/bin/env bash
# W6 (BENCHMARKS.md): 1,000 accounts, each given 1,000,000 by a deposit first; then `transfer`
# of 1 between random distinct accounts over 64 keep-alive connections for 10 s; then the
# balances are read until every credit has arrived (received = sent). verified: every request
# answered 200 (a 409 would be a refused transfer; none is expected with these balances), the
# balances add up to the deposits, and the accounts' `sent` is the transfers acknowledged, plus
# at most the 64 that were in flight when wrk stopped (applied, their answers not counted).
source "$(dirname "$0")/common.sh"
export ACCOUNTS="${ACCOUNTS:-1000}" DEPOSIT=1000000
seconds="${SECONDS_OF_LOAD:-10}"
start_server ${SERVE_ARGS:-}
deposits=$(MODE=deposit wrk -t1 -c64 -d120s -s "$here/transfers.lua" "$base_url" | json_of)
result=$(MODE=load wrk -t1 -c64 -d"${seconds}s" -s "$here/transfers.lua" "$base_url" | json_of)
# Credits follow their debits; read until all have arrived (at most a minute).
for _ in $(seq 1 120); do
  check=$(MODE=check wrk -t1 -c64 -d120s -s "$here/transfers.lua" "$base_url" | json_of)
  [[ "$(field received "$check")" == "$(field sent "$check")" ]] && break
  sleep 0.5
done
verified=false
if [[ "$(field good "$deposits")" == "$ACCOUNTS" && "$(field bad "$result")" == 0 &&
      "$(field refused "$result")" == 0 &&
      "$(field received "$check")" == "$(field sent "$check")" &&
      "$(field sent "$check")" -ge "$(field good "$result")" &&
      "$(field sent "$check")" -le $(($(field good "$result") + 64)) &&
      "$(field balances "$check")" == $((ACCOUNTS * DEPOSIT)) ]]; then
  verified=true
fi
echo "{\"bench\":\"w6_transfers\",\"accounts\":$ACCOUNTS,\"connections\":64,\"seconds\":$seconds,\"requests_per_s\":$(field requests_per_s "$result"),\"p50_ms\":$(field p50_ms "$result"),\"p99_ms\":$(field p99_ms "$result"),\"max_ms\":$(field max_ms "$result"),\"transfers\":$(field good "$result"),\"verified\":$verified}"
