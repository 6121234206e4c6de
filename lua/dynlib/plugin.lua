-- Plugins: scan a folder by metadata without loading anything, then load
-- the chosen ones, get their instance, and hot-reload them.
-- Installed into the dynlib table by init.lua: install(M, core).
local function install(M, core)
  -- ---- scan ------------------------------------------------------------

  local function list_files(dir, recursive, out)
    local entries, err, code = core.listdir(dir)
    if not entries then return nil, err, code end
    for _, e in ipairs(entries) do
      if e.kind == "directory" then
        if recursive then list_files(e.path, true, out) end
      else
        out[#out + 1] = e
      end
    end
    return out
  end

  local function kind_reason(kind)
    return ({fifo = "a FIFO", socket = "a socket", device = "a device",
             ["broken-link"] = "a broken symbolic link", missing = "no such file",
             directory = "a directory", other = "not a regular file"})[kind]
  end

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

  --- dynlib.scan(dir_or_list [, filter]) -> found, skipped
  -- found: {path =, meta =} sorted by path; skipped: {path =, code =,
  -- reason =}. Nothing is loaded; non-ELF files are skipped after their
  -- first bytes. filter: iid, iid_prefix, predicate(meta, path), recursive.
  function M.scan(where, filter)
    filter = filter or {}
    if type(filter) ~= "table" then
      error("bad argument #2 to 'scan' (table expected, got " .. type(filter) .. ")", 2)
    end
    local files
    if type(where) == "string" then
      local err, code
      files, err, code = list_files(where, filter.recursive, {})
      if not files then return nil, err, code end
    elseif type(where) == "table" then
      files = {}
      for i, p in ipairs(where) do
        if type(p) ~= "string" then
          error(("bad argument #1 to 'scan' (entry %d is not a string)"):format(i), 2)
        end
        files[i] = {path = p}
      end
    else
      error("bad argument #1 to 'scan' (folder or list expected, got " .. type(where) .. ")", 2)
    end
    local found, skipped = {}, {}
    for _, f in ipairs(files) do
      local why = f.kind and f.kind ~= "file" and kind_reason(f.kind)
      if why then
        skipped[#skipped + 1] = {path = f.path, code = f.kind == "broken-link" and "not_found"
                                 or "not_a_library", reason = f.path .. ": " .. why}
      else
        local meta, err, code = core.metadata(f.path)
        if not meta then
          skipped[#skipped + 1] = {path = f.path, code = code, reason = err}
        else
          local out = filter_out(meta, f.path, filter)
          if out then
            skipped[#skipped + 1] = {path = f.path, code = "filtered", reason = f.path .. ": " .. out}
          else
            found[#found + 1] = {path = f.path, meta = meta}
          end
        end
      end
    end
    table.sort(found, function(a, b) return a.path < b.path end)
    table.sort(skipped, function(a, b) return a.path < b.path end)
    return found, skipped
  end

  -- ---- plugins ---------------------------------------------------------

  local Plugin = {}
  Plugin.__index = Plugin
  Plugin.__name = "dynlib.plugin"

  -- Refusals decided from metadata alone, before anything is loaded.
  local function check_meta(meta, path, opts)
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

  -- Opens path and runs the entry points: instance (once per loaded
  -- library, cached by the store) and dynlib_plugin_open (once per state).
  local function start(path, opts)
    local lib, err, code = core.open(path, opts)
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

  --- dynlib.plugin(path [, opts]) -> plugin | nil, msg, code
  -- opts: iid (expected interface) and open()'s hints.
  function M.plugin(path, opts)
    if type(path) ~= "string" then
      error("bad argument #1 to 'plugin' (string expected, got " .. type(path) .. ")", 2)
    end
    opts = opts or {}
    local meta, err, code = core.metadata(path)
    if not meta then return nil, err, code end
    local refused = check_meta(meta, path, opts)
    if refused then return nil, refused, "bad_metadata" end
    local lib, instance, opened = start(path, opts)
    if not lib then return nil, instance, opened end
    return setmetatable({path = path, meta = meta, lib = lib, instance = instance,
                         opened = opened, opts = opts, generation = 1}, Plugin)
  end

  local copies = 0

  -- A private copy of path, for a reload while the old code stays mapped
  -- (glibc would hand back the old library for the same file name).
  local function private_copy(path)
    local src = assert(io.open(path, "rb"))
    local data = src:read("a")
    src:close()
    copies = copies + 1
    local tmp = os.tmpname()
    os.remove(tmp)
    local copy = ("%s-%d-%s"):format(tmp, copies, path:match("[^/]+$"))
    local dst = assert(io.open(copy, "wb"))
    dst:write(data)
    dst:close()
    return copy
  end

  --- p:reload() -> true | nil, msg, code
  -- Reloads after the file changed: metadata again, then a real unload and
  -- load; when the old library cannot be unloaded (another handle, a
  -- Lua-facing plugin pinned for the state, nodelete), a private copy.
  function Plugin:reload()
    local meta, err, code = core.metadata(self.path)
    if not meta then return nil, err, code end
    local refused = check_meta(meta, self.path, self.opts)
    if refused then return nil, refused, "bad_metadata" end
    local real = self.lib.path
    self.lib:close()
    local target = self.path
    if core.is_loaded(real) then target = private_copy(self.path) end
    local lib, instance, opened = start(target, self.opts)
    if not lib then return nil, instance, opened end
    self.meta, self.lib, self.instance, self.opened = meta, lib, instance, opened
    self.generation = self.generation + 1
    self.copy = target ~= self.path and target or nil
    return true
  end

  function Plugin:close()
    self.lib:close()
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
