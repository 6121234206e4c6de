-- Shared helpers for the specs: where the build and fixtures are, temporary
-- folders, shell commands, and observing what is mapped in this process.
local H = {}

H.build = os.getenv("DYNLIB_BUILD") or "build"
H.fixtures = H.build .. "/fixtures"
H.sanitized = os.getenv("DYNLIB_SANITIZER") ~= nil

-- The target the suite runs on, asked of the running system, never of the
-- build host: a cross suite (make test CROSS=...) runs under another
-- architecture's Lua. DYNLIB_LUA is that interpreter (the launcher sets it),
-- for specs that start a child Lua; DYNLIB_RUNNER prefixes the target's C
-- programs (qemu-user when the kernel cannot run them; empty natively).
H.lua = os.getenv("DYNLIB_LUA") or "lua5.4"
H.runner = os.getenv("DYNLIB_RUNNER") or ""
H.cross = os.getenv("DYNLIB_LUA") ~= nil

-- This machine's facts as the running module reports them: Debian's
-- multiarch folder and ld.so.cache's tag for its libraries ("ldconfig -p").
local dynlib_core = require("dynlib")
H.arch = dynlib_core.arch
H.windows = dynlib_core.os == "windows"
H.multiarch = ({x86_64 = "x86_64-linux-gnu", aarch64 = "aarch64-linux-gnu",
                i386 = "i386-linux-gnu"})[H.arch]
H.ldconfig_tag = ({x86_64 = "(libc6,x86-64)", aarch64 = "(libc6,AArch64)",
                   i386 = "(libc6)"})[H.arch]
function H.libdir()
  return "/usr/lib/" .. assert(H.multiarch, "no multiarch folder known for " .. tostring(H.arch))
end

