-- nginx /static.json: the loopback HTTP ceiling. A good answer is HTTP 200.
-- The request is static (no request() function), so wrk formats it once.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(dir .. "common.lua")

common.install("http200")
