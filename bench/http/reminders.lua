-- W3: MODE=arm arms reminders r0..r(N-1) for +DELAY_MS; MODE=status reads each one's status once
-- and reports how many fired (exactly once), the lateness percentiles and the largest lateness.
local count = tonumber(os.getenv("REMINDERS") or "10000")
local delay = tonumber(os.getenv("DELAY_MS") or "2000")
local arm = os.getenv("MODE") == "arm"
checked, sent, answered, errors, fired_once, fired_more, early = false, 0, 0, 0, 0, 0, 0
lateness = {}

request = function()
  if not checked then  -- wrk 4.1 calls `request` once per thread before the run, sending nothing
    checked = true
    return wrk.format("GET", "/healthz")
  end
  if sent >= count then return wrk.format("GET", "/healthz") end
  local name = "r" .. sent
  sent = sent + 1
  if arm then
    return wrk.format("POST", "/v1/objects/reminder/" .. name .. "/arm",
                      {["Content-Type"] = "application/json"}, '{"delayMs":' .. delay .. '}')
  end
  return wrk.format("POST", "/v1/objects/reminder/" .. name .. "/status",
                    {["Content-Type"] = "application/json"}, "")
end

response = function(status, headers, body)
  if body == '{"status":"ok"}' then return end
  answered = answered + 1
  if status ~= 200 then
    errors = errors + 1
  elseif not arm then
    local fired = tonumber(body:match('"firedCount":(%d+)'))
    local late = tonumber(body:match('"lastLatenessMs":(-?%d+)'))
    if fired == 1 then fired_once = fired_once + 1 elseif fired and fired > 1 then fired_more = fired_more + 1 end
    if late then
      table.insert(lateness, late)
      if late < 0 then early = early + 1 end
    end
  end
  if answered == count then os.execute("(sleep 0.01; kill -INT $PPID) >/dev/null 2>&1 &") end
end

threads = {}
setup = function(thread) table.insert(threads, thread) end

done = function(summary, latency, requests)
  local t = threads[1]
  local late = {}
  -- thread:get copies tables shallowly; rebuild a plain array to sort.
  local stored = t:get("lateness")
  for i = 1, #stored do late[i] = stored[i] end
  table.sort(late)
  local function pct(p)
    if #late == 0 then return -1 end
    return late[math.max(1, math.ceil(#late * p / 100))]
  end
  io.write(string.format(
    '{"answered":%d,"errors":%d,"per_s":%.0f,"fired_once":%d,"fired_more":%d,"early":%d,' ..
    '"lateness_p50_ms":%d,"lateness_p99_ms":%d,"lateness_max_ms":%d}\n',
    t:get("answered"), t:get("errors"), t:get("answered") / (summary.duration / 1e6),
    t:get("fired_once"), t:get("fired_more"), t:get("early"), pct(50), pct(99),
    #late > 0 and late[#late] or -1))
end
