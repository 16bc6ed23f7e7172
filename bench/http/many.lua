-- W2: `incr` on counters c0..c(N-1) in turn, N × ROUNDS requests in all, then stop. With
-- MODE=check it reads each counter once (`get`) and counts those that hold ROUNDS.
local counters = tonumber(os.getenv("COUNTERS") or "10000")
local rounds = tonumber(os.getenv("ROUNDS") or "5")
local check = os.getenv("MODE") == "check"
local total = check and counters or counters * rounds
sent, answered, good, bad = 0, 0, 0, 0  -- globals: `done` reads them through thread:get

-- wrk 4.1 calls `request` once per thread before the run to check it, and sends nothing then.
checked = false

request = function()
  if not checked then
    checked = true
    return wrk.format("GET", "/healthz")
  end
  local i = sent % counters
  sent = sent + 1
  if sent > total then return wrk.format("GET", "/healthz") end
  local method = check and "get" or "incr"
  return wrk.format("POST", "/v1/objects/counter/c" .. i .. "/" .. method,
                    {["Content-Type"] = "application/json"}, "")
end

response = function(status, headers, body)
  -- Requests past the total are /healthz, told apart by their body: only counter replies count.
  if body == '{"status":"ok"}' then return end
  answered = answered + 1
  if status == 200 and (not check or body == '{"value":' .. rounds .. '}') then
    good = good + 1
  else
    bad = bad + 1
  end
  -- Done: interrupt wrk, whose main thread sleeps the whole -d otherwise; SIGINT ends that
  -- sleep and wrk reports the real elapsed time. In the background, because system() ignores
  -- SIGINT in the caller until the command returns.
  if answered == total then os.execute("(sleep 0.01; kill -INT $PPID) >/dev/null 2>&1 &") end
end

done = function(summary, latency, requests)
  -- `response` ran in the thread: its counters are read back through the thread's globals.
  local t = threads[1]
  local g, b = t:get("good"), t:get("bad")
  io.write(string.format(
    '{"requests":%d,"good":%d,"bad":%d,"requests_per_s":%.0f,"p50_ms":%.2f,"p99_ms":%.2f,"max_ms":%.2f}\n',
    g + b, g, b, (g + b) / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end

threads = {}
setup = function(thread) table.insert(threads, thread) end
