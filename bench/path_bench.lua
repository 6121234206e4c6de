-- A function's default path against the same function made with
-- {ffi = true}, side by side in one run: ns per call and the ratio. Needs
-- only dynlib and the call fixture, so it runs on every target, under wine
-- too (where make bench cannot run: bench/run.lua lists files with ls):
--   make CROSS=x86_64-w64-mingw32 module fixtures
--   DYNLIB_BUILD=build/x86_64-w64-mingw32 LUA_PATH='lua/?.lua;lua/?/init.lua;;' \
--     LUA_CPATH='build/x86_64-w64-mingw32/lua/?.dll;;' \
--     build/x86_64-w64-mingw32/lua5.4 bench/path_bench.lua
-- Timings are wall clock where os.clock is (Windows' clock()).
local dynlib = require("dynlib")
local build = os.getenv("DYNLIB_BUILD") or "build"
local so = dynlib.os == "windows" and "dll" or "so"
local lib = assert(dynlib.open(build .. "/fixtures/calls/libcalls." .. so))

-- {label, prototype, arguments}
local cases = {
  {"int add(int,int)", "int add(int, int)", {2, 3}},
  {"void noop(void)", "void noop(void)", {}},
  {"double add(double,double)", "double addd(double, double)", {1.5, 2.25}},
}

-- One loop per arity, so the loop costs the same for both paths.
local function loop(f, args, n)
  local a, b = args[1], args[2]
  local t0 = os.clock()
  if #args == 0 then for _ = 1, n do f() end
  else for _ = 1, n do f(a, b) end end
  return os.clock() - t0
end

-- The two paths in turn, round after round, each keeping its best: load
-- from other processes then weighs on both alike.
local function best_pair(f, g, args, n, rounds)
  local tf, tg = math.huge, math.huge
  for _ = 1, rounds do
    tf = math.min(tf, loop(f, args, n))
    tg = math.min(tg, loop(g, args, n))
  end
  return tf / n * 1e9, tg / n * 1e9
end

local N = tonumber(os.getenv("DYNLIB_BENCH_CALLS")) or 1000000
local ROUNDS = tonumber(os.getenv("DYNLIB_BENCH_ROUNDS")) or 9
print(("%-28s %6s %10s %10s %8s"):format("call", "path", "default ns", "libffi ns", "ratio"))
for _, c in ipairs(cases) do
  local f, ffi = lib:func(c[2]), lib:func(c[2], {ffi = true})
  local t, tf = best_pair(f, ffi, c[3], N, ROUNDS)
  print(("%-28s %6s %10.1f %10.1f %7.2fx"):format(c[1], dynlib.call_path(f), t, tf, t / tf))
end
