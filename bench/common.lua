-- Helpers shared by the benchmarks.
local C = {}

-- System calls made by `call_code` (Lua source run after require("dynlib")
-- as `d`, and after `setup` when given), counted under strace between two
-- marker writes; nil without strace.
function C.syscalls(call_code, setup)
  local probe = io.popen("command -v strace")
  local have = probe:read("l")
  probe:close() -- now, not at a later collection: benches count descriptors
  if not have then return nil end
  local code = ([[local d = require("dynlib") %s io.stderr:write("BEGIN\n")
    %s io.stderr:write("END\n")]]):format(setup or "", call_code)
  local cmd = ("strace -f -o /dev/stdout env LUA_PATH=%q LUA_CPATH=%q lua5.4 -e %q 2>/dev/null")
    :format(package.path, package.cpath, code)
  local inside, n = false, 0
  local out = io.popen(cmd)
  for line in out:lines() do
    if line:find('write(2, "BEGIN', 1, true) then inside = true
    elseif line:find('write(2, "END', 1, true) then inside = false
    elseif inside then n = n + 1 end
  end
  out:close()
  return n
end

-- The same, by system call name: {openat = n, pread64 = n, ...}.
function C.syscalls_by_name(call_code)
  if not io.popen("command -v strace"):read("l") then return nil end
  local code = ([[local d = require("dynlib") io.stderr:write("BEGIN\n")
    %s io.stderr:write("END\n")]]):format(call_code)
  local cmd = ("strace -f -o /dev/stdout env LUA_PATH=%q LUA_CPATH=%q lua5.4 -e %q 2>/dev/null")
    :format(package.path, package.cpath, code)
  local inside, by = false, {}
  for line in io.popen(cmd):lines() do
    if line:find('write(2, "BEGIN', 1, true) then inside = true
    elseif line:find('write(2, "END', 1, true) then inside = false
    elseif inside then
      local name = line:match("^%d+%s+([%w_]+)%(")
      if name then by[name] = (by[name] or 0) + 1 end
    end
  end
  return by
end

return C
