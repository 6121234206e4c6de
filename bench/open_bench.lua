-- The store: open + close of an already-open library against a hand-written
-- dlopen + dlclose binding (same run); open by short name of an
-- already-open library (the name cache) against an open by path and one
-- stat; memory over 1,000,000 open/func/call/close cycles (resident size
-- and descriptors before and after). Each target prints PASS or FAIL.
local dynlib = require("dynlib")

-- Child mode for callgrind: n opens by short name (or by path) of the
-- already-open fixture, in the folder given.
if arg and arg[1] == "callgrind-open" then
  local mode, n, dir = arg[2], tonumber(arg[3]), arg[4]
  dynlib.path = {dir}
  local held = assert(dynlib.open("basic"))
  local name = mode == "name" and "basic" or held.path
  for _ = 1, n do dynlib.open(name):close() end
  return
end

local H = require("helper") -- spec/helper.lua: the strace counting the specs use
local build = os.getenv("DYNLIB_BUILD") or "build"
package.cpath = build .. "/bench/?.so;" .. package.cpath
local rawdl = require("rawdl")

local fixture = build .. "/fixtures/store/libbasic.so"
local path = assert(dynlib.find(fixture))
local fixdir = path:match("^(.*)/[^/]+$")

local function verdict(ok) return ok and "PASS" or "FAIL" end

local function time(n, fn)
  local best = math.huge
  for _ = 1, 5 do -- best of five: the least disturbed run
    local t0 = os.clock()
    fn(n)
    best = math.min(best, os.clock() - t0)
  end
  return best / n * 1e9
end

local keep = assert(dynlib.open(path))       -- already open: the case measured
local raw_keep = rawdl.open(path)
local N = 200000

local floor = time(N, function(n)
  for _ = 1, n do rawdl.close(rawdl.open(path)) end
end)
local ours = time(N, function(n)
  for _ = 1, n do dynlib.open(path):close() end
end)
print(("open+close, already open: dynlib %.0f ns, dlopen+dlclose binding %.0f ns, ratio %.2fx (target <= 1.5x) %s")
  :format(ours, floor, ours / floor, verdict(ours / floor <= 1.5)))

-- ---- open by short name, already open: the name cache ------------------
-- "basic" through dynlib.path (the fixture's folder) and "z" through
-- ld.so.cache; each against an open by path of the same file, interleaved
-- so drift in machine speed hits both, and against a bare stat of the file
-- the search chose (the one system call a cache hit makes).
local saved_path = dynlib.path
dynlib.path = {fixdir}
local shorts = {{"basic", "basic", path}}
local z = dynlib.open("z")
if z then shorts[#shorts + 1] = {"z", "z", z.path, z} end

local M = 50000
for _, s in ipairs(shorts) do
  local name, real = s[2], s[3]
  local held = assert(dynlib.open(name))
  local by_name, by_path, stat = math.huge, math.huge, math.huge
  for _ = 1, 3 do
    by_name = math.min(by_name, time(M, function(n) for _ = 1, n do dynlib.open(name):close() end end))
    by_path = math.min(by_path, time(M, function(n) for _ = 1, n do dynlib.open(real):close() end end))
    stat = math.min(stat, time(M, function(n) for _ = 1, n do rawdl.stat(real) end end))
  end
  local setup = ("d.path = {%q} local k = assert(d.open(%q))"):format(fixdir, name)
  local calls = H.syscalls(("local l = d.open(%q)"):format(name), setup)
  local ratio = by_name / by_path
  print(("open(%q) already open: %.0f ns, by path %.0f ns, ratio %.2fx (target <= 3x) %s; "
      .. "one stat of its real path alone: %.0f ns")
    :format(s[1], by_name, by_path, ratio, verdict(ratio <= 3), stat))
  if calls then
    print(("open(%q) already open: %d system calls (target <= 2) %s")
      :format(s[1], calls, verdict(calls <= 2)))
  end
  held:close()
end
if z then z:close() end
dynlib.path = saved_path

-- The same in instructions (callgrind: no timing noise, and no kernel
-- time either: what dynlib itself adds around the stat).
local probe = io.popen("command -v valgrind")
local have_valgrind = probe:read("l")
probe:close() -- now: the memory part counts descriptors
if os.getenv("DYNLIB_BENCH_CALLGRIND") ~= "0" and have_valgrind then
  local function instructions(mode, n)
    return H.callgrind("bench/open_bench.lua", "callgrind-open", mode, n, fixdir)
  end
  local n = 10000
  local by_name = (instructions("name", n) - instructions("name", 0)) / n
  local by_path = (instructions("path", n) - instructions("path", 0)) / n
  print(("open(\"basic\") already open (callgrind): %.0f instructions, by path %.0f, ratio %.2fx (target <= 3x) %s")
    :format(by_name, by_path, by_name / by_path, verdict(by_name / by_path <= 3)))
end

-- ---- memory -------------------------------------------------------------

local function rss_kb()
  local f = assert(io.open("/proc/self/statm"))
  local pages = f:read("n") and f:read("n")
  f:close()
  return pages * 4
end

-- Descriptors open in this process (/proc/self/fd, read by ls: the pipe
-- to ls itself counts once in every reading).
local function fds()
  local stat = assert(io.open("/proc/self/stat"))
  local pid = stat:read("n")
  stat:close()
  local p = assert(io.popen("ls /proc/" .. pid .. "/fd | wc -l"))
  local n = p:read("n")
  p:close()
  return n
end

-- Memory: open (already open elsewhere; by path and by short name in
-- turn, so the name cache is in the loop too), call through a typed
-- function, close; 1,000,000 cycles. Growth is measured after a warm-up.
local cycles = tonumber(os.getenv("DYNLIB_BENCH_CYCLES")) or 1000000
local names = {path, "basic"}
dynlib.path = {fixdir}
local function cycle(n)
  for i = 1, n do
    local lib = dynlib.open(names[i % 2 + 1])
    local f = lib.func and lib:func("int basic_answer(void)")
    if f then assert(f() == 42) else assert(lib:sym("basic_answer")) end
    lib:close()
  end
end
-- No forced collections: in Lua 5.4.4 a full collectgarbage() while many
-- finalizable userdata are pending upsets the collector's pacing and the
-- next rounds peak higher (seen with a bare userdata that has an empty
-- __gc, without dynlib). The collector's own pace is what a game sees.
local function settle()
  return rss_kb(), fds(), collectgarbage("count")
end
-- Warm-up: a first round grows Lua's and malloc's pools to their working
-- size; growth is measured from there.
local fd_start = fds()
cycle(cycles)
local rss0, fd0, heap0 = settle()
cycle(cycles)
local rss1, fd1, heap1 = settle()
-- Flat: a second million cycles grows resident memory by at most 1 MB
-- (page-sized noise from malloc and Lua's collector, no per-cycle leak:
-- a leak of even one byte per cycle would show as 1 MB).
print(("memory: %d open/func/call/close cycles: resident %d KB -> %d KB (%+d KB, target <= +1024 KB) %s, "
    .. "Lua heap %.0f KB -> %.0f KB")
  :format(cycles, rss0, rss1, rss1 - rss0, verdict(rss1 - rss0 <= 1024), heap0, heap1))
print(("memory: descriptors %d at start, %d -> %d after each round (target: none left) %s")
  :format(fd_start, fd0, fd1, verdict(fd0 == fd_start and fd1 == fd_start)))
dynlib.path = saved_path
keep:close()
rawdl.close(raw_keep)
