-- POST incr on one counter (the URL's path); `done` prints the figures as one JSON object.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read +
                 summary.errors.write + summary.errors.timeout
  io.write(string.format(
    '{"requests":%d,"ok":%d,"requests_per_s":%.0f,"p50_ms":%.2f,"p99_ms":%.2f,"max_ms":%.2f,"errors":%d}\n',
    summary.requests, summary.requests - summary.errors.status, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000, errors))
end
