-- Plugin metadata, measured side by side in one run (wall clock, best of
-- several rounds), each target of issue 15 printed with PASS or FAIL:
--   1. dynlib.metadata per file against C open + read 4 KB + close (the
--      floor; target at most 2x);
--   2. dynlib.scan of 1,000 plugins per file against the same floor
--      (target at most 1.5x), and against dynlib.open of each (target at
--      least 20 times faster) and plain dlopen, the loader alone;
--   3. the fallback search against memmem over the same bytes;
--   4. system calls per metadata read for plugins of 15 KB to 101 MB, and
--      per file of a scan, by name (target: one open and one pread).
local dynlib = require("dynlib")
local build = os.getenv("DYNLIB_BUILD") or "build"
local floorio = package.loadlib(build .. "/bench/floorio.so", "luaopen_floorio")()
local dir = build .. "/bench/plugins"
local now = floorio.now

local files = {}
for f in io.popen("ls " .. dir .. "/*.so"):lines() do files[#files + 1] = f end
assert(#files == 1000, "expected 1,000 generated plugins")

local function verdict(ok) return ok and "PASS" or "FAIL" end

local function best(rounds, fn)
  local t = math.huge
  for _ = 1, rounds do
    local t0 = now()
    fn()
    t = math.min(t, now() - t0)
  end
  return t
end

-- 1. One plugin's metadata against the floor, over all 1,000 files.
local function read_all() for _, f in ipairs(files) do assert(dynlib.metadata(f)) end end
local function floor_all() for _, f in ipairs(files) do floorio.read4k(f) end end
read_all()
floor_all()
local ours, floor = math.huge, math.huge
for _ = 1, 5 do -- interleaved, so both see the same machine
  ours = math.min(ours, best(1, read_all))
  floor = math.min(floor, best(1, floor_all))
end
print(("metadata per plugin: dynlib %.2f us, open+read 4KB+close %.2f us, ratio %.2fx"
  .. " (target <= 2x: %s)")
  :format(ours / #files * 1e6, floor / #files * 1e6, ours / floor, verdict(ours / floor <= 2)))

-- 2. Scanning the folder against opening every plugin. Each round of
-- opens closes them all again (a real unload), so every round loads.
local function open_all()
  local libs = {}
  for i, f in ipairs(files) do libs[i] = assert(dynlib.open(f)) end
  return libs
end
local scan, scan1, opening, dl = math.huge, math.huge, math.huge, math.huge
local floor2 = math.huge -- the floor again, in the same rounds as the scans
for _ = 1, 3 do
  scan = math.min(scan, best(3, function() assert(#dynlib.scan(dir) == 1000) end))
  scan1 = math.min(scan1, best(3, function() assert(#dynlib.scan(dir, {threads = 1}) == 1000) end))
  floor2 = math.min(floor2, best(3, floor_all))
  local t0 = now()
  local libs = open_all()
  opening = math.min(opening, now() - t0)
  for _, l in ipairs(libs) do l:close() end
  dl = math.min(dl, floorio.dlopen_all(files))
end
print(("scan of 1,000 plugins: %.1f ms (%.1f ms on one thread); dynlib.open of each: %.1f ms,"
  .. " plain dlopen of each: %.1f ms")
  :format(scan * 1e3, scan1 * 1e3, opening * 1e3, dl * 1e3))
print(("  scan per file: %.2f us (one thread: %.2f us), open+read 4KB+close %.2f us: ratio %.2fx"
  .. " (one thread %.2fx; target <= 1.5x: %s)")
  :format(scan / #files * 1e6, scan1 / #files * 1e6, floor2 / #files * 1e6, scan / floor2,
    scan1 / floor2, verdict(scan / floor2 <= 1.5)))
print(("  scan is %.1fx faster than opening each (one thread: %.1fx; target >= 20x: %s),"
  .. " %.1fx faster than plain dlopen")
  :format(opening / scan, opening / scan1, verdict(opening / scan >= 20), dl / scan))

-- 3. The fallback search over a 64 MB file whose record is at the end,
-- against memmem over the same bytes.
local E = dofile("spec/elfpatch.lua")
local big = build .. "/bench/fallback.so"
do
  local d = E.read(build .. "/bench/meta/small.so")
  for _, ph in ipairs(E.phdrs(d)) do
    if ph.type == E.PT_NOTE then d = E.set(d, ph.at, 4, E.PT_NULL) end
  end
  d = E.patch(E.patch(E.patch(d, "shoff", 0), "shnum", 0), "shstrndx", 0)
  local j = assert(E.find(d, '{"name": "bench-'))
  local note = d:sub(j - 32 + 1, j + 400)
  d = E.splice(d, j - 20, "xxxxxx") -- hide the original note
  local f = assert(io.open(big, "wb"))
  f:write(d)
  local filler = string.rep("\1\2\3\4\5\6\7\8", 8192)
  for _ = 1, (64 * 1024 * 1024) // #filler do f:write(filler) end
  f:write(note)
  f:close()
end
local pattern = string.pack("<I4", 0x64790001) .. "dynlib\0\0"
assert(floorio.memmem_file(big, pattern) > 0)
local meta, info = dynlib.metadata(big)
assert(meta and info.source == "search", "fallback not taken")
local s_ours, s_floor = math.huge, math.huge
for _ = 1, 3 do
  s_ours = math.min(s_ours, best(1, function() dynlib.metadata(big) end))
  s_floor = math.min(s_floor, best(1, function() floorio.memmem_file(big, pattern) end))
end
print(("fallback search of 64 MB: dynlib %.0f MB/s, memmem %.0f MB/s, ratio %.2fx")
  :format(64 / s_ours, 64 / s_floor, s_ours / s_floor))
os.remove(big)

-- 4. System calls, counted by strace between two marker writes.
local H = require("helper") -- spec/helper.lua: the strace counting the specs use
if H.strace then
  local counts = {}
  for _, i in ipairs({1, 2, 3, 8}) do -- 15 KB, 48 KB, 1 MB, 101 MB
    local f = files[i]
    local size = io.open(f):seek("end")
    -- after one read of another file: the heap's first growth (brk) is
    -- the process's, not the read's
    local call = ("d.metadata(%q)"):format(f)
    counts[#counts + 1] = ("%d for %s"):format(H.syscalls(call, ("d.metadata(%q)"):format(files[4])),
      size >= 1 << 20 and ("%d MB"):format(size >> 20) or ("%d KB"):format(size >> 10))
  end
  print("system calls per metadata read: " .. table.concat(counts, ", "))
  local by = H.syscalls_by_name(("d.scan(%q, {threads = 1})"):format(dir))
  local total, names = 0, {}
  for name, n in pairs(by) do
    total = total + n
    names[#names + 1] = ("%s %.2f"):format(name, n / 1000)
  end
  table.sort(names)
  local opens, preads = (by.openat or 0) + (by.open or 0), by.pread64 or 0
  print(("system calls per file of a scan: %.2f (%d for 1,000 plugins, one thread): %s")
    :format(total / 1000, total, table.concat(names, ", ")))
  -- 1,000 plugins and the folder's one stray file (.made): one open each,
  -- one pread each.
  print(("  one open and one pread per plugin: %s"):format(
    verdict(opens <= 1000 + 2 and preads <= 1000 + 1)))
end
