-- Plugin metadata: dynlib.metadata per file against C open + read 4 KB +
-- close (the floor); dynlib.scan of 1,000 plugins against dynlib.open of
-- each; the fallback search against memmem over the same bytes; system
-- calls per file for a small and a 100 MB plugin. One run, side by side.
local dynlib = require("dynlib")
local build = os.getenv("DYNLIB_BUILD") or "build"
local floorio = package.loadlib(build .. "/bench/floorio.so", "luaopen_floorio")()
local dir = build .. "/bench/plugins"

local files = {}
for f in io.popen("ls " .. dir .. "/*.so"):lines() do files[#files + 1] = f end
assert(#files == 1000, "expected 1,000 generated plugins")

local function clock(fn)
  local best = math.huge
  for _ = 1, 5 do
    local t0 = os.clock()
    fn()
    best = math.min(best, os.clock() - t0)
  end
  return best
end

-- 1. One plugin's metadata against the floor, over all 1,000 files.
local ours = clock(function() for _, f in ipairs(files) do assert(dynlib.metadata(f)) end end)
local floor = clock(function() for _, f in ipairs(files) do floorio.read4k(f) end end)
print(("metadata per plugin: dynlib %.2f us, open+read 4KB+close %.2f us, ratio %.2fx (target <= 3x)")
  :format(ours / #files * 1e6, floor / #files * 1e6, ours / floor))

-- 2. Scanning the folder against opening every plugin.
local t0 = os.clock()
local found = dynlib.scan(dir)
local scan = os.clock() - t0
assert(#found == 1000)
local w0 = os.time()
t0 = os.clock()
local libs = {}
for i, f in ipairs(files) do libs[i] = assert(dynlib.open(f)) end
local open_all = os.clock() - t0
for _, l in ipairs(libs) do l:close() end
print(("scan of 1,000 plugins: %.1f ms; dynlib.open of each: %.1f ms (%ds wall); scan is %.0fx faster (target >= 20x)")
  :format(scan * 1e3, open_all * 1e3, os.time() - w0, open_all / scan))

-- 3. The fallback search over a 64 MB file whose record is at the end,
-- against memmem over the same bytes.
local E = dofile("spec/elfpatch.lua")
local big = build .. "/bench/fallback.so"
do
  local d = E.read(build .. "/fixtures/plugin/libmarker.so")
  for _, ph in ipairs(E.phdrs(d)) do
    if ph.type == E.PT_NOTE then d = E.set(d, ph.at, 4, E.PT_NULL) end
  end
  d = E.patch(E.patch(E.patch(d, "shoff", 0), "shnum", 0), "shstrndx", 0)
  local j = assert(E.find(d, '{"name": "marker"'))
  local note = d:sub(j - 32 + 1, j + 400)
  d = E.splice(d, j - 20, "xxxxxx")
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
local s_ours = clock(function() dynlib.metadata(big) end)
local s_floor = clock(function() floorio.memmem_file(big, pattern) end)
print(("fallback search of 64 MB: dynlib %.0f MB/s, memmem %.0f MB/s, ratio %.2fx")
  :format(64 / s_ours, 64 / s_floor, s_ours / s_floor))
os.remove(big)

-- 4. System calls for one metadata read: a small and a 100 MB plugin.
local common = dofile("bench/common.lua")
local function syscalls(path)
  return common.syscalls(("d.metadata(%q)"):format(path))
end
if io.popen("command -v strace"):read("l") then
  local small, large = files[1], files[8] -- plugin-007 is the 101 MB one
  local size = io.open(large):seek("end")
  print(("system calls per metadata read: %d for a %d KB plugin, %d for a %d MB one")
    :format(syscalls(small), io.open(small):seek("end") // 1024, syscalls(large), size // (1024 * 1024)))
end
