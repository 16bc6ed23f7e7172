-- W6: accounts a0..a(N-1). MODE=deposit: one deposit of DEPOSIT into each, then stop.
-- MODE=load: `transfer` of 1 between random distinct accounts for wrk's whole -d.
-- MODE=check: reads each balance once and sums balance, received and sent.
local accounts = tonumber(os.getenv("ACCOUNTS") or "1000")
local deposit = os.getenv("DEPOSIT") or "1000000"
local mode = os.getenv("MODE") or "load"
local total = (mode == "load") and math.huge or accounts
sent, answered, good, bad = 0, 0, 0, 0  -- globals: `done` reads them through thread:get
balances, received, transfers_sent, busy = 0, 0, 0, 0

-- wrk 4.1 calls `request` once per thread before the run to check it, and sends nothing then.
checked = false
math.randomseed(42)

request = function()
  if not checked then
    checked = true
    return wrk.format("GET", "/healthz")
  end
  sent = sent + 1
  if sent > total then return wrk.format("GET", "/healthz") end
  local headers = {["Content-Type"] = "application/json"}
  if mode == "deposit" then
    return wrk.format("POST", "/v1/objects/account/a" .. (sent - 1) .. "/deposit", headers,
                      '{"amount":' .. deposit .. '}')
  elseif mode == "check" then
    return wrk.format("POST", "/v1/objects/account/a" .. (sent - 1) .. "/balance", headers, "")
  end
  local from = math.random(0, accounts - 1)
  local to = math.random(0, accounts - 2)
  if to >= from then to = to + 1 end
  return wrk.format("POST", "/v1/objects/account/a" .. from .. "/transfer", headers,
                    '{"to":"a' .. to .. '","amount":1}')
end

local function number_of(body, name)
  return tonumber(string.match(body, '"' .. name .. '":(%-?%d+)') or "0")
end

response = function(status, headers, body)
  if body == '{"status":"ok"}' then return end
  answered = answered + 1
  if status == 200 then
    good = good + 1
    if mode == "check" then
      balances = balances + number_of(body, "balance")
      received = received + number_of(body, "received")
      transfers_sent = transfers_sent + number_of(body, "sent")
    end
  elseif status == 409 then
    busy = busy + 1  -- a balance below the amount: a refused transfer, not a failure
  else
    bad = bad + 1
  end
  if answered == total then os.execute("(sleep 0.01; kill -INT $PPID) >/dev/null 2>&1 &") end
end

done = function(summary, latency, requests)
  local t = threads[1]
  local g, b, r = t:get("good"), t:get("bad"), t:get("busy")
  io.write(string.format(
    '{"requests":%d,"good":%d,"bad":%d,"refused":%d,"balances":%d,"received":%d,"sent":%d,' ..
    '"requests_per_s":%.0f,"p50_ms":%.2f,"p99_ms":%.2f,"max_ms":%.2f}\n',
    g + b + r, g, b, r, t:get("balances"), t:get("received"), t:get("transfers_sent"),
    (g + b + r) / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end

threads = {}
setup = function(thread) table.insert(threads, thread) end
