-- wrk script for server-example/bench/load.sh.
--
-- With ALERTGATE_BENCH_BODY set (a file), every request is a POST of that body
-- with Content-Type: application/json, User-Agent: Alertmanager/0.27.0 and the
-- signature header ALERTGATE_BENCH_SIG_NAME: ALERTGATE_BENCH_SIG_VALUE.
-- Without it, the requests stay plain GETs (the /health baseline, measured
-- through the same script so both runs pay the same Lua cost).
--
-- wrk counts only >= 400 as "Non-2xx or 3xx"; response() counts every status
-- outside 200-299, and done() prints one machine-readable line for load.sh:
--   ALERTGATE_BENCH requests=N seconds=S rps=R p50_us=A p99_us=B non2xx=C errors=E

local body_file = os.getenv("ALERTGATE_BENCH_BODY")
if body_file and body_file ~= "" then
  local f = assert(io.open(body_file, "rb"))
  wrk.body = f:read("*a")
  f:close()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["User-Agent"] = "Alertmanager/0.27.0"
  local name = os.getenv("ALERTGATE_BENCH_SIG_NAME")
  local value = os.getenv("ALERTGATE_BENCH_SIG_VALUE")
  if name and name ~= "" then
    wrk.headers[name] = value
  end
end

-- With ALERTGATE_BENCH_KEYS=N as well, each request's alert fingerprint is one of
-- N (k0 .. k<N-1>, in turn): the load spreads over N incidents rather than one.
-- The body then changes per request, so the route must not sign the body.
local keys = tonumber(os.getenv("ALERTGATE_BENCH_KEYS") or "0") or 0
if keys > 0 and wrk.body then
  local base = wrk.body
  local n = 0
  request = function()
    n = n + 1
    local body = string.gsub(base, '"fingerprint":"[^"]*"', '"fingerprint":"k' .. (n % keys) .. '"', 1)
    return wrk.format(nil, nil, nil, body)
  end
end

-- Per-thread state: each wrk thread has its own Lua state.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

non2xx = 0
first_bad = nil

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if first_bad == nil then
      first_bad = status .. " " .. string.sub(body or "", 1, 200)
    end
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do
    bad = bad + (t:get("non2xx") or 0)
    local fb = t:get("first_bad")
    if fb then
      io.write("first non-2xx: " .. fb .. "\n")
    end
  end
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.timeout
  local secs = summary.duration / 1e6
  io.write(string.format(
    "ALERTGATE_BENCH requests=%d seconds=%.3f rps=%.1f p50_us=%d p99_us=%d non2xx=%d errors=%d\n",
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50), latency:percentile(99), bad, errors))
end
