-- GET with a bearer token ($TOKEN); prints one machine-readable summary line.
wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("TOKEN") or "")
done = function(summary, latency, requests)
  io.write(string.format("WRKRESULT requests=%d duration_us=%d p50_us=%d p99_us=%d non2xx=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), summary.errors.status))
end
