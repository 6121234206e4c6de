-- dynlib.scan and dynlib.plugin: folders scanned by metadata, plugins
-- chosen, loaded, their instance made once, hot reload.
local dynlib = require("dynlib")
local H = require("helper")

local PFIX = H.fixture("plugin")

local function names(list)
  local t = {}
  for i, e in ipairs(list) do t[i] = e.path:match("[^/]+$") end
  return t
end

local function by_name(list)
  local t = {}
  for _, e in ipairs(list) do t[e.path:match("[^/]+$")] = e end
  return t
end

describe("dynlib.scan", function()
  local dir
  setup(function()
    dir = H.tmpdir()
    H.copy(PFIX .. "/libmarker.so", dir .. "/libmarker.so")
    H.copy(PFIX .. "/libcounter.so", dir .. "/libcounter.so")
    H.copy(H.fixture("store/libbasic.so"), dir .. "/libplain.so")
    H.write(dir .. "/readme.txt", "not a plugin\n")
    H.sh("mkdir " .. H.quote(dir .. "/sub"))
    H.copy(PFIX .. "/libreload-v1.so", dir .. "/sub/libreload.so")
    H.sh("mkfifo " .. H.quote(dir .. "/pipe.so"))
    H.sh("ln -s " .. H.quote(dir .. "/gone.so") .. " " .. H.quote(dir .. "/broken.so"))
  end)
  teardown(function() H.rmdir(dir) end)

  it("lists plugins sorted by path and everything else with a reason, loading nothing", function()
    local found, skipped = dynlib.scan(dir)
    assert.same({"libcounter.so", "libmarker.so"}, names(found))
    assert.equal("counter", found[1].meta.name)
    local s = by_name(skipped)
    assert.equal("no_metadata", s["libplain.so"].code)
    assert.equal("not_a_library", s["readme.txt"].code)
    assert.matches("not an ELF file", s["readme.txt"].reason, 1, true)
    assert.equal("not_a_library", s["pipe.so"].code)
    assert.matches("a FIFO", s["pipe.so"].reason, 1, true)
    assert.equal("not_found", s["broken.so"].code)
    assert.is_nil(s["libreload.so"]) -- sub-folders are not entered
    assert.is_nil(H.read(dir .. "/libmarker.so.ran"))
    for _, e in ipairs(dynlib.loaded()) do
      assert.is_nil(e.path:find(dir, 1, true))
    end
  end)

  it("enters sub-folders when asked", function()
    local found = dynlib.scan(dir, {recursive = true})
    assert.same({"libcounter.so", "libmarker.so", "libreload.so"}, names(found))
  end)

  it("filters by interface, interface prefix and predicate", function()
    local found, skipped = dynlib.scan(dir, {iid = "test.Marker/1"})
    assert.same({"libmarker.so"}, names(found))
    assert.equal("filtered", by_name(skipped)["libcounter.so"].code)
    assert.same({"libcounter.so", "libmarker.so"}, names(dynlib.scan(dir, {iid_prefix = "test."})))
    assert.same({}, names(dynlib.scan(dir, {iid_prefix = "game."})))
    found = dynlib.scan(dir, {predicate = function(meta) return meta.version == "2.1.0" end})
    assert.same({"libcounter.so"}, names(found))
  end)

  it("takes a list of files instead of a folder", function()
    local found, skipped = dynlib.scan({dir .. "/libmarker.so", dir .. "/readme.txt"})
    assert.same({"libmarker.so"}, names(found))
    assert.same({"readme.txt"}, names(skipped))
  end)

  it("gives nil, message, code for a missing folder and raises on misuse", function()
    local found, msg, code = dynlib.scan(dir .. "/nope")
    assert.is_nil(found)
    assert.equal("not_found", code)
    assert.matches("nope", msg, 1, true)
    assert.has_error(function() dynlib.scan(42) end)
    assert.has_error(function() dynlib.scan({1}) end)
    assert.has_error(function() dynlib.scan(dir, "iid") end)
  end)
end)

