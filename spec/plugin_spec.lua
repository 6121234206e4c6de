-- dynlib.plugin: metadata checked before loading, the instance made once
-- per loaded library, Lua-facing plugins opened once per state, hot reload.
local dynlib = require("dynlib")
local H = require("helper")
if H.posix_only("plugin_spec.lua", H.POSIX_TOOLS) then return end

local PFIX = H.fixture("plugin")

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

  it("refuses another interface, ABI or Lua version before loading anything", function()
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
    -- The record's own ABI (the header the plugin was built with) counts
    -- whatever the JSON says.
    local data = H.read(PFIX .. "/libmarker.so")
    local j = assert(data:find('{"name": "marker"', 1, true)) - 1
    local header = H.write(dir .. "/libheader.so", data:sub(1, j - 8) .. string.pack("<I4", 7)
      .. data:sub(j - 3))
    p, msg, code = dynlib.plugin(header)
    assert.is_nil(p)
    assert.equal("bad_metadata", code)
    assert.matches("built with the plugin header of dynlib ABI 7", msg, 1, true)
    assert.is_nil(H.read(header .. ".ran"))
    local old = H.copy(PFIX .. "/libluaold.so", dir .. "/libluaold.so")
    p, msg, code = dynlib.plugin(old)
    assert.is_nil(p)
    assert.equal("bad_metadata", code)
    assert.matches("plugin built for Lua 5.3, this is Lua 5.4", msg, 1, true)
    assert.is_false(H.is_mapped(old))
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

  it("loads the new version from a copy beside the file, then unloads the old one", function()
    local dir = H.tmpdir()
    local path = dir .. "/libreload.so"
    install(PFIX .. "/libreload-v1.so", path)
    local p = assert(dynlib.plugin(path))
    local old_version = p:func("int reload_version(void)")
    assert.equal(1, old_version())
    install(PFIX .. "/libreload-v2.so", path)
    assert.is_true(p:reload())
    assert.equal(2, p:func("int reload_version(void)")())
    assert.equal(1, p:func("int reload_starts(void)")()) -- the instance ran again
    -- beside the file, hidden: $ORIGIN and trusted folders mean the same
    assert.equal(dir, p.copy:match("^(.*)/"))
    assert.matches("^%.libreload%.so%.dynlib%-%d+%-%d+$", p.copy:match("[^/]+$"))
    assert.equal(p.copy, p.lib.path)
    assert.is_false(dynlib.is_loaded(path)) -- the old version was unloaded
    -- the previous generation's functions raise "closed"
    assert.has_error(function() old_version() end)
    assert.equal(2, p.generation)
    local copy = p.copy
    p:close()
    assert.is_nil(H.read(copy))
    H.rmdir(dir)
  end)

  it("keeps the old version working when the new file fails to load", function()
    local E = require("elfpatch")
    local dir = H.tmpdir()
    local path = dir .. "/libreload.so"
    install(PFIX .. "/libreload-v1.so", path)
    local p = assert(dynlib.plugin(path))
    local version = p:func("int reload_version(void)")
    -- another machine, metadata intact: refused by open, after the copy
    local other = E.field(E.read(PFIX .. "/libreload-v2.so"), "machine") == 62 and 183 or 62
    -- (replaced by rename: v1 runs from this file, which must not change in place)
    H.write(path .. ".new", E.patch(E.read(PFIX .. "/libreload-v2.so"), "machine", other))
    assert(os.rename(path .. ".new", path))
    local ok, msg, code = p:reload()
    assert.is_nil(ok)
    assert.equal("wrong_arch", code, msg)
    -- garbage
    H.write(path .. ".new", "not a library at all")
    assert(os.rename(path .. ".new", path))
    ok, msg, code = p:reload()
    assert.is_nil(ok)
    assert.equal("not_a_library", code, msg)
    assert.equal(1, version())            -- the old version still runs
    assert.equal(1, p.generation)
    -- no copy is left behind by the failures
    assert.equal("", (H.sh("ls -A " .. H.quote(dir) .. " | grep dynlib- || true")))
    install(PFIX .. "/libreload-v2.so", path)
    assert.is_true(p:reload())
    assert.equal(2, p:func("int reload_version(void)")())
    p:close()
    H.rmdir(dir)
  end)

  it("loads a new copy at each reload while another handle keeps the old version", function()
    local dir = H.tmpdir()
    local path = dir .. "/libreload.so"
    install(PFIX .. "/libreload-v1.so", path)
    local holder = assert(dynlib.open(path)) -- someone else keeps v1 loaded
    local p = assert(dynlib.plugin(path))
    install(PFIX .. "/libreload-v2.so", path)
    assert.is_true(p:reload())
    assert.equal(2, p:func("int reload_version(void)")())
    assert.equal(1, p:func("int reload_starts(void)")())
    local first = p.copy
    assert.is_string(first)
    assert.equal(1, holder:func("int reload_version(void)")())
    -- Reloading again while v1 is still held: a new copy, the old one gone.
    assert.is_true(p:reload())
    assert.is_truthy(p.copy ~= first)
    assert.is_nil(H.read(first))
    local second = p.copy
    p:close()
    assert.is_nil(p.copy)
    assert.is_nil(H.read(second))
    holder:close()
    H.rmdir(dir)
  end)

  it("removes copies a dead process left beside the plugin, not a living one's", function()
    local dir = H.tmpdir()
    local path = dir .. "/libreload.so"
    install(PFIX .. "/libreload-v1.so", path)
    local dead = H.sh("sh -c 'echo $$'"):gsub("%s+$", "") -- that shell has exited
    local stale = dir .. "/.libreload.so.dynlib-" .. dead .. "-1"
    local alive = dir .. "/.libreload.so.dynlib-1-1"     -- pid 1 runs
    H.write(stale, "old copy")
    H.write(alive, "someone's copy")
    local p = assert(dynlib.plugin(path, {reloadable = true}))
    assert.is_nil(H.read(stale))
    assert.equal("someone's copy", H.read(alive))
    -- scans pass over every copy, running or not
    local found, skipped = dynlib.scan(dir)
    assert.equal(1, #found)
    assert.equal(path, found[1].path)
    assert.equal(0, #skipped)
    p:close()
    H.rmdir(dir)
  end)

  it("removes the copies still in use when the Lua state closes", function()
    local dir = H.tmpdir()
    local path = dir .. "/libreload.so"
    install(PFIX .. "/libreload-v1.so", path)
    local code = ([[
      local d = require("dynlib")
      local p = assert(d.plugin(%q, {reloadable = true}))
      assert(p:func("int reload_version(void)")() == 1)
      io.write(p.copy)]]):format(path)
    local out, ok = H.sh(("LUA_PATH=%s LUA_CPATH=%s %s -e %s 2>&1"):format(
      H.quote(package.path), H.quote(package.cpath), H.lua, H.quote(code)))
    assert.is_true(ok, out)
    assert.matches("/%.libreload%.so%.dynlib%-%d+%-%d+$", out)
    assert.is_nil(H.read(out))      -- gone with the state, though never closed
    assert.is_truthy(H.read(path))  -- the plugin itself stays
    H.rmdir(dir)
  end)

  it("with reloadable = true, loads a private copy: the file may be rewritten in place while it runs", function()
    local dir = H.tmpdir()
    local path = dir .. "/libreload.so"
    install(PFIX .. "/libreload-v1.so", path)
    local p = assert(dynlib.plugin(path, {reloadable = true}))
    local first = assert(p.copy)
    assert.equal(first, p.lib.path)
    assert.is_false(dynlib.is_loaded(path))
    assert.is_true(dynlib.is_loaded(first))
    -- cp over the original: same inode, truncated and rewritten (a crash
    -- at the next call if that file were mapped)
    local _, ok = H.sh("cp " .. H.quote(PFIX .. "/libreload-v2.so") .. " " .. H.quote(path))
    assert.is_true(ok)
    assert.equal(1, p:func("int reload_version(void)")())
    assert.is_true(p:reload())
    assert.equal(2, p:func("int reload_version(void)")())
    assert.is_truthy(p.copy and p.copy ~= first)
    assert.is_nil(H.read(first)) -- the old copy is gone
    local second = p.copy
    p:close()
    assert.is_nil(H.read(second))
    H.rmdir(dir)
  end)

  it("refuses a new file whose metadata does not fit, leaving the running plugin untouched", function()
    local dir = H.tmpdir()
    local path = dir .. "/libreload.so"
    install(PFIX .. "/libreload-v1.so", path)
    local p = assert(dynlib.plugin(path, {iid = "test.Reload/1"}))
    local version = p:func("int reload_version(void)")
    install(PFIX .. "/libcounter.so", path) -- another interface
    local ok, msg, code = p:reload()
    assert.is_nil(ok)
    assert.equal("bad_metadata", code)
    assert.matches("plugin interface test.Counter/1, expected test.Reload/1", msg, 1, true)
    H.write(path, "half-written\n")
    ok, msg, code = p:reload()
    assert.is_nil(ok)
    assert.equal("not_a_library", code)
    assert.matches("not an ELF file", msg, 1, true)
    assert.equal(1, version())
    assert.equal(1, p.generation)
    p:close()
    H.rmdir(dir)
  end)

  it("reloads a Lua-facing plugin from a copy and opens it again in this state", function()
    local path, dir = H.private_copy("plugin/libluaplugin.so")
    local p = assert(dynlib.plugin(path))
    local old = p.opened[1]
    assert.is_true(p:reload()) -- the old library is pinned for the state
    assert.is_string(p.copy)
    local new = p.opened[1]
    assert.is_table(new)
    assert.is_truthy(new ~= old)
    assert.equal(1, new.opens) -- the copy's own entry point ran once
    assert.equal("hello, again", new.greet("again"))
    assert.equal("hello, old", old.greet("old"))
    p:close()
    H.rmdir(dir)
  end)
end)
