-- wrk script for bench/join_load.py: each wrk thread walks its own file of precomputed requests
-- (one line each: bearer token, Idempotency-Key, JSON body, tab-separated), so every request is a
-- new account joining once. It counts 201s and everything else, logs the id of each 201 (for the
-- reconciliation against the database) and the first non-201 answers, and prints one JSON line.
--
-- Environment: BENCH_REQUESTS (file prefix; thread N reads PREFIX.N), BENCH_PATH (URL path),
-- BENCH_LOG (prefix of the per-thread logs), BENCH_ID_FIELD (JSON field logged for each 201).

local threads = {}
local next_tid = 0

function setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
  table.insert(threads, thread)
end

function init(args)
  local prefix = os.getenv("BENCH_REQUESTS")
  path = os.getenv("BENCH_PATH") or "/v1/memberships"
  local field = os.getenv("BENCH_ID_FIELD") or "person_id"
  id_pattern = '"' .. field .. '":(%d+)'
  reqs = {}
  for line in io.lines(prefix .. "." .. tid) do
    reqs[#reqs + 1] = line
  end
  total = #reqs
  sent = 0
  answered = 0
  created = 0
  other = 0
  exhausted = 0
  local log = os.getenv("BENCH_LOG")
  ids = io.open(log .. ".ids." .. tid, "w")
  errs = io.open(log .. ".errors." .. tid, "w")
end

function request()
  if sent >= total then
    -- Out of fresh accounts: ask for nothing that changes state, and count it as an error.
    exhausted = exhausted + 1
    return wrk.format("GET", "/__bench_pool_exhausted")
  end
  sent = sent + 1
  local token, key, body = reqs[sent]:match("^([^\t]*)\t([^\t]*)\t(.*)$")
  return wrk.format("POST", path, {
    ["Authorization"] = "Bearer " .. token,
    ["Idempotency-Key"] = key,
    ["Content-Type"] = "application/json",
  }, body)
end

function response(status, headers, body)
  answered = answered + 1
  if status == 201 then
    created = created + 1
    ids:write(body:match(id_pattern) or "?", "\n")
  else
    other = other + 1
    if other <= 50 then
      errs:write(status, " ", (body or ""):sub(1, 400):gsub("\n", " "), "\n")
    end
  end
  if answered % 1000 == 0 then
    ids:flush()
    errs:flush()
  end
end

function done(summary, latency, requests)
  local c, o, s, a, x = 0, 0, 0, 0, 0
  for _, t in ipairs(threads) do
    c = c + t:get("created")
    o = o + t:get("other")
    s = s + t:get("sent")
    a = a + t:get("answered")
    x = x + t:get("exhausted")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"duration_us":%d,"requests":%d,"bytes":%d,"created":%d,"other":%d,'
      .. '"sent":%d,"answered":%d,"exhausted":%d,"err_connect":%d,"err_read":%d,'
      .. '"err_write":%d,"err_status":%d,"err_timeout":%d,"lat_min_us":%d,"lat_mean_us":%.1f,'
      .. '"lat_max_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"p999_us":%d}\n',
    summary.duration, summary.requests, summary.bytes, c, o, s, a, x, e.connect, e.read,
    e.write, e.status, e.timeout, latency.min, latency.mean, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9)))
end