describe("dynlib.plugin", function()
  it("checks the metadata, opens the plugin and makes its instance once", function()
    local path, dir = H.private_copy("plugin/libcounter.so")
    local p1 = assert(dynlib.plugin(path, {iid = "test.Counter/1"}))
    local p2 = assert(dynlib.plugin(path))
    assert.equal("counter", p1.meta.name)
    assert.is_true(H.is_pointer(p1.instance))
    assert.equal(p1.instance, p2.instance)
    local calls = p1:func("int counter_calls(void)")
    assert.equal(1, calls())
    assert.equal(4242, p1:func("int instance_magic(void *)")(p1.instance))
    local entry
    for _, e in ipairs(dynlib.loaded()) do
      if e.path == p1.lib.path then entry = e end
    end
    assert.is_true(entry.instance)
    -- A real unload drops the instance; the next load makes it again.
    p1:close()
    p2:close()
    assert.is_false(H.is_mapped(path))
    local p3 = assert(dynlib.plugin(path))
    assert.equal(1, p3:func("int counter_calls(void)")())
    p3:close()
    H.rmdir(dir)
  end)

  it("refuses another interface or ABI before loading anything", function()
    local dir = H.tmpdir()
    local path = H.copy(PFIX .. "/libmarker-abi99.so", dir .. "/libmarker.so")
    local p, msg, code = dynlib.plugin(path)
    assert.is_nil(p)
    assert.equal("bad_metadata", code)
    assert.matches("plugin built for dynlib ABI 99, this dynlib has ABI " .. dynlib.abi, msg, 1, true)
    local ok = H.copy(PFIX .. "/libmarker.so", dir .. "/libok.so")
    p, msg, code = dynlib.plugin(ok, {iid = "test.Other/1"})
    assert.is_nil(p)
    assert.equal("bad_metadata", code)
    assert.matches("plugin interface test.Marker/1, expected test.Other/1", msg, 1, true)
    assert.is_nil(H.read(path .. ".ran"))
    assert.is_nil(H.read(ok .. ".ran"))
    H.rmdir(dir)
  end)

  it("passes on the failures of metadata and open", function()
    local p, _, code = dynlib.plugin(H.fixture("store/libbasic.so"))
    assert.is_nil(p)
    assert.equal("no_metadata", code)
    assert.has_error(function() dynlib.plugin(42) end)
  end)

  it("calls dynlib_plugin_open once per Lua state and keeps that library loaded", function()
    local path, dir = H.private_copy("plugin/libluaplugin.so")
    local p = assert(dynlib.plugin(path))
    local mod = p.opened[1]
    assert.equal("hello, world", mod.greet("world"))
    assert.equal(1, mod.opens)
    local again = assert(dynlib.plugin(path))
    assert.is_true(again.opened) -- already open in this state
    p:close()
    again:close()
    assert.is_true(H.is_mapped(path)) -- pinned for the life of the state
    assert.equal("hello, lua", mod.greet("lua"))
    H.rmdir(dir)
  end)
end)

describe("plugin:reload", function()
  local function install(src, dst)
    H.copy(src, dst .. ".new")
    assert(os.rename(dst .. ".new", dst))
  end

  it("loads the rebuilt file for real after unloading the old one", function()
    local dir = H.tmpdir()
    local path = dir .. "/libreload.so"
    install(PFIX .. "/libreload-v1.so", path)
    local p = assert(dynlib.plugin(path))
    assert.equal(1, p:func("int reload_version(void)")())
    install(PFIX .. "/libreload-v2.so", path)
    assert.is_true(p:reload())
    assert.equal(2, p:func("int reload_version(void)")())
    assert.equal(1, p:func("int reload_starts(void)")()) -- the instance ran again
    assert.is_nil(p.copy)
    assert.equal(2, p.generation)
    p:close()
    H.rmdir(dir)
  end)

  it("loads a private copy when the old library cannot be unloaded", function()
    local dir = H.tmpdir()
    local path = dir .. "/libreload.so"
    install(PFIX .. "/libreload-v1.so", path)
    local holder = assert(dynlib.open(path)) -- someone else keeps v1 loaded
    local p = assert(dynlib.plugin(path))
    install(PFIX .. "/libreload-v2.so", path)
    assert.is_true(p:reload())
    assert.equal(2, p:func("int reload_version(void)")())
    assert.is_string(p.copy)
    assert.equal(1, holder:func("int reload_version(void)")())
    p:close()
    holder:close()
    os.remove(p.copy)
    H.rmdir(dir)
  end)
end)
