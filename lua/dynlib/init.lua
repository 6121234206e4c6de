-- dynlib: load native shared libraries and plugins safely and fast.
--
-- This file is the friendly layer over the C binding (dynlib.core): it
-- re-exports the binding and adds what is easier to say in Lua.
local core = require("dynlib.core")

-- The binding's helpers for this layer stay private (plugin.lua uses them
-- through `core`); everything else is the public API.
local private = {scan_read = true, private_copy = true, remove_copy = true, instance = true,
                 plugin_open = true, get_path = true, set_path = true,
                 open_options = true, check_open_values = true, json_decode = true}

local M = {}
for k, v in pairs(core) do
  if not private[k] then M[k] = v end
end

-- How a table key looks in an error: 'name' for a string, [1] for the rest.
local function show_key(k)
  return type(k) == "string" and ("'" .. k .. "'") or ("[" .. tostring(k) .. "]")
end

--- Raises unless every key of the options table opts is in the list valid:
-- a misspelled option is a programmer error, never silently ignored (the
-- binding's ldl_check_options says the same for the calls written in C).
-- level: as error's, counted from the caller of check_options.
local function check_options(opts, fname, valid, level)
  for k in next, opts do
    local known = false
    for _, name in ipairs(valid) do
      if k == name then
        known = true
        break
      end
    end
    if not known then
      error(("bad option %s to '%s' (valid: %s)")
        :format(show_key(k), fname, table.concat(valid, ", ")), (level or 2) + 1)
    end
  end
end

--- Raises, as open would and naming fname, for a bad value of one of
-- open's options (its version, hints or trusted folders). The binding's
-- message has no position when called through pcall: error adds the
-- caller's, as check_options does.
local function check_open_values(opts, fname, level)
  local ok, err = pcall(core.check_open_values, opts, fname)
  if not ok then error(err, (level or 2) + 1) end
end

--- Raises unless every key of the table t is an integer 1..#t: what names
-- the list for the error.
local function check_list(t, what, level)
  local n = #t
  for k in next, t do
    if math.type(k) ~= "integer" or k < 1 or k > n then
      error(("bad key %s in %s (a list expected: keys 1 to %d)"):format(show_key(k), what, n),
            (level or 2) + 1)
    end
  end
end

-- Plugins: scan, plugin, reload (lua/dynlib/plugin.lua).
require("dynlib.plugin")(M, core, {options = check_options, open_values = check_open_values,
                                   list = check_list})

-- Libraries kept loaded by dynlib.resolve, one handle per name.
local resolved = {}

--- Resolve `symbol` in library `name` and keep the library loaded for the
-- life of this Lua state (the static form of lib:sym).
function M.resolve(name, symbol, opts)
  if type(symbol) ~= "string" then
    error("bad argument #2 to 'resolve' (string expected, got " .. type(symbol) .. ")", 2)
  end
  if opts ~= nil then
    if type(opts) ~= "table" then
      error("bad argument #3 to 'resolve' (table expected, got " .. type(opts) .. ")", 2)
    end
    check_options(opts, "resolve", core.open_options, 2)
    check_open_values(opts, "resolve", 2)
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
    check_list(value, "dynlib.path", 2)
    for i, dir in ipairs(value) do
      if type(dir) ~= "string" or dir:find(SEP, 1, true) then
        error(("bad dynlib.path entry #%d (a directory without '%s' expected)"):format(i, SEP), 2)
      end
    end
    core.set_path(table.concat(value, SEP))
  else
    error("dynlib.path must be a table, a string or nil, got " .. type(value), 2)
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