-- A C program of the build (build/spec/*), as a shell command prefix.
function H.program(path)
  return (H.runner ~= "" and H.runner .. " " or "") .. path
end

-- `it` where cond holds; elsewhere the spec is skipped, and says why (busted
-- reports it as pending, TAP as "# SKIP"; .ci/run counts and lists them).
function H.it_if(cond, reason)
  if cond then return require("busted").it end
  return function(name)
    require("busted").pending(name .. " [skipped: " .. reason .. "]")
  end
end

-- At the top of a spec file that needs a POSIX system: on Windows (under
-- wine, io.popen runs cmd.exe, which cannot start the Unix tools the file
-- drives, and its fixtures are ELF libraries) the whole file is skipped,
-- once, with its reason; returns true then, and the file returns.
function H.posix_only(what, reason)
  if not H.windows then return false end
  require("busted").describe(what, function()
    require("busted").pending("the whole file [skipped on Windows: " .. reason .. "]")
  end)
  return true
end
H.POSIX_TOOLS = "its fixtures are ELF files built by the Linux toolchain and it drives POSIX tools"

function H.fixture(name)
  return H.fixtures .. "/" .. name
end

-- A shared library's file extension on the target, for fixtures built on
-- every target ("calls/libcalls." .. H.SO).
H.SO = H.windows and "dll" or "so"
-- The C library by the name dynlib.open takes: msvcrt on Windows (qsort,
-- strlen, _snprintf; its own names for POSIX functions), libc elsewhere.
H.LIBC = H.windows and "msvcrt" or "c"

-- Runs a shell command; returns its standard output and whether it succeeded.
function H.sh(cmd)
  local p = assert(io.popen(cmd, "r"))
  local out = p:read("a")
  local ok = p:close()
  return out, ok == true
end

-- The message of the error f(...) raises (fails the spec when it raises
-- none).
function H.err(f, ...)
  local ok, e = pcall(f, ...)
  assert(not ok, "no error")
  return tostring(e)
end

function H.quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

-- A new empty folder, removed at process exit by the OS's tmp cleaning or by
-- H.rmdir. On Windows with lfs (busted's own dependency) in %TEMP%.
function H.tmpdir()
  if H.windows then
    local lfs = require("lfs")
    local base = (os.getenv("TEMP") or "."):gsub("\\", "/")
    for _ = 1, 100 do
      local dir = ("%s/dynlib-spec.%06x"):format(base, math.random(0, 0xffffff))
      if lfs.mkdir(dir) then return dir end
    end
    error("cannot make a folder in " .. base)
  end
  local out = H.sh("mktemp -d /tmp/dynlib-spec.XXXXXX")
  return (out:gsub("%s+$", ""))
end

function H.rmdir(dir)
  if not H.windows then
    H.sh("rm -rf " .. H.quote(dir))
    return
  end
  local lfs = require("lfs")
  for name in lfs.dir(dir) do
    if name ~= "." and name ~= ".." then
      local p = dir .. "/" .. name
      if lfs.attributes(p, "mode") == "directory" then H.rmdir(p) else os.remove(p) end
    end
  end
  lfs.rmdir(dir)
end

function H.copy(src, dst)
  if H.windows then
    H.write(dst, assert(H.read(src), "copy failed: cannot read " .. src))
    return dst
  end
  local _, ok = H.sh("cp " .. H.quote(src) .. " " .. H.quote(dst))
  assert(ok, "copy failed: " .. src .. " -> " .. dst)
  return dst
end

function H.write(path, data)
  local f = assert(io.open(path, "wb"))
  f:write(data)
  f:close()
  return path
end

function H.read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

-- A C pointer from dynlib (a light userdata: no metatable, unlike handles).
-- Lua's type() says "userdata" for both kinds.
function H.is_pointer(v)
  return type(v) == "userdata" and getmetatable(v) == nil
end

-- Is a file with this path mapped into this process (/proc/self/maps)? On
-- Windows, which has no /proc, the loader's own answer: a module of this
-- path (GetModuleHandleExW, which dynlib.is_loaded asks).
function H.is_mapped(path)
  if H.windows then return dynlib_core.is_loaded(path) end
  local real = H.sh("realpath -e " .. H.quote(path) .. " 2>/dev/null"):gsub("%s+$", "")
  if real == "" then real = path end
  for line in io.lines("/proc/self/maps") do
    if line:sub(-#real) == real then return true end
  end
  return false
end

-- A private copy of a fixture in a fresh folder: specs that observe a real
-- unload each need their own file (busted runs every spec in one process).
function H.private_copy(name, newname)
  local dir = H.tmpdir()
  return H.copy(H.fixture(name), dir .. "/" .. (newname or name:match("[^/]+$"))), dir
end

-- Does the system's ld.so.cache list this machine's libraries? Not for a
-- foreign architecture under qemu-user: the host's ldconfig skips files of
-- machines it does not know (AArch64 on x86-64), and the target's loader
-- then finds them in its default folders.
H.cache_lists_arch = H.ldconfig_tag ~= nil and not H.windows and
  H.sh("/sbin/ldconfig -p"):find("libc.so.6 " .. H.ldconfig_tag, 1, true) ~= nil
H.NO_CACHE = "the system's ld.so.cache lists no library of this machine"

-- Can strace count a child Lua's system calls? Natively only: under qemu it
-- would trace the emulator, and wine's cmd.exe has no strace.
H.strace = not H.cross and not H.windows and
  H.sh("command -v strace || true"):find("strace", 1, true) ~= nil
H.NO_STRACE = "needs strace on a native run"

-- The system calls `code` makes (Lua source run in a child Lua after
-- require("dynlib") as `d`, and after `setup` when given), as strace's lines
-- between two marker writes; nil without H.strace. Raises when the child
-- did not reach the end marker, so that a failing child never reads as "no
-- system calls". The specs and bench/ count with it.
function H.syscall_lines(code, setup)
  if not H.strace then return nil end
  local chunk = ('local d = require("dynlib") %s io.stderr:write("BEGIN\\n") %s '
    .. 'io.stderr:write("END\\n")'):format(setup or "", code)
  local out = H.sh(("strace -f -o /dev/stdout env LUA_PATH=%s LUA_CPATH=%s %s -e %s 2>/dev/null")
    :format(H.quote(package.path), H.quote(package.cpath), H.lua, H.quote(chunk)))
  local inside, ended, lines = false, false, {}
  for line in out:gmatch("[^\n]+") do
    if line:find('write(2, "BEGIN', 1, true) then inside = true
    elseif line:find('write(2, "END', 1, true) then inside, ended = false, true
    elseif inside then lines[#lines + 1] = line end
  end
  assert(ended, "the traced child did not finish; its trace ends:\n" .. out:sub(-2000))
  return lines
end

-- How many system calls `code` makes (H.syscall_lines); nil without strace.
function H.syscalls(code, setup)
  local lines = H.syscall_lines(code, setup)
  return lines and #lines
end

-- The same, by system call name: {openat = n, pread64 = n, ...}.
function H.syscalls_by_name(code, setup)
  local lines = H.syscall_lines(code, setup)
  if not lines then return nil end
  local by = {}
  for _, line in ipairs(lines) do
    local name = line:match("^%d+%s+([%w_]+)%(")
    if name then by[name] = (by[name] or 0) + 1 end
  end
  return by
end

-- Instructions run by a child `lua5.4 script args...` (each argument
-- formatted with %s), counted by callgrind: the benches subtract the
-- counts of n calls and of none. nil without valgrind, or when
-- DYNLIB_BENCH_CALLGRIND=0. The pipe is closed at once: benches count
-- descriptors.
function H.callgrind(script, ...)
  if os.getenv("DYNLIB_BENCH_CALLGRIND") == "0" or H.sh("command -v valgrind || true") == "" then
    return nil
  end
  local args = {}
  for i = 1, select("#", ...) do args[i] = H.quote(tostring((select(i, ...)))) end
  local p = io.popen(("valgrind --tool=callgrind --callgrind-out-file=/dev/null lua5.4 %s %s 2>&1")
    :format(script, table.concat(args, " ")))
  local out = p:read("a")
  p:close()
  return tonumber((out:match("Collected : (%d+)")))
end

return H
