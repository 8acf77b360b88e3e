-- wrk script for bench/heartbeat.ts: each thread posts its share of
-- pre-signed heartbeats (one JSON body per line of the file named by the
-- HB_BODIES environment variable), in order, then wraps around.
local counter = 0
local threads = {}

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local nthreads = tonumber(os.getenv("HB_THREADS"))
  bodies = {}
  local i = 0
  for line in io.lines(os.getenv("HB_BODIES")) do
    if i % nthreads == id then bodies[#bodies + 1] = line end
    i = i + 1
  end
  n = 0
  wrk.method = "POST"
  wrk.headers["content-type"] = "application/json"
  wrk.path = os.getenv("HB_PATH")
end

function request()
  n = n + 1
  return wrk.format(nil, nil, nil, bodies[((n - 1) % #bodies) + 1])
end

function done(summary, latency, requests)
  io.write(string.format('{"requests":%d,"non2xx":%d,"socketErrors":%d,"seconds":%f,"p50Ms":%f,"p99Ms":%f}\n',
    summary.requests, summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
