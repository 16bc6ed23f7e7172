#!/usr/bin/env bash
# W1 (BENCHMARKS.md): POST /v1/objects/counter/hot/incr, 32 keep-alive connections, 1 client
# thread, 10 s. verified: the counter holds at least every acknowledged increment and at most
# those plus the ones still in flight when wrk stopped.
source "$(dirname "$0")/common.sh"
connections="${CONNECTIONS:-32}"
name="${BENCH_NAME:-w1_hot}"
start_server ${SERVE_ARGS:-}
result=$(wrk -t1 -c"$connections" -d"${DURATION:-10s}" -s "$here/incr.lua" \
  "$base_url/v1/objects/counter/hot/incr" | json_of)
ok=$(field ok "$result")
value=$(field value "$(post /v1/objects/counter/hot/get)")
verified=false
if (( value >= ok && value <= ok + connections )) && [[ "$(field errors "$result")" == 0 ]]; then
  verified=true
fi
echo "{\"bench\":\"$name\",\"connections\":$connections,${result#\{},\"value\":$value,\"verified\":$verified}" |
  sed 's/},"value"/,"value"/'
