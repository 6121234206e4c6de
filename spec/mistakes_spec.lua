-- Silent mistakes raise: an unknown key in any options table (open, resolve,
-- find, candidates, plugin, scan's filter, lib:func) names itself and the
-- valid ones; a wrong value type raises too; list arguments hold only a
-- list. And the README states the variadic rule (integers go as C integers,
-- so %f wants 3.0) next to its variadic example.
local H = require("helper")
if H.posix_only("mistakes_spec.lua", H.POSIX_TOOLS) then return end
local dynlib = require("dynlib")

local PFIX = H.fixture("plugin")
local BASIC = H.fixture("store/libbasic.so")
local MARKER = PFIX .. "/libmarker.so"

local OPEN = "version, lazy, global, nodelete, deepbind, trusted"
local PLUGIN = "iid, reloadable, lazy, global, nodelete, deepbind, trusted"
local SCAN = "iid, iid_prefix, predicate, recursive, threads"

-- fn raises exactly msg (luassert drops the "file:line: " position).
local function raises(msg, fn)
  assert.has_error(fn, msg)
end

describe("an unknown option raises, naming it and the valid ones", function()
  it("in open", function()
    raises("bad option 'verison' to 'open' (valid: " .. OPEN .. ")",
      function() dynlib.open("z", {verison = 1}) end)
    raises("bad option 'Lazy' to 'open' (valid: " .. OPEN .. ")",
      function() dynlib.open(BASIC, {Lazy = true}) end)
    -- a key that is no string is named too
    raises("bad option [1] to 'open' (valid: " .. OPEN .. ")",
      function() dynlib.open(BASIC, {"lazy"}) end)
    raises("bad option [true] to 'open' (valid: " .. OPEN .. ")",
      function() dynlib.open(BASIC, {[true] = 1}) end)
    -- nothing was loaded by the refused calls: the valid ones still work
    local lib = assert(dynlib.open(BASIC, {lazy = true, global = false}))
    lib:close()
  end)

  it("in resolve, which forwards open's options", function()
    raises("bad option 'verison' to 'resolve' (valid: " .. OPEN .. ")",
      function() dynlib.resolve("m", "cos", {verison = 6}) end)
    raises("bad option 'lazy' to 'resolve' (boolean expected, got string)",
      function() dynlib.resolve("m", "cos", {lazy = "yes"}) end)
    raises("bad argument #3 to 'resolve' (table expected, got string)",
      function() dynlib.resolve("m", "cos", "lazy") end)
    assert.is_true(H.is_pointer(dynlib.resolve("m", "cos", {lazy = false})))
  end)

  it("in find and candidates, which take version only", function()
    raises("bad option 'verison' to 'find' (valid: version)",
      function() dynlib.find("z", {verison = 1}) end)
    raises("bad option 'lazy' to 'find' (valid: version)",
      function() dynlib.find("z", {lazy = true}) end)
    raises("bad option 'verison' to 'candidates' (valid: version)",
      function() dynlib.candidates("z", {verison = 1}) end)
    raises("bad option 'version' to 'candidates' (digits and dots expected, got 'x')",
      function() dynlib.candidates("z", {version = "x"}) end)
    assert.same({"libz.so.1", "libz", "z.so.1", "z"}, dynlib.candidates("z", {version = 1}))
  end)

  it("in check, which takes version and trusted", function()
    raises("bad option 'verison' to 'check' (valid: version, trusted)",
      function() dynlib.check("z", {verison = 1}) end)
    raises("bad option 'lazy' to 'check' (valid: version, trusted)",
      function() dynlib.check(BASIC, {lazy = true}) end)
    assert.is_string(dynlib.check(BASIC, {version = nil}))
  end)

  it("in lib:func, whose options are errno, ffi and last_error, all booleans", function()
    local lib <close> = assert(dynlib.open(BASIC))
    raises("bad option 'fii' to 'func' (valid: errno, ffi, last_error)",
      function() lib:func("int basic_answer(void)", {fii = true}) end)
    raises("bad option 'lasterror' to 'func' (valid: errno, ffi, last_error)",
      function() lib:func("basic_answer", "int(void)", {lasterror = true}) end)
    raises("bad option 'ffi' to 'func' (boolean expected, got number)",
      function() lib:func("int basic_answer(void)", {ffi = 1}) end)
    raises("bad option 'last_error' to 'func' (boolean expected, got string)",
      function() lib:func("int basic_answer(void)", {last_error = "no"}) end)
    local f = lib:func("int basic_answer(void)", {ffi = true, last_error = false})
    assert.equal("ffi", dynlib.call_path(f))
    assert.equal(f(), lib:func("int basic_answer(void)")())
  end)

  it("in scan's filter, with the type of each option checked", function()
    raises("bad option 'iid_prefx' to 'scan' (valid: " .. SCAN .. ")",
      function() dynlib.scan(PFIX, {iid_prefx = "test."}) end)
    raises("bad option 'recurse' to 'scan' (valid: " .. SCAN .. ")",
      function() dynlib.scan(PFIX, {recurse = true}) end)
    raises("bad option 'iid' to 'scan' (string expected, got number)",
      function() dynlib.scan(PFIX, {iid = 1}) end)
    raises("bad option 'iid_prefix' to 'scan' (string expected, got table)",
      function() dynlib.scan(PFIX, {iid_prefix = {}}) end)
    raises("bad option 'predicate' to 'scan' (function expected, got boolean)",
      function() dynlib.scan(PFIX, {predicate = true}) end)
    raises("bad option 'recursive' to 'scan' (boolean expected, got string)",
      function() dynlib.scan(PFIX, {recursive = "yes"}) end)
    raises("bad option 'threads' to 'scan' (an integer, 0 or more, expected)",
      function() dynlib.scan(PFIX, {threads = "2"}) end)
    local found = dynlib.scan(PFIX, {iid = "test.Marker/1", iid_prefix = "test.",
                                     predicate = function() return true end,
                                     recursive = false, threads = 1})
    assert.is_true(#found >= 1)
    for _, f in ipairs(found) do assert.equal("test.Marker/1", f.meta.iid) end
  end)

  it("in plugin, which takes iid, reloadable and open's options but version", function()
    raises("bad option 'idd' to 'plugin' (valid: " .. PLUGIN .. ")",
      function() dynlib.plugin(MARKER, {idd = "test.Marker/1"}) end)
    -- a plugin is a file, never a search: open's version means nothing here
    raises("bad option 'version' to 'plugin' (valid: " .. PLUGIN .. ")",
      function() dynlib.plugin(MARKER, {version = 1}) end)
    raises("bad option 'iid' to 'plugin' (string expected, got number)",
      function() dynlib.plugin(MARKER, {iid = 1}) end)
    raises("bad option 'reloadable' to 'plugin' (boolean expected, got string)",
      function() dynlib.plugin(MARKER, {reloadable = "yes"}) end)
    -- open's values are checked before anything is copied or loaded, and
    -- the message names plugin
    raises("bad option 'lazy' to 'plugin' (boolean expected, got number)",
      function() dynlib.plugin(MARKER, {reloadable = true, lazy = 1}) end)
    raises("bad option 'trusted' to 'plugin' (table of directories expected, got string)",
      function() dynlib.plugin(MARKER, {trusted = "/usr/lib"}) end)
    raises("bad argument #2 to 'plugin' (table expected, got string)",
      function() dynlib.plugin(MARKER, "reloadable") end)
  end)

  it("in plugin, every option of the union is accepted and open gets its own", function()
    local path, dir = H.private_copy("plugin/libmarker.so")
    -- iid and reloadable are plugin's; lazy and global go on to open
    local p = assert(dynlib.plugin(path, {iid = "test.Marker/1", reloadable = true,
                                          lazy = true, global = true}))
    local entry
    for _, e in ipairs(dynlib.loaded()) do
      if e.path == p.lib.path then entry = e end
    end
    assert.is_true(entry.lazy)
    assert.is_true(entry.global)
    assert.is_true(p:reload())
    p:close()
    -- trusted is open's too: a refusal is an answer, not a raise
    local q, _, code = dynlib.plugin(path, {trusted = {"/nonexistent"}})
    assert.is_nil(q)
    assert.equal("untrusted", code)
    H.rmdir(dir)
  end)
end)

describe("a list argument holds a list", function()
  it("open's trusted folders", function()
    raises("bad key 'x' in option 'trusted' to 'open' (a list expected: keys 1 to 1)",
      function() dynlib.open(BASIC, {trusted = {"/usr", x = "/tmp"}}) end)
    -- numbers are no folder names (nor kept alive as converted strings)
    raises("bad option 'trusted' to 'open' (entry 1 is not a directory name)",
      function() dynlib.open(BASIC, {trusted = {42}}) end)
  end)

  it("scan's list of paths", function()
    raises("bad key 'path' in argument #1 to 'scan' (a list expected: keys 1 to 1)",
      function() dynlib.scan({MARKER, path = MARKER}) end)
  end)

  it("dynlib.path", function()
    local saved = dynlib.path
    raises("bad key 'dir' in dynlib.path (a list expected: keys 1 to 1)",
      function() dynlib.path = {"/usr/lib", dir = "/tmp"} end)
    assert.same(saved, dynlib.path)
  end)
end)

describe("variadic arguments", function()
  it("go as C integers for Lua integers and as double for floats", function()
    local c <close> = assert(dynlib.open("c"))
    local snprintf = c:func("int snprintf(char *buf, size_t n, const char *fmt, ...)")
    local out = dynlib.buffer(32)
    assert.equal(8, snprintf(out, #out, "%f", 3.0))
    assert.equal("3.000000", out:read(0, 8))
    snprintf(out, #out, "%f", 3 + 0.0)
    assert.equal("3.000000", out:read(0, 8))
    assert.equal(1, snprintf(out, #out, "%ld", 3))
    assert.equal("3", out:read(0, 1))
  end)

  it("are explained next to the README's variadic example", function()
    local readme = assert(H.read("README.md"))
    local at = assert(readme:find('snprintf(out, #out, "%d-%s", 1234, "abcd")', 1, true),
      "the README's snprintf example is gone")
    local after = readme:sub(at, at + 900)
    -- the rule, right after the example's block
    assert.truthy(after:find("floats as `double`", 1, true), after)
    assert.truthy(after:find("`3.0`", 1, true), after)
    assert.truthy(after:find("`%f`", 1, true), after)
  end)
end)
