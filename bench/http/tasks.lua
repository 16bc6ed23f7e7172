-- W4: submits TASKS `fail` tasks {"times": 1} (the first attempt fails, the retry completes)
-- with initialRetryDelay 10 ms, spread over EXECUTIONS executions in turn, then stops.
local tasks = tonumber(os.getenv("TASKS") or "20000")
local executions = tonumber(os.getenv("EXECUTIONS") or "16")
sent, answered, good, bad = 0, 0, 0, 0  -- globals: `done` reads them through thread:get

-- wrk 4.1 calls `request` once per thread before the run to check it, and sends nothing then.
checked = false

request = function()
  if not checked then
    checked = true
    return wrk.format("GET", "/healthz")
  end
  local i = sent
  sent = sent + 1
  if sent > tasks then return wrk.format("GET", "/healthz") end
  return wrk.format("POST", "/v1/executions/e" .. (i % executions) .. "/tasks",
                    {["Content-Type"] = "application/json"},
                    '{"id":"t' .. i .. '","name":"fail","input":{"times":1},' ..
                    '"config":{"initialRetryDelay":10}}')
end

response = function(status, headers, body)
  -- Requests past the total are /healthz, told apart by their body.
  if body == '{"status":"ok"}' then return end
  answered = answered + 1
  if status == 201 then good = good + 1 else bad = bad + 1 end
  -- Done: interrupt wrk (see many.lua for why in the background).
  if answered == tasks then os.execute("(sleep 0.01; kill -INT $PPID) >/dev/null 2>&1 &") end
end

done = function(summary, latency, requests)
  local t = threads[1]
  local g, b = t:get("good"), t:get("bad")
  io.write(string.format(
    '{"submits":%d,"good":%d,"bad":%d,"submits_per_s":%.0f,"p99_ms":%.2f}\n',
    g + b, g, b, (g + b) / (summary.duration / 1e6), latency:percentile(99) / 1000))
end

threads = {}
setup = function(thread) table.insert(threads, thread) end
