#!/usr/bin/env bash
# W3 (BENCHMARKS.md): arm 10,000 reminders for +2 s over 64 connections, then poll their status
# until all have fired. all_fired_after_ms: the largest (firedAt − scheduledAt), i.e. how long
# after its due time the last reminder fired; lateness_p99_ms from each reminder's lastLatenessMs.
# verified: every reminder fired exactly once and none early.
source "$(dirname "$0")/common.sh"
export REMINDERS="${REMINDERS:-10000}" DELAY_MS="${DELAY_MS:-2000}"
start_server ${SERVE_ARGS:-}
armed=$(MODE=arm wrk -t1 -c64 -d120s -s "$here/reminders.lua" "$base_url" | json_of)
status=""
for _ in $(seq 1 120); do
  sleep 0.5
  status=$(MODE=status wrk -t1 -c64 -d120s -s "$here/reminders.lua" "$base_url" | json_of)
  if [[ "$(field fired_once "$status")" == "$REMINDERS" ]]; then break; fi
done
verified=false
if [[ "$(field errors "$armed")" == 0 && "$(field fired_once "$status")" == "$REMINDERS" &&
      "$(field fired_more "$status")" == 0 && "$(field early "$status")" == 0 ]]; then
  verified=true
fi
echo "{\"bench\":\"w3_reminders\",\"reminders\":$REMINDERS,\"armed_per_s\":$(field per_s "$armed"),\"all_fired_after_ms\":$(field lateness_max_ms "$status"),\"lateness_p50_ms\":$(field lateness_p50_ms "$status"),\"lateness_p99_ms\":$(field lateness_p99_ms "$status"),\"verified\":$verified}"
