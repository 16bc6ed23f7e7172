-- W4: submits TASKS `fail` tasks {"times": 1} (the first attempt fails, the retry completes)
-- with initialRetryDelay 10 ms, spread over EXECUTIONS executions in turn, then stops. With
-- BATCH > 1 (w4_batch), each request is a batch submit of BATCH of them to one execution.
local tasks = tonumber(os.getenv("TASKS") or "20000")
local executions = tonumber(os.getenv("EXECUTIONS") or "16")
local batch = tonumber(os.getenv("BATCH") or "1")
local requests = math.ceil(tasks / batch)
sent, answered, good, bad = 0, 0, 0, 0  -- globals: `done` reads them through thread:get

-- wrk 4.1 calls `request` once per thread before the run to check it, and sends nothing then.
checked = false

request = function()
  if not checked then
    checked = true
    return wrk.format("GET", "/healthz")
  end
  local r = sent
  sent = sent + 1
  if sent > requests then return wrk.format("GET", "/healthz") end
  local function body(i)
    return '{"id":"t' .. i .. '","name":"fail","input":{"times":1},' ..
           '"config":{"initialRetryDelay":10}}'
  end
  local headers = {["Content-Type"] = "application/json"}
  if batch == 1 then
    return wrk.format("POST", "/v1/executions/e" .. (r % executions) .. "/tasks", headers, body(r))
  end
  local items = {}
  for i = r * batch, math.min(tasks, (r + 1) * batch) - 1 do table.insert(items, body(i)) end
  return wrk.format("POST", "/v1/executions/e" .. (r % executions) .. "/tasks/batch", headers,
                    '{"tasks":[' .. table.concat(items, ",") .. ']}')
end

response = function(status, headers, body)
  -- Requests past the total are /healthz, told apart by their body.
  if body == '{"status":"ok"}' then return end
  answered = answered + 1
  if batch == 1 then
    if status == 201 then good = good + 1 else bad = bad + 1 end
  else
    -- Every item of a batch answered 201 counts; anything else is bad.
    local _, created = string.gsub(body, '"status":201', '')
    local _, items = string.gsub(body, '"status":%d', '')
    good = good + created
    bad = bad + (items - created) + (status == 200 and 0 or 1)
  end
  -- Done: interrupt wrk (see many.lua for why in the background).
  if answered == requests then os.execute("(sleep 0.01; kill -INT $PPID) >/dev/null 2>&1 &") end
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
