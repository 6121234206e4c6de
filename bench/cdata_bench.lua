-- Typed memory against a hand-written lua_CFunction binding of the same
-- struct and array (bench/cdata/handcdata.c), side by side in one run
-- (ns per access and the ratio), then instructions per access under
-- callgrind (noise-free; skipped when valgrind is missing or
-- DYNLIB_BENCH_CALLGRIND=0), then the memory of 1,000,000 typed objects
-- made and collected (RSS before and after: flat).
local dynlib = require("dynlib")
local build = os.getenv("DYNLIB_BUILD") or "build"
local hand = package.loadlib(build .. "/bench/handcdata.so", "luaopen_handcdata")()

dynlib.cdef("struct bench_pt { int32_t x, y; double d; };")

-- Each case: a name, the object for each side, the loop (one access per
-- iteration; the loop itself costs the same for both sides), the target.
local function ours_point() return dynlib.new("struct bench_pt") end
local function ours_array() return dynlib.cast("int32_t *", dynlib.new("int32_t[?]", 8)) end
local cases = {
  {"read int32 field  v = o.x", ours_point, hand.point,
   function(o, n) local v for _ = 1, n do v = o.x end return v end, 3},
  {"write int32 field o.x = i", ours_point, hand.point,
   function(o, n) for i = 1, n do o.x = i end end, 3},
  {"read double field v = o.d", ours_point, hand.point,
   function(o, n) local v for _ = 1, n do v = o.d end return v end, 3},
  {"read element  v = p[i]", ours_array, function() return hand.array(8) end,
   function(o, n) local v for i = 1, n do v = o[i & 7] end return v end, 3},
  {"write element p[i] = i", ours_array, function() return hand.array(8) end,
   function(o, n) for i = 1, n do o[i & 7] = i end end, 3},
  -- buf:get names its type per access: the type cache keeps that one
  -- table lookup (issue 12 measured the prototype parser's cost here).
  {"buf:get(\"int32_t\", off)", function() return dynlib.buffer(32) end,
   function() return hand.array(8) end,
   function(o, n) local v for i = 1, n do v = o:get("int32_t", (i & 7) * 4) end return v end, 3,
   function(o, n) local v for i = 1, n do v = o[i & 7] end return v end},
}

-- The loop a side runs: the case's own, or the hand side's where it differs.
local function loop_of(c, side)
  return side == "hand" and c[6] or c[4]
end

local mode = arg and arg[1]
if mode == "callgrind-one" then
  local c, side, n = cases[tonumber(arg[2])], arg[3], tonumber(arg[4])
  local o = side == "hand" and c[3]() or c[2]()
  loop_of(c, side)(o, n)
  return
end

local function best(loop, o, n)
  local t = math.huge
  for _ = 1, 5 do
    local t0 = os.clock()
    loop(o, n)
    t = math.min(t, os.clock() - t0)
  end
  return t / n * 1e9
end

local N = tonumber(os.getenv("DYNLIB_BENCH_CDATA")) or 3000000
print(("%-28s %10s %10s %8s %8s"):format("access", "dynlib ns", "hand ns", "ratio", "target"))
for _, c in ipairs(cases) do
  local o, h = c[2](), c[3]()
  local ours, floor = math.huge, math.huge
  for _ = 1, 3 do -- interleaved, so drift in machine speed hits both
    ours = math.min(ours, best(loop_of(c, "dynlib"), o, N // 5))
    floor = math.min(floor, best(loop_of(c, "hand"), h, N // 5))
  end
  print(("%-28s %10.1f %10.1f %7.2fx %7.2fx%s"):format(c[1], ours, floor, ours / floor, c[5],
    ours / floor <= c[5] and "" or "  (over target)"))
end

if os.getenv("DYNLIB_BENCH_CALLGRIND") ~= "0" and io.popen("command -v valgrind"):read("l") then
  local H = require("helper") -- spec/helper.lua: the callgrind count the benches share
  local function instructions(i, side, n)
    return H.callgrind("bench/cdata_bench.lua", "callgrind-one", i, side, n)
  end
  local n = 20000
  print(("%-28s %10s %10s %8s %8s"):format("access (callgrind)", "dynlib Ir", "hand Ir",
    "ratio", "target"))
  for i, c in ipairs(cases) do
    local ours = (instructions(i, "dynlib", n) - instructions(i, "dynlib", 0)) / n
    local floor = (instructions(i, "hand", n) - instructions(i, "hand", 0)) / n
    print(("%-28s %10.1f %10.1f %7.2fx %7.2fx%s"):format(c[1], ours, floor, ours / floor, c[5],
      ours / floor <= c[5] and "" or "  (over target)"))
  end
end

-- Memory: 1,000,000 objects made and dropped, in rounds; the RSS after a
-- full collection stays where it started (Linux: /proc/self/statm).
local function rss_kb()
  local f = io.open("/proc/self/statm")
  if not f then return nil end
  local pages = f:read("n") and f:read("n")
  f:close()
  return pages and pages * 4
end
collectgarbage()
local before = rss_kb()
for _ = 1, 10 do
  for _ = 1, 100000 do
    local o = dynlib.new("struct bench_pt", {x = 1, y = 2})
    o.d = 0.5
  end
end
collectgarbage()
collectgarbage()
local after = rss_kb()
if before then
  print(("1,000,000 typed objects made and collected: RSS %d KB before, %d KB after (%+d KB)")
    :format(before, after, after - before))
end
