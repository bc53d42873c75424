-- The wrk script of the Qiyou benchmark (tests/bench/load.py writes its request files).
--
-- wrk ... -s bench.lua URL -- MODE REQUESTS SAMPLES THREADS
--   MODE      "cycle": send the requests round and round until wrk's duration is over;
--             "once":  send each request exactly once (the rush, the storm), then idle and
--                      print QIYOU-BENCH-DONE so that the driver can stop wrk at once.
--   REQUESTS  a file with one request per line: METHOD<TAB>PATH<TAB>TOKEN<TAB>BODY ("-": none),
--             optionally <TAB>IDEMPOTENCY-KEY (sent as the Idempotency-Key header, as the
--             phones send one with every creating POST: docs/events.md)
--   SAMPLES   a file prefix: the first response body of each kind is written there ("-": none)
--   THREADS   wrk's -t (in "once" mode each thread takes every THREADS-th line)
--
-- At the end one line QIYOU-BENCH-RESULT {json} carries the counts and the latency percentiles.

local ffi = require("ffi")
ffi.cdef([[
typedef struct { long tv_sec; long tv_nsec; } qiyou_timespec;
int clock_gettime(int clk_id, qiyou_timespec *tp);
]])
local CLOCK_MONOTONIC = 1
local timespec = ffi.new("qiyou_timespec")

local function now_us()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, timespec)
  return tonumber(timespec.tv_sec) * 1000000 + math.floor(tonumber(timespec.tv_nsec) / 1000)
end

-- The main state's view of the threads (for done()).
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_index", #threads)
end

-- Per-thread state: globals, so that done() can read them through thread:get().
thread_index = 1
mode = "cycle"
quota = 0
reserved = 0
sent = 0
completed = 0
first_us = 0
last_us = 0
s2xx = 0
s409 = 0
s4xx = 0
s5xx = 0
sother = 0

local prepared = {}
local sample_prefix = "-"
local sampled = {}
local spare = nil

function init(args)
  mode = args[1]
  sample_prefix = args[3] or "-"
  local thread_total = tonumber(args[4] or "1")
  local file = assert(io.open(args[2], "r"))
  local number = 0
  for line in file:lines() do
    number = number + 1
    if mode == "cycle" or (number - 1) % thread_total == thread_index - 1 then
      local method, path, token, body, key =
        line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)$")
      if method == nil then
        method, path, token, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
      end
      local headers = {}
      if token ~= "-" then
        headers["Authorization"] = "Bearer " .. token
      end
      if key ~= nil and key ~= "-" then
        headers["Idempotency-Key"] = key
      end
      if body == "-" then
        body = nil
      else
        headers["Content-Type"] = "application/json"
      end
      prepared[#prepared + 1] = wrk.format(method, path, headers, body)
    end
  end
  file:close()
  quota = #prepared
  spare = wrk.format("GET", "/health/live")
  if mode == "cycle" then
    -- No delay(): wrk then sends each next request straight away. Threads start apart.
    delay = nil
    sent = ((thread_index - 1) * 7919) % math.max(quota, 1)
  end
end

-- "once" mode: a connection may send only while unreserved requests are left; the others idle.
function delay()
  if reserved < quota then
    reserved = reserved + 1
    return 0
  end
  return 3600000
end

function request()
  if mode == "once" then
    -- wrk calls request() once before starting, to inspect it; a connection re-opened after a
    -- socket error calls it again without delay(). Neither may use up a resident's request.
    if sent >= reserved then
      return spare
    end
    sent = sent + 1
    if sent == 1 then
      first_us = now_us()
    end
    return prepared[sent]
  end
  sent = sent % quota + 1
  return prepared[sent]
end

local function keep_sample(status, body)
  if sample_prefix == "-" then
    return
  end
  local kind = tostring(status) .. "-" .. (body:match('"status":"([%a_]+)"') or "x")
  if sampled[kind] then
    return
  end
  sampled[kind] = true
  local file = io.open(sample_prefix .. "." .. thread_index .. "." .. kind .. ".json", "w")
  if file then
    file:write(body)
    file:close()
  end
end

function response(status, headers, body)
  completed = completed + 1
  if status >= 200 and status < 300 then
    s2xx = s2xx + 1
  elseif status == 409 then
    s409 = s409 + 1
  elseif status >= 500 then
    s5xx = s5xx + 1
  elseif status >= 400 then
    s4xx = s4xx + 1
  else
    sother = sother + 1
  end
  keep_sample(status, body)
  if mode == "once" then
    last_us = now_us()
    if completed == quota then
      io.write("QIYOU-BENCH-DONE\n")
      io.stdout:flush()
    end
  end
end

function done(summary, latency, requests)
  local totals = { completed = 0, sent = 0, quota = 0, s2xx = 0, s409 = 0, s4xx = 0, s5xx = 0,
                   sother = 0 }
  local first, last = 0, 0
  for _, thread in ipairs(threads) do
    for key, value in pairs(totals) do
      totals[key] = value + thread:get(key)
    end
    local f, l = thread:get("first_us"), thread:get("last_us")
    if f > 0 and (first == 0 or f < first) then
      first = f
    end
    if l > last then
      last = l
    end
  end
  local span = 0
  if first > 0 then
    span = last - first
  end
  local e = summary.errors
  io.write(string.format(
    "QIYOU-BENCH-RESULT {\"requests\":%d,\"duration_us\":%d,\"bytes\":%d,"
      .. "\"errors\":{\"connect\":%d,\"read\":%d,\"write\":%d,\"status\":%d,\"timeout\":%d},"
      .. "\"latency_us\":{\"mean\":%.1f,\"stdev\":%.1f,\"max\":%d,\"p50\":%d,\"p75\":%d,"
      .. "\"p90\":%d,\"p99\":%d,\"p999\":%d},"
      .. "\"completed\":%d,\"sent\":%d,\"quota\":%d,"
      .. "\"status\":{\"2xx\":%d,\"409\":%d,\"4xx\":%d,\"5xx\":%d,\"other\":%d},"
      .. "\"span_us\":%d}\n",
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency.stdev, latency.max, latency:percentile(50), latency:percentile(75),
    latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    totals.completed, totals.sent, totals.quota,
    totals.s2xx, totals.s409, totals.s4xx, totals.s5xx, totals.sother,
    span))
end
