-- Plugins: scan a folder by metadata without loading anything, then load
-- the chosen ones, get their instance, and hot-reload them.
-- Installed into the dynlib table by init.lua: install(M, core, checks),
-- checks being init.lua's checks of an options table's keys (options), of
-- the values open takes (open_values) and of a list's keys (list).
local function install(M, core, checks)
  local check_options, check_open_values = checks.options, checks.open_values
  -- ---- scan ------------------------------------------------------------

  -- Why a plugin with this metadata does not pass the filter, or nil.
  local function filter_out(meta, path, filter)
    if filter.iid and meta.iid ~= filter.iid then
      return ("interface %s, wanted %s"):format(tostring(meta.iid), filter.iid)
    end
    if filter.iid_prefix then
      local iid = type(meta.iid) == "string" and meta.iid or ""
      if iid:sub(1, #filter.iid_prefix) ~= filter.iid_prefix then
        return ("interface %s, wanted %s*"):format(tostring(meta.iid), filter.iid_prefix)
      end
    end
    if filter.predicate and not filter.predicate(meta, path) then
      return "refused by the predicate"
    end
    return nil
  end

  -- scan's filter: its options, and the type of each but threads.
  local SCAN_FILTER = {"iid", "iid_prefix", "predicate", "recursive", "threads"}
  local SCAN_TYPES = {{"iid", "string"}, {"iid_prefix", "string"},
                      {"predicate", "function"}, {"recursive", "boolean"}}

  --- dynlib.scan(dir_or_list [, filter]) -> found, skipped
  -- found: {path =, meta =} sorted by path; skipped: {path =, code =,
  -- reason =}, sorted too. Nothing is loaded; non-ELF files are skipped
  -- after their first bytes. filter: iid, iid_prefix, predicate(meta,
  -- path), recursive, threads (0: automatic, 1: this thread only).
  function M.scan(where, filter)
    filter = filter or {}
    if type(filter) ~= "table" then
      error("bad argument #2 to 'scan' (table expected, got " .. type(filter) .. ")", 2)
    end
    if type(where) ~= "string" and type(where) ~= "table" then
      error("bad argument #1 to 'scan' (folder or list expected, got " .. type(where) .. ")", 2)
    end
    if type(where) == "table" then checks.list(where, "argument #1 to 'scan'", 2) end
    check_options(filter, "scan", SCAN_FILTER, 2)
    for _, t in ipairs(SCAN_TYPES) do
      local name, want = t[1], t[2]
      local v = filter[name]
      if v ~= nil and type(v) ~= want then
        error(("bad option '%s' to 'scan' (%s expected, got %s)"):format(name, want, type(v)), 2)
      end
    end
    local threads = filter.threads
    if threads ~= nil and (math.type(threads) ~= "integer" or threads < 0) then
      error("bad option 'threads' to 'scan' (an integer, 0 or more, expected)", 2)
    end
    local items, err, code = core.scan_read(where, filter.recursive, threads)
    if not items then return nil, err, code end
    local found, skipped, nf, ns = {}, {}, 0, 0
    -- without a filter, each item is only sorted into one list or the other
    local filtering = filter.iid or filter.iid_prefix or filter.predicate
    for i = 1, #items do
      local it = items[i]
      local meta = it.meta
      local out = filtering and meta and filter_out(meta, it.path, filter)
      if out then
        ns = ns + 1
        skipped[ns] = {path = it.path, code = "filtered", reason = it.path .. ": " .. out}
      elseif meta then
        nf = nf + 1
        found[nf] = it
      else
        ns = ns + 1
        skipped[ns] = it
      end
    end
    return found, skipped
  end

  -- ---- plugins ---------------------------------------------------------

  local Plugin = {}
  Plugin.__index = Plugin
  Plugin.__name = "dynlib.plugin"

  -- Refusals decided from metadata alone, before anything is loaded. info
  -- is what the record says of itself: the ABI of the header it was built
  -- with, whatever its JSON claims.
  local function check_meta(meta, info, path, opts)
    if info.abi ~= core.abi then
      return ("%s: plugin built with the plugin header of dynlib ABI %d, this dynlib has ABI %d")
        :format(path, info.abi, core.abi)
    end
    if opts.iid and meta.iid ~= opts.iid then
      return ("%s: plugin interface %s, expected %s"):format(path, tostring(meta.iid), opts.iid)
    end
    if meta.abi ~= nil and meta.abi ~= core.abi then
      return ("%s: plugin built for dynlib ABI %s, this dynlib has ABI %d")
        :format(path, tostring(meta.abi), core.abi)
    end
    if meta.lua ~= nil and meta.lua ~= "5.4" then
      return ("%s: plugin built for Lua %s, this is Lua 5.4"):format(path, tostring(meta.lua))
    end
  end

  -- plugin's options: its own, and open's but version (a plugin is a file,
  -- never a search). open_opts(opts) is the part open takes.
  local OPEN_KEYS = {}
  for _, k in ipairs(core.open_options) do
    if k ~= "version" then OPEN_KEYS[#OPEN_KEYS + 1] = k end
  end
  local PLUGIN_OPTS = {"iid", "reloadable", table.unpack(OPEN_KEYS)}
  local function open_opts(opts)
    local o = {}
    for _, k in ipairs(OPEN_KEYS) do o[k] = opts[k] end
    return o
  end

  -- Opens path and runs the entry points: instance (once per loaded
  -- library, cached by the store) and dynlib_plugin_open (once per state).
  local function start(path, opts)
    local lib, err, code = core.open(path, open_opts(opts))
    if not lib then return nil, err, code end
    local instance
    if lib:sym("dynlib_plugin_instance") then
      instance, err, code = core.instance(lib)
      if err then
        lib:close()
        return nil, err, code
      end
    end
    local opened
    if lib:sym("dynlib_plugin_open") then
      -- A handle of its own is pinned for the state: the plugin's handle
      -- may be closed, the library stays.
      local pin = assert(core.open(lib.path))
      local r = table.pack(core.plugin_open(pin))
      if r[1] then
        opened = table.pack(table.unpack(r, 2, r.n))
      else
        pin:close()
        opened = true -- opened before in this state
      end
    end
    return lib, instance, opened
  end

  -- Private copies still in use, removed when the Lua state closes (its
  -- last collection runs this table's __gc) if not before: a plugin's
  -- close or reload removes its own. Copies a crashed process left beside
  -- a plugin are removed by the next copy of that plugin (core.private_copy).
  local live = setmetatable({}, {__gc = function(t)
    for copy in pairs(t) do core.remove_copy(copy) end
  end})
  M._live_copies = live -- anchored for the life of the module

  local function remove_copy(copy)
    if copy then
      core.remove_copy(copy)
      live[copy] = nil
    end
  end

  -- A private copy of path whose own metadata passes the checks: what is
  -- loaded is the copy, so what is checked is the copy too.
  local function checked_copy(path, opts)
    local target, err, code = core.private_copy(path)
    if not target then return nil, err, code end
    live[target] = true
    local meta, info
    meta, info, code = core.metadata(target)
    local refused = meta and check_meta(meta, info, target, opts)
    if not meta or refused then
      remove_copy(target)
      return nil, refused or info, code or "bad_metadata"
    end
    return target, meta
  end

  --- dynlib.plugin(path [, opts]) -> plugin | nil, msg, code
  -- opts: iid (expected interface), reloadable (load a private copy from
  -- the start, so that any tool may rewrite the file, and Windows, which
  -- locks a loaded DLL, lets it be replaced) and open()'s hints.
  function M.plugin(path, opts)
    if type(path) ~= "string" then
      error("bad argument #1 to 'plugin' (string expected, got " .. type(path) .. ")", 2)
    end
    opts = opts or {}
    if type(opts) ~= "table" then
      error("bad argument #2 to 'plugin' (table expected, got " .. type(opts) .. ")", 2)
    end
    check_options(opts, "plugin", PLUGIN_OPTS, 2)
    if opts.iid ~= nil and type(opts.iid) ~= "string" then
      error("bad option 'iid' to 'plugin' (string expected, got " .. type(opts.iid) .. ")", 2)
    end
    if opts.reloadable ~= nil and type(opts.reloadable) ~= "boolean" then
      error("bad option 'reloadable' to 'plugin' (boolean expected, got "
        .. type(opts.reloadable) .. ")", 2)
    end
    check_open_values(opts, "plugin", 2)
    -- A file, never a search: what is checked is what is loaded.
    if not path:find(core.os == "windows" and "[/\\]" or "/") then path = "./" .. path end
    local meta, info, code = core.metadata(path)
    if not meta then return nil, info, code end
    local refused = check_meta(meta, info, path, opts)
    if refused then return nil, refused, "bad_metadata" end
    local target = path
    if opts.reloadable then
      local copied, copy_meta, copy_code = checked_copy(path, opts)
      if not copied then return nil, copy_meta, copy_code end
      target, meta = copied, copy_meta
    end
    local lib, instance, opened = start(target, opts)
    if not lib then
      if target ~= path then remove_copy(target) end
      return nil, instance, opened
    end
    return setmetatable({path = path, meta = meta, lib = lib, instance = instance,
                         opened = opened, opts = opts, generation = 1,
                         copy = target ~= path and target or nil}, Plugin)
  end

  --- p:reload() -> true | nil, msg, code
  -- Loads the file again after it changed. The new file's metadata is
  -- checked first; then the new version is loaded from a private copy
  -- while the old one keeps running (glibc would hand back the old code
  -- for the same name, and a failure must not leave the game without a
  -- plugin): garbage, a missing entry point, bad metadata or another
  -- machine give nil, msg, code and the old version keeps working. Only
  -- once the new one is loaded is the old handle closed: functions made
  -- from it then raise "closed"; make them again from the plugin.
  function Plugin:reload()
    local meta, info, code = core.metadata(self.path)
    if not meta then return nil, info, code end
    local refused = check_meta(meta, info, self.path, self.opts)
    if refused then return nil, refused, "bad_metadata" end
    local target
    target, meta, code = checked_copy(self.path, self.opts)
    if not target then return nil, meta, code end
    local lib, instance, opened = start(target, self.opts)
    if not lib then
      remove_copy(target)
      return nil, instance, opened
    end
    self.lib:close()
    remove_copy(self.copy)
    self.meta, self.lib, self.instance, self.opened = meta, lib, instance, opened
    self.generation = self.generation + 1
    self.copy = target
    return true
  end

  --- p:close(): closes the plugin's handle (and removes its private copy).
  function Plugin:close()
    self.lib:close()
    remove_copy(self.copy)
    self.copy = nil
  end

  function Plugin:func(...)
    return self.lib:func(...)
  end

  function Plugin:__tostring()
    return ("dynlib.plugin (%s, %s)"):format(tostring(self.meta.name), self.path)
  end

  M.Plugin = Plugin
end

return install
