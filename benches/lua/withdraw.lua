-- POST /v2.0/transfer/withdraw/fin_num with a fresh bank_tran_id on every request.
-- Environment: OBH_TOKEN, OBH_CLIENT_USE_CODE, OBH_ID_BASE, and OBH_BODY_TEMPLATE: the
-- compact JSON body with the placeholders @@BANK_TRAN_ID@@ and @@TRAN_DTIME@@ (in that
-- order), built by the shell script with jq so every value is correctly escaped.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(dir .. "common.lua")

common.install("a0000")

local next_id, now_dtime, part1, part2, part3, headers

function init(args)
  local token = os.getenv("OBH_TOKEN") or error("OBH_TOKEN unset")
  local tpl = os.getenv("OBH_BODY_TEMPLATE") or error("OBH_BODY_TEMPLATE unset")
  local i1, j1 = string.find(tpl, "@@BANK_TRAN_ID@@", 1, true)
  local i2, j2 = string.find(tpl, "@@TRAN_DTIME@@", 1, true)
  if not i1 or not i2 or i2 < j1 then
    error("OBH_BODY_TEMPLATE needs @@BANK_TRAN_ID@@ then @@TRAN_DTIME@@")
  end
  part1 = string.sub(tpl, 1, i1 - 1)
  part2 = string.sub(tpl, j1 + 1, i2 - 1)
  part3 = string.sub(tpl, j2 + 1)
  next_id = common.id_maker()
  now_dtime = common.dtime_maker()
  headers = {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json; charset=UTF-8",
  }
end

function request()
  return wrk.format("POST", "/v2.0/transfer/withdraw/fin_num", headers,
    part1 .. next_id() .. part2 .. now_dtime() .. part3)
end
