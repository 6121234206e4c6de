-- dynlib: load native shared libraries and plugins safely and fast.
--
-- This file is the friendly layer over the C binding (dynlib.core): it
-- re-exports the binding and adds what is easier to say in Lua.
local core = require("dynlib.core")

-- The binding's helpers for this layer stay private (plugin.lua uses them
-- through `core`); everything else is the public API.
local private = {scan_read = true, private_copy = true, remove_copy = true, instance = true,
                 plugin_open = true, get_path = true, set_path = true}

local M = {}
for k, v in pairs(core) do
  if not private[k] then M[k] = v end
end

-- Plugins: scan, plugin, reload (lua/dynlib/plugin.lua).
require("dynlib.plugin")(M, core)

-- Libraries kept loaded by dynlib.resolve, one handle per name.
local resolved = {}

--- Resolve `symbol` in library `name` and keep the library loaded for the
-- life of this Lua state (the static form of lib:sym).
function M.resolve(name, symbol, opts)
  if type(symbol) ~= "string" then
    error("bad argument #2 to 'resolve' (string expected, got " .. type(symbol) .. ")", 2)
  end
  local lib = resolved[name]
  if lib == nil then
    local err, code
    lib, err, code = core.open(name, opts)
    if not lib then return nil, err, code end
    resolved[name] = lib
  end
  return lib:sym(symbol)
end

-- dynlib.path: the search directories for bare names (read: an array of
-- directories; write: an array or a string with dynlib.path_sep between
-- directories, ':' or ';' on Windows; nil resets it to DYNLIB_PATH).
local SEP = core.path_sep
local function split_path(s)
  local dirs = {}
  for dir in s:gmatch("[^" .. SEP .. "]+") do
    dirs[#dirs + 1] = dir
  end
  return dirs
end

local function set_path(value)
  if value == nil then
    core.set_path(nil)
  elseif type(value) == "string" then
    core.set_path(value)
  elseif type(value) == "table" then
    for i, dir in ipairs(value) do
      if type(dir) ~= "string" or dir:find(SEP, 1, true) then
        error(("bad dynlib.path entry #%d (a directory without '%s' expected)"):format(i, SEP), 3)
      end
    end
    core.set_path(table.concat(value, SEP))
  else
    error("dynlib.path must be a table, a string or nil, got " .. type(value), 3)
  end
end

return setmetatable(M, {
  __index = function(_, key)
    if key == "path" then return split_path(core.get_path()) end
    return nil
  end,
  __newindex = function(t, key, value)
    if key == "path" then return set_path(value) end
    rawset(t, key, value)
  end,
})
