-- The reference documentation cannot drift: docs/lua-api.md is checked
-- against the module itself (every key of the dynlib table, the methods and
-- fields of a library handle, a plugin, a buffer and a callback, every error
-- code of the C core, every option each call accepts, the fields of its
-- results), docs/c-api.md against src/dynlib.h and src/dynlib_plugin.h, and
-- the plugin built with the guide's own gcc and clang commands is read back.
local H = require("helper")
if H.posix_only("reference_spec.lua", H.POSIX_TOOLS) then return end
local dynlib = require("dynlib")

local ROOT = H.sh("pwd"):gsub("%s+$", "")

-- The lines of a Markdown file that document something: headings and table rows.
local function entries(text)
  local out = {}
  for line in (text .. "\n"):gmatch("(.-)\n") do
    if line:match("^#") or line:match("^|") then out[#out + 1] = line end
  end
  return table.concat(out, "\n")
end

-- The part of the file under the first heading holding `mark`, to the next
-- heading of the same or a higher level.
local function section(text, mark)
  local lines, start, level = {}, nil, nil
  for line in (text .. "\n"):gmatch("(.-)\n") do
    local hashes = line:match("^(#+) ")
    if start then
      if hashes and #hashes <= level then break end
      lines[#lines + 1] = line
    elseif hashes and line:find(mark, 1, true) then
      start, level = true, #hashes
      lines[1] = line
    end
  end
  return start and table.concat(lines, "\n") or nil
end

-- The forms of `names` that text lacks: form(name) is what must appear.
local function missing(text, names, form)
  local out = {}
  for _, n in ipairs(names) do
    if not text:find(form(n), 1, true) then out[#out + 1] = form(n) end
  end
  table.sort(out)
  return out
end

local function sorted_keys(t)
  local out = {}
  for k in pairs(t) do
    if type(k) == "string" and not k:match("^__") then out[#out + 1] = k end
  end
  table.sort(out)
  return out
end

-- The keys an __index written in C answers besides its methods table:
-- strcmp(key, "...") in the named function of src/binding/FILE.
local function c_index_keys(file, fn)
  local src = assert(H.read("src/binding/" .. file))
  local body = assert(src:match("\nstatic int " .. fn .. "%(.-\n}\n"), fn .. " not found in " .. file)
  local out = {}
  for k in body:gmatch('strcmp%(key, "([%w_]+)"%)') do out[#out + 1] = k end
  assert(#out > 0, "no keys found in " .. fn)
  return out
end

-- "`obj:name(" for a method of the live object ("`obj.name(" for a module
-- function: sep "."), "`obj.name`" for a field.
local function member_form(obj, var, sep)
  return function(k)
    return type(obj[k]) == "function" and ("`%s%s%s("):format(var, sep or ":", k)
      or ("`%s.%s`"):format(var, k)
  end
end

-- The option names a call accepts, from its own error for a bogus one.
local function valid_options(call)
  local ok, err = pcall(call, {bogus_option_for_the_spec = 1})
  assert(not ok, "a bogus option was accepted")
  local list = assert(tostring(err):match("%(valid: (.-)%)"), "no valid list in: " .. tostring(err))
  local out = {}
  for name in list:gmatch("[%w_]+") do out[#out + 1] = name end
  return out
end

local API = assert(H.read("docs/lua-api.md"), "docs/lua-api.md is missing")
local ENTRIES = entries(API)

describe("docs/lua-api.md", function()
  it("documents every key of the dynlib table, as `dynlib.name(` or `dynlib.name`", function()
    local keys = sorted_keys(dynlib)
    assert.is_true(#keys >= 30)
    keys[#keys + 1] = "path" -- answered by the module's metatable
    assert.same({}, missing(ENTRIES, keys, member_form(dynlib, "dynlib", ".")))
  end)

  it("documents a library handle's methods and fields (`lib:`)", function()
    local lib <close> = assert(dynlib.open(H.fixture("calls/libcalls.so")))
    local methods = debug.getmetatable(lib).__methods
    local keys = sorted_keys(methods)
    for _, k in ipairs(c_index_keys("library.c", "lib_index")) do keys[#keys + 1] = k end
    assert.is_true(#keys >= 6)
    assert.same({}, missing(ENTRIES, keys, member_form(lib, "lib")))
  end)

  it("documents a buffer's methods and fields (`buf:`)", function()
    local buf = dynlib.buffer(8)
    local _, methods = debug.getupvalue(debug.getmetatable(buf).__index, 1)
    local keys = sorted_keys(methods)
    for _, k in ipairs(c_index_keys("buffer.c", "buf_index")) do keys[#keys + 1] = k end
    assert.is_true(#keys >= 6)
    assert.same({}, missing(ENTRIES, keys, member_form(buf, "buf")))
  end)

  it("documents a callback's methods and fields (`cb:`)", function()
    local cb = dynlib.callback("int f(int)", function(x) return x end)
    local keys = c_index_keys("callback.c", "cb_index")
    assert.is_true(#keys >= 4)
    assert.same({}, missing(ENTRIES, keys, member_form(cb, "cb")))
    cb:free()
  end)

  it("documents a plugin's methods and fields (`p:`)", function()
    local keys = sorted_keys(dynlib.Plugin)
    local src = assert(H.read("lua/dynlib/plugin.lua"))
    local ctor = assert(src:match("setmetatable%((%b{}), Plugin%)"), "the plugin constructor")
    for k in ctor:gmatch("([%a_][%w_]*) =") do keys[#keys + 1] = k end
    assert.is_true(#keys >= 10)
    local p = assert(dynlib.plugin(H.fixture("plugin/libmarker.so")))
    assert.same({}, missing(ENTRIES, keys, member_form(p, "p")))
    p:close()
  end)

  it("documents every error code of the C core, each in a table row", function()
    local codes, n = {}, 0
    repeat
      codes[#codes + 1] = dynlib.code_name(n)
      n = n + 1
    until codes[#codes] == "invalid" or n > 100
    assert.equal("invalid", codes[#codes])
    assert.is_true(#codes >= 12)
    local errors = assert(section(API, "## Errors"))
    assert.same({}, missing(entries(errors), codes, function(c) return ("| `%s` |"):format(c) end))
  end)

  local CALLS = {
    {"`dynlib.open(", function(o) return dynlib.open("z", o) end},
    {"`dynlib.resolve(", function(o) return dynlib.resolve("z", "crc32", o) end},
    {"`dynlib.check(", function(o) return dynlib.check("z", o) end},
    {"`dynlib.find(", function(o) return dynlib.find("z", o) end},
    {"`dynlib.candidates(", function(o) return dynlib.candidates("z", o) end},
    {"`dynlib.scan(", function(o) return dynlib.scan(H.fixture("plugin"), o) end},
    {"`dynlib.plugin(", function(o) return dynlib.plugin(H.fixture("plugin/libmarker.so"), o) end},
    {"`lib:func(", function(o)
      local lib = assert(dynlib.open(H.fixture("calls/libcalls.so")))
      return lib:func("int add(int, int)", o)
    end},
  }
  for _, c in ipairs(CALLS) do
    local mark, call = c[1], c[2]
    it("documents every option " .. mark .. ") accepts, in its own section's tables", function()
      local names = valid_options(call)
      assert.is_true(#names >= 1)
      local text = assert(section(API, mark), "no heading with " .. mark)
      assert.same({}, missing(entries(text), names, function(k) return ("| `%s` |"):format(k) end))
    end)
  end

  it("documents the fields of the results of loaded, signature, inspect, metadata and scan", function()
    local lib <close> = assert(dynlib.open(H.fixture("calls/libcalls.so")))
    assert.is_true(lib:is_open()) -- so that the store has an entry
    local results = {
      ["`dynlib.loaded("] = {dynlib.loaded()[1]},
      ["`dynlib.signature("] = {dynlib.signature("int f(int a, ...)"),
                                dynlib.signature("int f(int a)").args[1]},
      ["`dynlib.metadata("] = {select(2, dynlib.metadata(H.fixture("plugin/libmarker.so")))},
    }
    local elf = assert(dynlib.inspect(dynlib.find("c")))
    local inspected = {elf, elf.sections[2], elf.exports[1]}
    for _, e in ipairs(elf.exports) do
      if e.version then inspected[#inspected + 1] = e break end
    end
    local pe = dynlib.inspect(H.fixture("pe/forward.dll"))
    if pe then
      inspected[#inspected + 1] = pe
      inspected[#inspected + 1] = pe.sections[1]
      for _, e in ipairs(pe.exports) do inspected[#inspected + 1] = e end
    end
    results["`dynlib.inspect("] = inspected
    local found, skipped = dynlib.scan(H.fixture("plugin"))
    results["`dynlib.scan("] = {found[1], skipped[1]}
    for mark, tables in pairs(results) do
      local text = entries(assert(section(API, mark), "no heading with " .. mark))
      for _, t in ipairs(tables) do
        assert.same({}, missing(text, sorted_keys(t), function(k) return ("| `%s` |"):format(k) end))
      end
    end
  end)

  it("would fail for an undocumented function, option or code (the checks themselves)", function()
    local doc = "# x\n### `dynlib.open(name)`\n| `version` | v |\n## Errors\n| `io` | read |\n"
    assert.same({"`dynlib.close("}, missing(entries(doc), {"open", "close"},
      function(k) return "`dynlib." .. k .. "(" end))
    assert.same({"| `lazy` |"}, missing(entries(section(doc, "`dynlib.open(")), {"version", "lazy"},
      function(k) return ("| `%s` |"):format(k) end))
    -- prose is not an entry: only headings and table rows count
    assert.equal("", entries("`dynlib.close(` in a sentence\n"))
    assert.is_nil(section(doc, "`dynlib.nothing("))
    assert.same({"version", "lazy", "global", "nodelete", "deepbind", "trusted"},
      valid_options(function(o) return dynlib.open("z", o) end))
  end)
end)

-- ---- docs/c-api.md ------------------------------------------------------

local CAPI = H.read("docs/c-api.md")

-- What a C header declares for its users: DYNLIB_API functions, typedef'd
-- names, and DYNLIB_* macros and constants (not the include guard, nor the
-- header's private helpers ending in '_').
local function header_names(path)
  local src = assert(H.read(path)):gsub("/%*.-%*/", " ")   -- comments out
  local code = src:gsub("\\\n", " "):gsub("\n%s*#[^\n]*", "\n") -- and the preprocessor
  local funcs, types, consts, seen = {}, {}, {}, {}
  local function add(list, n)
    if not seen[n] then seen[n] = true; list[#list + 1] = n end
  end
  for decl in code:gmatch("DYNLIB_API%s+([^;{]-%()") do
    add(funcs, assert(decl:match("([%w_]+)%s*%($"), decl))
  end
  for n in code:gmatch("DYNLIB_EXPORT%s+[^;{]-([%w_]+)%s*%(") do add(funcs, n) end
  for n in code:gmatch("typedef[^;{]-([%w_]+)%s*;") do add(types, n) end
  for n in code:gmatch("typedef[^;]-%(%*%s*([%w_]+)%s*%)") do add(types, n) end
  for n in code:gmatch("}%s*([%w_]+)%s*;") do add(types, n) end
  for n in src:gmatch("DYNLIB_[%w_]+") do
    if not n:match("_$") and not n:match("_H$") then add(consts, n) end
  end
  return funcs, types, consts
end

describe("docs/c-api.md", function()
  local function check_header(path)
    assert.is_not_nil(CAPI, "docs/c-api.md is missing")
    local funcs, types, consts = header_names(path)
    assert.is_true(#funcs >= 2)
    local text = entries(CAPI)
    assert.same({}, missing(text, funcs, function(n) return "`" .. n .. "(" end))
    assert.same({}, missing(CAPI, types, function(n) return "`" .. n .. "`" end))
    local absent = {}
    for _, n in ipairs(consts) do
      if not CAPI:find("`" .. n .. "[`(]") then absent[#absent + 1] = n end
    end
    assert.same({}, absent)
    return funcs
  end

  it("documents every DYNLIB_API function of src/dynlib.h as a heading or table entry,"
     .. " and its types and constants", function()
    local funcs = check_header("src/dynlib.h")
    assert.is_true(#funcs >= 30)
    for _, f in ipairs({"dynlib_open", "dynlib_scan_free", "dynlib_code_name"}) do
      local found = false
      for _, g in ipairs(funcs) do found = found or g == f end
      assert.is_true(found, f .. " not parsed from the header")
    end
  end)

  it("documents src/dynlib_plugin.h: DYNLIB_PLUGIN, DYNLIB_EXPORT, the entry points", function()
    local funcs = check_header("src/dynlib_plugin.h")
    assert.same({"dynlib_plugin_instance", "dynlib_plugin_open"}, funcs)
    for _, k in ipairs({"iid", "name", "version", "abi", "lua"}) do
      assert.matches("| `" .. k .. "` |", CAPI, 1, true)
    end
  end)

  -- The guide's example plugin (the ```c block after "<!-- file: NAME -->")
  -- built with the guide's own command line for a compiler.
  local function build_with(compiler)
    local dir = H.tmpdir()
    local name, code = CAPI:match("<!%-%- file: ([%w_.]+) %-%->%s*```c\n(.-)```")
    assert(name, "no example plugin in docs/c-api.md")
    H.write(dir .. "/" .. name, code)
    local cmd = CAPI:match("\n(" .. compiler .. " [^\n]*" .. name .. ")\n")
    assert(cmd, "no " .. compiler .. " command for " .. name)
    local out, ok = H.sh(("cd %s && C_INCLUDE_PATH=%s %s 2>&1"):format(
      H.quote(dir), H.quote(ROOT .. "/src"), cmd))
    assert(ok, cmd .. ": " .. out)
    local so = cmd:match("%-o ([%w_.]+)")
    return dir, dir .. "/" .. so
  end

  local native = not H.cross and dynlib.arch == "x86_64"
  H.it_if(native, "built with the host's compilers")(
    "its plugin example builds with the documented gcc command and loads as a plugin", function()
      local dir, so = build_with("gcc")
      local meta = assert(dynlib.metadata(so))
      assert.equal("greeter", meta.name)
      local p = assert(dynlib.plugin(so, {iid = "example.Greeter/1"}))
      local greet = p:func("const char *greeter_greet(void *instance)")
      assert.equal("hello from greeter", greet(p.instance))
      p:close()
      H.rmdir(dir)
    end)

  H.it_if(native and H.sh("command -v clang") ~= "", "needs clang")(
    "its plugin example builds with the documented clang command, metadata readable", function()
      local dir, so = build_with("clang")
      assert.equal("greeter", assert(dynlib.metadata(so)).name)
      H.rmdir(dir)
    end)

  H.it_if(native and H.sh("command -v x86_64-w64-mingw32-gcc") ~= "", "needs mingw-w64")(
    "its plugin example builds with the documented mingw-w64 command, a PE with metadata", function()
      local dir, dll = build_with("x86_64%-w64%-mingw32%-gcc")
      local info = assert(dynlib.inspect(dll))
      assert.equal("pe", info.format)
      local meta, rec = assert(dynlib.metadata(dll))
      assert.equal("greeter", meta.name)
      assert.equal("section", rec.source)
      H.rmdir(dir)
    end)
end)
