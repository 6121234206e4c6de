-- Typed calls against hand-written lua_CFunction bindings of the same C
-- functions, measured side by side in one run (ns per call and the ratio),
-- then instructions per call under callgrind (noise-free; skipped when
-- valgrind is missing or DYNLIB_BENCH_CALLGRIND=0). Each shape's target
-- (issue 15) is printed beside its ratio with PASS or FAIL: judged on the
-- instruction counts where callgrind ran, else on the timings.
local dynlib = require("dynlib")
local build = os.getenv("DYNLIB_BUILD") or "build"
local fixture = build .. "/fixtures/calls/libcalls.so"
package.cpath = build .. "/bench/?.so;" .. package.cpath
package.loaded.handcalls = nil
local hand = package.loadlib(build .. "/bench/handcalls.so", "luaopen_handcalls")(fixture)
local lib = assert(dynlib.open(fixture))

-- {label, prototype, floor's name, arguments, target ratio, lib:func options}
local cases = {
  {"int add(int,int)", "int add(int, int)", "add", {2, 3}, 1.15},
  {"double add(double,double)", "double addd(double, double)", "addd", {1.5, 2.25}, 1.3},
  {"size_t strlen(const char*)", "size_t my_strlen(const char *)", "strlen", {"hello world"}, 1.3},
  {"int64_t sum6(6 x int64_t)", "int64_t sum6(int64_t, int64_t, int64_t, int64_t, int64_t, int64_t)",
   "sum6", {1, 2, 3, 4, 5, 6}, 1.3},
  {"void noop(void)", "void noop(void)", "noop", {}, 1.3},
  {"int add(int,int) via libffi", "int add(int, int)", "add", {2, 3}, 2.0, {ffi = true}},
}

local function verdict(ratio, target)
  return ratio <= target and "PASS" or "FAIL"
end

-- One loop per arity, so the loop itself costs the same for both sides.
local function loop(f, args, n)
  local a, b, c, d, e, g = table.unpack(args)
  local t0 = os.clock()
  if #args == 0 then for _ = 1, n do f() end
  elseif #args == 1 then for _ = 1, n do f(a) end
  elseif #args == 2 then for _ = 1, n do f(a, b) end
  else for _ = 1, n do f(a, b, c, d, e, g) end end
  return os.clock() - t0
end

local function best(f, args, n)
  local t = math.huge
  for _ = 1, 5 do t = math.min(t, loop(f, args, n)) end
  return t / n * 1e9
end

local mode = arg and arg[1]
if mode == "callgrind-one" then
  -- Child mode: run one case N times for callgrind to count.
  local i, side, n = tonumber(arg[2]), arg[3], tonumber(arg[4])
  local c = cases[i]
  local f = side == "hand" and hand[c[3]] or side == "hand_ffi" and hand.add_ffi
    or lib:func(c[2], c[6])
  loop(f, c[4], n)
  return
end

local N = tonumber(os.getenv("DYNLIB_BENCH_CALLS")) or 3000000
local callgrind = os.getenv("DYNLIB_BENCH_CALLGRIND") ~= "0" and io.popen("command -v valgrind"):read("l")
print(("%-32s %10s %10s %8s %8s"):format("call", "dynlib ns", "hand ns", "ratio", "target"))
for _, c in ipairs(cases) do
  local f = lib:func(c[2], c[6])
  local h = hand[c[3]]
  assert(select("#", f(table.unpack(c[4]))) == select("#", h(table.unpack(c[4]))))
  -- Interleave the two sides so drift in machine speed hits both.
  local ours, floor = math.huge, math.huge
  for _ = 1, 3 do
    ours = math.min(ours, best(f, c[4], N // 5))
    floor = math.min(floor, best(h, c[4], N // 5))
  end
  -- Timings are noisy: the verdict is the instruction count's when there is one.
  print(("%-32s %10.1f %10.1f %7.2fx %7.2fx %s"):format(c[1], ours, floor, ours / floor, c[5],
    callgrind and "" or verdict(ours / floor, c[5])))
end

-- Instructions per call: callgrind counts of N calls minus 0 calls.
if not callgrind then return end
local H = require("helper") -- spec/helper.lua: the callgrind count the benches share
local function instructions(i, side, n)
  return H.callgrind("bench/call_bench.lua", "callgrind-one", i, side, n)
end
local n = 20000
print(("%-32s %10s %10s %8s %8s"):format("call (callgrind)", "dynlib Ir", "hand Ir", "ratio", "target"))
for i, c in ipairs(cases) do
  local ours = (instructions(i, "dynlib", n) - instructions(i, "dynlib", 0)) / n
  local floor = (instructions(i, "hand", n) - instructions(i, "hand", 0)) / n
  print(("%-32s %10.1f %10.1f %7.2fx %7.2fx %s"):format(c[1], ours, floor, ours / floor, c[5],
    verdict(ours / floor, c[5])))
  c.ours, c.floor = ours, floor
end
-- What bounds the libffi path: a hand-written binding calling add through
-- ffi_call, and ffi_call's own share (that binding minus the direct one).
local ffi_case = cases[#cases]
local hand_ffi = (instructions(#cases, "hand_ffi", n) - instructions(#cases, "hand_ffi", 0)) / n
print(("libffi's floor: a hand-written binding through ffi_call %.1f Ir (%.2fx the direct one; "
  .. "ffi_call alone %.1f), so no libffi path meets 2x; dynlib's is %.2fx that binding"):format(hand_ffi,
  hand_ffi / ffi_case.floor, hand_ffi - ffi_case.floor, ffi_case.ours / hand_ffi))
