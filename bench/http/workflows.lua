-- W5: creates WORKFLOWS workflows of 3 `echo` task steps, each step's input a reference to the
-- previous step's output (the first's to the workflow's input {"n": i}), spread over EXECUTIONS
-- executions in turn, then stops.
local workflows = tonumber(os.getenv("WORKFLOWS") or "5000")
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
  if sent > workflows then return wrk.format("GET", "/healthz") end
  local body = '{"id":"w' .. i .. '","input":{"n":' .. i .. '},"steps":[' ..
               '{"name":"s0","task":"echo","input":{"$ref":"$input"}},' ..
               '{"name":"s1","task":"echo","input":{"$ref":"s0"}},' ..
               '{"name":"s2","task":"echo","input":{"$ref":"s1"}}]}'
  return wrk.format("POST", "/v1/executions/e" .. (i % executions) .. "/workflows",
                    {["Content-Type"] = "application/json"}, body)
end

response = function(status, headers, body)
  if body == '{"status":"ok"}' then return end
  answered = answered + 1
  if status == 201 then good = good + 1 else bad = bad + 1 end
  -- Done: interrupt wrk (see many.lua for why in the background).
  if answered == workflows then os.execute("(sleep 0.01; kill -INT $PPID) >/dev/null 2>&1 &") end
end

done = function(summary, latency, requests)
  local t = threads[1]
  local g, b = t:get("good"), t:get("bad")
  io.write(string.format('{"creates":%d,"good":%d,"bad":%d,"creates_per_s":%.0f}\n', g + b, g, b,
                         (g + b) / (summary.duration / 1e6)))
end

threads = {}
setup = function(thread) table.insert(threads, thread) end
