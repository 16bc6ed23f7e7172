#!/usr/bin/env bash
# W5 (BENCHMARKS.md): 5,000 workflows of 3 `echo` task steps (each step's input a reference to
# the previous output) over 16 executions, created on 64 keep-alive connections; measured from
# the first create until every workflow is completed. verified: every create answered 201, the
# executions' metrics count every workflow completed and none failed, and a sample of records
# (the first and last of each execution) ends with its input as output.
source "$(dirname "$0")/common.sh"
export WORKFLOWS="${WORKFLOWS:-5000}" EXECUTIONS="${EXECUTIONS:-16}"
connections="${CONNECTIONS:-64}"
steps_per_workflow=3
start_server ${SERVE_ARGS:-}

metrics_urls=()
for ((e = 0; e < EXECUTIONS; e++)); do metrics_urls+=("$base_url/v1/executions/e$e/metrics"); done
# Sums field NAME of the metrics' `workflows` object over the executions (one line each).
sum_of() {
  sed -n 's/.*"workflows":{\(.*\)}}$/\1/p' <<<"$2" | sed -n "s/.*\"$1\":\\([0-9]*\\).*/\\1/p" |
    awk '{s += $1} END {print s + 0}'
}
metrics() { curl -s -w '\n' "${metrics_urls[@]}"; }

start_ns=$(date +%s%N)
created=$(wrk -t1 -c"$connections" -d120s -s "$here/workflows.lua" "$base_url" | json_of)
echo "created: $created" >&2
completed=0
for _ in $(seq 1 30000); do
  m=$(metrics)
  completed=$(sum_of completed "$m")
  [[ "$completed" -ge "$WORKFLOWS" || "$(sum_of failed "$m")" -gt 0 ]] && break
  sleep 0.01
done
end_ns=$(date +%s%N)

elapsed_s=$(awk -v a="$start_ns" -v b="$end_ns" 'BEGIN {printf "%.3f", (b - a) / 1e9}')
workflows_per_s=$(awk -v n="$completed" -v s="$elapsed_s" 'BEGIN {printf "%.0f", n / s}')
steps_per_s=$(awk -v n="$completed" -v k="$steps_per_workflow" -v s="$elapsed_s" 'BEGIN {printf "%.0f", n * k / s}')
outputs_ok=true
for ((e = 0; e < EXECUTIONS; e++)); do
  # Workflow i goes to execution i mod EXECUTIONS: its first and its last.
  for i in "$e" $((e + EXECUTIONS * ((WORKFLOWS - 1 - e) / EXECUTIONS))); do
    record=$(curl -s "$base_url/v1/executions/e$e/workflows/w$i")
    [[ "$record" == *"\"output\":{\"n\":$i}"* ]] || outputs_ok=false
  done
done
verified=false
if [[ "$(field bad "$created")" == 0 && "$(field good "$created")" == "$WORKFLOWS" &&
      "$completed" == "$WORKFLOWS" && "$(sum_of failed "$m")" == 0 && "$outputs_ok" == true ]]; then
  verified=true
fi
echo "{\"bench\":\"w5_workflows\",\"workflows\":$WORKFLOWS,\"executions\":$EXECUTIONS,\"connections\":$connections,\"workflows_per_s\":$workflows_per_s,\"steps_per_s\":$steps_per_s,\"elapsed_s\":$elapsed_s,\"creates_per_s\":$(field creates_per_s "$created"),\"verified\":$verified}"
