-- The store: open + close of an already-open library against a hand-written
-- dlopen + dlclose binding (same run), and memory over 1,000,000
-- open/call/close cycles (resident size and descriptors before and after).
local dynlib = require("dynlib")
package.cpath = (os.getenv("DYNLIB_BUILD") or "build") .. "/bench/?.so;" .. package.cpath
local rawdl = require("rawdl")

local fixture = (os.getenv("DYNLIB_BUILD") or "build") .. "/fixtures/store/libbasic.so"
local path = assert(dynlib.find(fixture))

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
print(("open+close, already open: dynlib %.0f ns, dlopen+dlclose binding %.0f ns, ratio %.2fx (target <= 1.5x)")
  :format(ours, floor, ours / floor))

local function rss_kb()
  local f = assert(io.open("/proc/self/statm"))
  local pages = f:read("n") and f:read("n")
  f:close()
  return pages * 4
end

local function fds()
  local stat = assert(io.open("/proc/self/stat"))
  local pid = stat:read("n")
  stat:close()
  local p = assert(io.popen("ls /proc/" .. pid .. "/fd | wc -l"))
  local n = p:read("n")
  p:close()
  return n
end

-- Memory: open (already open elsewhere), call through a typed function,
-- close; 1,000,000 cycles. Growth is measured after a warm-up.
local cycles = tonumber(os.getenv("DYNLIB_BENCH_CYCLES")) or 1000000
local function cycle(n)
  for _ = 1, n do
    local lib = dynlib.open(path)
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
cycle(cycles)
local rss0, fd0, heap0 = settle()
cycle(cycles)
local rss1, fd1, heap1 = settle()
print(("memory: %d open/call/close cycles: resident %d KB -> %d KB (%+d KB), Lua heap %.0f KB -> %.0f KB, descriptors %d -> %d")
  :format(cycles, rss0, rss1, rss1 - rss0, heap0, heap1, fd0, fd1))
keep:close()
rawdl.close(raw_keep)
