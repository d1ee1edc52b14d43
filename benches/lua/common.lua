-- Shared by static.lua, balance.lua and withdraw.lua (loaded with dofile from the
-- script's own directory). Defines wrk's setup/init/response/done callbacks.
--
-- Environment (set by sim_vs_nginx.sh):
--   OBH_CHECK   "1" (default): define response() and count bad answers;
--               "0": no response() callback, so wrk does not hand bodies to Lua
--               (the fast pass used for the rate when the callback costs too much).
--   OBH_LABEL   a name echoed in the result line.
--
-- Each target script calls common.install(expect) where expect is
--   "http200" - a good answer is HTTP 200 (nginx static file), or
--   "a0000"   - a good answer is a body containing "rsp_code":"A0000" (the simulator).
--
-- done() prints one machine-readable line:
--   OBH_RESULT label=.. check=on|off requests=.. duration_us=.. rps=.. p50_us=.. p90_us=..
--              p99_us=.. max_us=.. checked=.. bad=.. err_connect=.. err_read=.. err_write=..
--              err_status=.. err_timeout=..
-- and, when bad answers were seen, one line per answer code (at most 20):
--   OBH_CODE code=A0326 count=12 msg=<first rsp_message seen for that code>

local common = {}

local threads = {}

local function checking()
  return (os.getenv("OBH_CHECK") or "1") ~= "0"
end

-- Per-thread state (each wrk thread has its own Lua state; these are its globals).
bad = 0
checked = 0
codes = {}
msgs = {}

local find = string.find
local match = string.match

local function note_bad(status, body)
  bad = bad + 1
  local code = match(body, '"rsp_code"%s*:%s*"([^"]*)"') or ("HTTP" .. tostring(status))
  local n = codes[code]
  if n then
    codes[code] = n + 1
  else
    codes[code] = 1
    local msg = match(body, '"rsp_message"%s*:%s*"(.-)"%s*[,}]') or string.sub(body, 1, 160)
    msgs[code] = (string.gsub(msg, "[\r\n]", " "))
  end
end

function common.install(expect)
  -- Main Lua state: remember every thread so done() can collect their counters.
  function setup(thread)
    thread:set("tid", #threads)
    table.insert(threads, thread)
  end

  if checking() then
    if expect == "http200" then
      function response(status, headers, body)
        checked = checked + 1
        if status ~= 200 then note_bad(status, body or "") end
      end
    else
      function response(status, headers, body)
        checked = checked + 1
        -- Fast path: the simulator writes compact JSON.
        if not (body and find(body, '"rsp_code":"A0000"', 1, true)) then
          -- Tolerate whitespace around the colon before calling it bad.
          if not (body and find(body, '"rsp_code"%s*:%s*"A0000"')) then
            note_bad(status, body or "")
          end
        end
      end
    end
  end

  function done(summary, latency, requests)
    local total_bad, total_checked = 0, 0
    local all_codes, all_msgs = {}, {}
    for _, t in ipairs(threads) do
      total_bad = total_bad + (t:get("bad") or 0)
      total_checked = total_checked + (t:get("checked") or 0)
      local c = t:get("codes") or {}
      local m = t:get("msgs") or {}
      for k, v in pairs(c) do
        all_codes[k] = (all_codes[k] or 0) + v
        if not all_msgs[k] then all_msgs[k] = m[k] end
      end
    end
    local secs = summary.duration / 1e6
    local e = summary.errors
    io.write(string.format(
      "OBH_RESULT label=%s check=%s requests=%d duration_us=%d rps=%.2f p50_us=%d p90_us=%d p99_us=%d max_us=%d checked=%d bad=%d err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d\n",
      os.getenv("OBH_LABEL") or "?", checking() and "on" or "off",
      summary.requests, summary.duration, summary.requests / secs,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
      total_checked, total_bad,
      e.connect, e.read, e.write, e.status, e.timeout))
    local list = {}
    for k, v in pairs(all_codes) do table.insert(list, { k, v }) end
    table.sort(list, function(a, b) return a[2] > b[2] end)
    for i, kv in ipairs(list) do
      if i > 20 then break end
      io.write(string.format("OBH_CODE code=%s count=%d msg=%s\n", kv[1], kv[2], all_msgs[kv[1]] or ""))
    end
  end
end

-- bank_tran_id = client_use_code (10) .. "U" .. 9 digits, unique per request across the run:
-- OBH_ID_BASE (pass/target range) + thread id * 20,000,000 + per-thread counter.
local ID_STRIDE = 20000000

function common.id_maker()
  local cuc = os.getenv("OBH_CLIENT_USE_CODE") or error("OBH_CLIENT_USE_CODE unset")
  if #cuc ~= 10 then error("client_use_code must be 10 characters, got '" .. cuc .. "'") end
  local base = tonumber(os.getenv("OBH_ID_BASE") or "0") + (tid or 0) * ID_STRIDE
  local prefix = cuc .. "U"
  local counter = 0
  local fmt = string.format
  return function()
    if counter >= ID_STRIDE then error("bank_tran_id range exhausted for this thread") end
    local id = fmt("%s%09d", prefix, base + counter)
    counter = counter + 1
    return id
  end
end

-- tran_dtime in KST (UTC+9), yyyyMMddHHmmss; recomputed every 1024 calls to keep
-- os.date out of the hot path.
function common.dtime_maker()
  local cached, n = nil, 0
  return function()
    if n == 0 then cached = os.date("!%Y%m%d%H%M%S", os.time() + 9 * 3600) end
    n = (n + 1) % 1024
    return cached
  end
end

return common
