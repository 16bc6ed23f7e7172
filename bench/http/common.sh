# Shared by the HTTP benchmark scripts (BENCHMARKS.md, "HTTP"): starts `dort serve` on a free
# loopback port with a fresh data directory, and stops it when the script ends. The binary comes
# from DORT_BIN (default: the project's default build directory). SERVER_LOG=path keeps the
# server's log there (with DORT_LOG_LEVEL=debug it lists commits and syncs over 10 ms).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
DORT_BIN="${DORT_BIN:-$root/build/dort}"
data_dir="$(mktemp -d)"
server_pid=""

stop_server() {
  if [[ -n "$server_pid" ]]; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
  if [[ -n "${SERVER_LOG:-}" && -f "$data_dir.log" ]]; then cp "$data_dir.log" "$SERVER_LOG"; fi
  rm -rf "$data_dir" "$data_dir.log"
}
trap stop_server EXIT

# start_server [extra dort serve options...]: sets $port and $base_url. Port 0: the server picks
# a free port and says which in its "listening" log line.
start_server() {
  "$DORT_BIN" serve --data "$data_dir" --listen "127.0.0.1:0" "$@" 2>"$data_dir.log" &
  server_pid=$!
  for _ in $(seq 1 400); do
    port=$(sed -n 's/.*"msg":"listening".*"port":"\([0-9]*\)".*/\1/p' "$data_dir.log")
    if [[ -n "$port" ]]; then
      base_url="http://127.0.0.1:$port"
      return 0
    fi
    sleep 0.05
  done
  echo "the server did not start: $(cat "$data_dir.log")" >&2
  exit 1
}

# post PATH [BODY]: prints the response body.
post() {
  curl -s -X POST -H 'Content-Type: application/json' --data "${2:-}" "$base_url$1"
}

# The last line of wrk's output that is a JSON object (what the Lua `done` printed).
json_of() { grep '^{' | tail -1; }

# field NAME JSON: a numeric field of a flat JSON object.
field() { sed -n "s/.*\"$1\":\\([-0-9.]*\\).*/\\1/p" <<<"$2"; }
