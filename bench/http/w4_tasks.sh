#!/usr/bin/env bash
# W4 (BENCHMARKS.md): 20,000 `fail` tasks {"times": 1} with initialRetryDelay 10 over 16
# executions, submitted on 64 keep-alive connections; measured from the first submit until
# every task is completed. verified: every submit answered 201, and the executions' metrics
# count every task completed, none failed, with exactly one retry each (averageRetries 1
# while no task can have fewer than one).
source "$(dirname "$0")/common.sh"
export TASKS="${TASKS:-20000}" EXECUTIONS="${EXECUTIONS:-16}" BATCH="${BATCH:-1}"
connections="${CONNECTIONS:-64}"
bench_name="${BENCH_NAME:-w4_tasks}"
start_server ${SERVE_ARGS:-}

metrics_urls=()
for ((e = 0; e < EXECUTIONS; e++)); do metrics_urls+=("$base_url/v1/executions/e$e/metrics"); done
# Sums field NAME over the executions' metrics (one JSON object per line).
sum_of() { sed -n "s/.*\"$1\":\\([0-9]*\\).*/\\1/p" <<<"$2" | awk '{s += $1} END {print s + 0}'; }
# One curl process for all of them (one connection, one line each): the poll must not take the
# CPU that the server needs to finish the tasks.
metrics() { curl -s -w '\n' "${metrics_urls[@]}"; }

start_ns=$(date +%s%N)
submitted=$(wrk -t1 -c"$connections" -d120s -s "$here/tasks.lua" "$base_url" | json_of)
echo "submitted: $submitted" >&2
completed=0
for _ in $(seq 1 30000); do
  m=$(metrics)
  completed=$(sum_of completed "$m")
  [[ "$completed" -ge "$TASKS" || "$(sum_of failed "$m")" -gt 0 ]] && break
  sleep 0.01
done
end_ns=$(date +%s%N)

elapsed_s=$(awk -v a="$start_ns" -v b="$end_ns" 'BEGIN {printf "%.3f", (b - a) / 1e9}')
tasks_per_s=$(awk -v n="$completed" -v s="$elapsed_s" 'BEGIN {printf "%.0f", n / s}')
retries_ok=true
while read -r line; do
  awk -v r="$(field averageRetries "$line")" 'BEGIN {exit !(r == 1)}' || retries_ok=false
done <<<"$m"
verified=false
if [[ "$(field bad "$submitted")" == 0 && "$(field good "$submitted")" == "$TASKS" &&
      "$completed" == "$TASKS" && "$(sum_of failed "$m")" == 0 && "$retries_ok" == true ]]; then
  verified=true
fi
echo "{\"bench\":\"$bench_name\",\"tasks\":$TASKS,\"executions\":$EXECUTIONS,\"connections\":$connections,\"batch\":$BATCH,\"tasks_per_s\":$tasks_per_s,\"elapsed_s\":$elapsed_s,\"submits_per_s\":$(field submits_per_s "$submitted"),\"verified\":$verified}"
