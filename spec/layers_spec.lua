-- The architecture as a test: src/ is arranged by layer (binding, core,
-- formats and calls, base, os), only src/os/ includes OS headers, includes
-- point down, and no file calls a file above it or back into itself
-- through others (read from the build's object files with nm).
local H = require("helper")
if H.posix_only("layers_spec.lua", H.POSIX_TOOLS) then return end

-- Higher calls lower. formats and calls are siblings: neither uses the other.
local LAYER = {binding = 5, core = 4, formats = 3, calls = 3, ctype = 2, base = 1, os = 0}

-- Standard C, Lua and libffi: fine anywhere they belong.
local ALLOWED = {}
for h in ([[assert.h ctype.h errno.h float.h inttypes.h limits.h locale.h math.h
  setjmp.h stdalign.h stdarg.h stdatomic.h stdbool.h stddef.h stdint.h stdio.h
  stdlib.h string.h time.h lua.h lauxlib.h lualib.h ffi.h]]):gmatch("%S+") do
  ALLOWED[h] = true
end

local function sources()
  local out = H.sh("find src -name '*.[ch]' | sort")
  local files = {}
  for f in out:gmatch("[^\n]+") do files[#files + 1] = f end
  return files
end

local function folder(path)
  return path:match("^src/([^/]+)/") -- nil for the installed headers
end

local function includes(path)
  local list = {}
  for line in io.lines(path) do
    local sys = line:match('^%s*#%s*include%s*<([^>]+)>')
    local own = line:match('^%s*#%s*include%s*"([^"]+)"')
    if sys or own then list[#list + 1] = {sys = sys, own = own} end
  end
  return list
end

describe("src/ layers", function()
  it("has its sources in the layer folders", function()
    local files = sources()
    assert.is_true(#files > 30)
    for _, f in ipairs(files) do
      local dir = folder(f)
      if dir then
        assert.is_not_nil(LAYER[dir], f .. " is in no known layer")
      else
        assert.is_truthy(f == "src/dynlib.h" or f == "src/dynlib_plugin.h", f)
      end
    end
  end)

  it("includes OS headers only in src/os/", function()
    local offenders = {}
    for _, f in ipairs(sources()) do
      if folder(f) ~= "os" then
        for _, inc in ipairs(includes(f)) do
          if inc.sys and not ALLOWED[inc.sys] then
            offenders[#offenders + 1] = f .. ": <" .. inc.sys .. ">"
          end
        end
      end
    end
    assert.same({}, offenders)
  end)

  it("includes only its own layer or those below it", function()
    local offenders = {}
    for _, f in ipairs(sources()) do
      local from = folder(f)
      for _, inc in ipairs(includes(f)) do
        local to = inc.own and inc.own:match("^([^/]+)/")
        if from and to and to ~= from and LAYER[to] >= LAYER[from] then
          offenders[#offenders + 1] = f .. " includes " .. inc.own
        end
      end
    end
    assert.same({}, offenders)
  end)

  it("has no call from a file to one above it, and no call cycle", function()
    local nm = os.getenv("DYNLIB_NM") or "nm"
    local defs, undefs, names = {}, {}, {}
    -- The objects of today's sources (a build folder can hold stale ones;
    -- another OS's file is not built here).
    for _, src in ipairs(sources()) do
      local name = src:match("^src/([^/]+/[^/]+)%.c$")
      local o = name and H.build .. "/obj/" .. name .. ".o"
      local out, ok = "", false
      if o and H.read(o) then out, ok = H.sh(nm .. " " .. H.quote(o)) end
      if ok then
        undefs[name] = {}
        names[#names + 1] = name
        for kind, sym in out:gmatch("%s(%u)%s+([%w_]+)\n") do
          if kind == "U" then undefs[name][#undefs[name] + 1] = sym
          elseif kind:match("[TDBR]") then defs[sym] = name end
        end
      end
    end
    assert.is_true(#names > 20, "no object files under " .. H.build .. "/obj")
    local edges, offenders = {}, {}
    for _, from in ipairs(names) do
      edges[from] = {}
      for _, sym in ipairs(undefs[from]) do
        local to = defs[sym]
        if to and to ~= from then
          edges[from][to] = true
          local a, b = from:match("^[^/]+"), to:match("^[^/]+")
          if a ~= b and LAYER[b] >= LAYER[a] then
            offenders[#offenders + 1] = from .. " calls " .. to .. " (" .. sym .. ")"
          end
        end
      end
    end
    assert.same({}, offenders)
    -- A cycle inside one layer is a circle too.
    local state, cycle = {}, nil
    local function visit(v, path)
      state[v] = 1
      path[#path + 1] = v
      for w in pairs(edges[v]) do
        if state[w] == 1 and not cycle then cycle = table.concat(path, " -> ") .. " -> " .. w end
        if not state[w] then visit(w, path) end
      end
      path[#path] = nil
      state[v] = 2
    end
    for _, v in ipairs(names) do
      if not state[v] then visit(v, {}) end
    end
    assert.is_nil(cycle)
  end)
end)
