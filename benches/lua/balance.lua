-- GET /v2.0/account/balance/fin_num with a fresh bank_tran_id on every request.
-- Environment: OBH_TOKEN, OBH_FINTECH_USE_NUM, OBH_CLIENT_USE_CODE, OBH_ID_BASE (+ common.lua's).
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(dir .. "common.lua")

common.install("a0000")

local next_id, now_dtime, path_prefix, path_suffix, headers

function init(args)
  local token = os.getenv("OBH_TOKEN") or error("OBH_TOKEN unset")
  local fin = os.getenv("OBH_FINTECH_USE_NUM") or error("OBH_FINTECH_USE_NUM unset")
  next_id = common.id_maker()
  now_dtime = common.dtime_maker()
  path_prefix = "/v2.0/account/balance/fin_num?bank_tran_id="
  path_suffix = "&fintech_use_num=" .. fin .. "&tran_dtime="
  headers = { ["Authorization"] = "Bearer " .. token }
end

function request()
  return wrk.format("GET", path_prefix .. next_id() .. path_suffix .. now_dtime(), headers)
end
