-- A qsort-style comparator called from C: dynlib's callbacks against one
-- written by hand against the Lua API (bench/callbacks/handcmp.c: pushes the
-- two int32_t values, lua_calls the Lua function). The same C loop calls
-- every side; ns per call side by side in one run, then instructions per
-- call under callgrind (noise-free; skipped when valgrind is missing or
-- DYNLIB_BENCH_CALLGRIND=0). Eight elements compared in a fixed loop favour
-- a cache of typed pointers, so callgrind also counts a real qsort of
-- SORT_N pseudo-random int32_t, per comparison.
local dynlib = require("dynlib")
local build = os.getenv("DYNLIB_BUILD") or "build"
local hand = package.loadlib(build .. "/bench/handcmp.so", "luaopen_handcmp")()

-- Eight int32_t the loop compares pairwise, in memory owned by Lua.
local array = dynlib.buffer(4 * 8)
for i, v in ipairs({5, -3, 17, 2, 2, 40, -9, 11}) do array:set("int32_t", (i - 1) * 4, v) end

-- Each case: name, target ratio (nil: shown only), comparator maker.
local cases = {
  {"hand-written (the floor)", nil, function()
    return hand.comparator(function(a, b) return a - b end)
  end},
  {"typed: int (const int32_t *, ...)", 3, function()
    local ok, cb = pcall(dynlib.callback, "int (const int32_t *, const int32_t *)",
      function(a, b) return a[0] - b[0] end)
    return ok and cb.ptr or nil, cb
  end},
  {"void * and buf:get (issue 12's 30x)", nil, function()
    local cb = dynlib.callback("int (const void *, const void *)", function(a, b)
      return array:get("int32_t", array:offset(a)) - array:get("int32_t", array:offset(b))
    end)
    return cb.ptr, cb
  end},
  {"dispatch only: (void *, void *) -> 0", nil, function()
    local cb = dynlib.callback("int (const void *, const void *)", function() return 0 end)
    return cb.ptr, cb
  end},
}

local function best(cmp, n)
  local t = math.huge
  for _ = 1, 5 do
    local t0 = os.clock()
    hand.drive(cmp, n, array.ptr)
    t = math.min(t, os.clock() - t0)
  end
  return t / n * 1e9
end

-- The sort's input: SORT_N int32_t from a fixed LCG, in memory owned by Lua.
local SORT_N = 5000
local sortbuf = dynlib.buffer(4 * SORT_N)
local function fill()
  local x = 12345
  for i = 0, SORT_N - 1 do
    x = (x * 1103515245 + 12345) % 2147483648
    sortbuf:set("int32_t", 4 * i, x % 200001 - 100000)
  end
end

local mode = arg and arg[1]
if mode == "callgrind-one" then
  -- Child mode: one case's comparator called n times, for callgrind to count.
  local cmp = cases[tonumber(arg[2])][3]()
  hand.drive(cmp, tonumber(arg[3]), array.ptr)
  return
elseif mode == "callgrind-sort" then
  -- Child mode: the input made, then sorted with one case's comparator (or not).
  local cmp = cases[tonumber(arg[2])][3]()
  fill()
  if arg[3] == "1" then hand.sort(cmp, sortbuf.ptr, SORT_N) end
  return
end

-- Every comparator but the last gives the floor's results (a failing
-- callback returns 0: a typed one before typed pointers existed).
local made = {}
for i, c in ipairs(cases) do
  local cmp, cb = c[3]()
  if cmp and i < #cases and hand.drive(cmp, 64, array.ptr) ~= hand.drive(made[1] or cmp, 64, array.ptr) then
    cmp, cb = nil, "wrong results"
  end
  if not cmp then print(("%-38s skipped: %s"):format(c[1], tostring(cb))) end
  made[i] = cmp or false
end

local N = tonumber(os.getenv("DYNLIB_BENCH_CALLBACKS")) or 300000
local ns = {}
for _ = 1, 3 do -- interleaved, so drift in machine speed hits every side
  for i in ipairs(cases) do
    if made[i] then ns[i] = math.min(ns[i] or math.huge, best(made[i], N // 5)) end
  end
end
print(("%-38s %10s %8s %8s"):format("comparator", "ns/call", "ratio", "target"))
for i, c in ipairs(cases) do
  if made[i] then
    local r = ns[i] / ns[1]
    print(("%-38s %10.1f %7.2fx %8s%s"):format(c[1], ns[i], r, c[2] and ("%.2fx"):format(c[2]) or "",
      c[2] and r > c[2] and "  (over target)" or ""))
  end
end

-- Instructions per call: callgrind counts of n calls minus 0 calls.
if os.getenv("DYNLIB_BENCH_CALLGRIND") == "0" or not io.popen("command -v valgrind"):read("l") then
  return
end
local H = require("helper") -- spec/helper.lua: the callgrind count the benches share
local function instructions(i, n)
  return H.callgrind("bench/callback_bench.lua", "callgrind-one", i, n)
end
local n = 20000
local ir = {}
print(("%-38s %10s %8s %8s"):format("comparator (callgrind)", "Ir/call", "ratio", "target"))
for i, c in ipairs(cases) do
  if made[i] then
    ir[i] = (instructions(i, n) - instructions(i, 0)) / n
    local r = ir[i] / ir[1]
    print(("%-38s %10.1f %7.2fx %8s%s"):format(c[1], ir[i], r, c[2] and ("%.2fx"):format(c[2]) or "",
      c[2] and r > c[2] and "  (over target)" or ""))
  end
end

-- The real sort: instructions of making the input and sorting it, minus
-- those of making it only, per comparison (counted once: every comparator
-- gives the same results, so qsort makes the same calls).
local compares = 0
fill()
hand.sort(hand.comparator(function(a, b) compares = compares + 1 return a - b end), sortbuf.ptr, SORT_N)
local function sort_instructions(i, sorted)
  return H.callgrind("bench/callback_bench.lua", "callgrind-sort", i, sorted)
end
local sorted_ir = {}
for i = 1, 2 do -- the floor and the typed comparator (the others read the 8-element array)
  if made[i] then
    sorted_ir[i] = (sort_instructions(i, 1) - sort_instructions(i, 0)) / compares
    print(("%-38s %10.1f %7.2fx"):format(("qsort of %d, %s"):format(SORT_N, i == 1 and "floor" or "typed"),
      sorted_ir[i], sorted_ir[i] / sorted_ir[1]))
  end
end
