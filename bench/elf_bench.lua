-- Inspection: dynlib.inspect over every library under /usr/lib/<multiarch>
-- against readelf -dW over the same files (wall time, one run each), and
-- the system calls of one inspect for a small and a 100 MB library.
local dynlib = require("dynlib")
local build = os.getenv("DYNLIB_BUILD") or "build"

local function now_ns()
  local p = io.popen("date +%s%N")
  local t = tonumber(p:read("l"))
  p:close()
  return t
end

local files = {}
for f in io.popen("find /usr/lib/x86_64-linux-gnu -type f -name '*.so*' | sort"):lines() do
  local h = io.open(f, "rb")
  if h and h:read(4) == "\127ELF" then files[#files + 1] = f end
  if h then h:close() end
end

local t0 = now_ns()
local ok, exports = 0, 0
for _, f in ipairs(files) do
  local info = dynlib.inspect(f)
  if info then ok, exports = ok + 1, exports + #info.exports end
end
local ours = (now_ns() - t0) / #files / 1e3

local list = {}
for i, f in ipairs(files) do list[i] = ("%q"):format(f) end
local function readelf(flags)
  local t = now_ns()
  os.execute("readelf " .. flags .. " " .. table.concat(list, " ") .. " > /dev/null 2>&1")
  return (now_ns() - t) / #files / 1e3
end
local dyn, all = readelf("-dW"), readelf("-hdSW --dyn-syms")
print(("inspect of %d libraries (%d exports), per library: dynlib.inspect %.1f us; "
  .. "readelf -dW %.1f us (dynamic only, ratio %.2fx); readelf -hdSW --dyn-syms %.1f us "
  .. "(the same facts, ratio %.2fx)"):format(#files, exports, ours, dyn, ours / dyn, all, ours / all))

local H = require("helper") -- spec/helper.lua: the strace counting the specs use
local function syscalls(path)
  return H.syscalls(("assert(d.inspect(%q))"):format(path))
end
if H.strace then
  -- The 100 MB library holds a 100 MB section (objcopy --add-section) before
  -- its section table, so inspect must read near both ends of the file.
  local small = build .. "/fixtures/elf/libsymbols.so"
  local big, pad = build .. "/bench/big-inspect.so", build .. "/bench/pad-100M"
  os.execute(("mkdir -p %q && truncate -s 100M %q && objcopy --add-section .bigpad=%q "
    .. "--set-section-flags .bigpad=noload,readonly %q %q")
    :format(build .. "/bench", pad, pad, small, big))
  os.remove(pad)
  assert(#assert(dynlib.inspect(big)).exports > 0, "the 100 MB library must parse")
  print(("system calls per inspect: %d for a %d KB library, %d for a %d MB one")
    :format(syscalls(small), io.open(small):seek("end") // 1024, syscalls(big),
            io.open(big):seek("end") >> 20))
  os.remove(big)
end
