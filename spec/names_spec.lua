-- Names and search: candidate order (Qt's rules), is_library, the search
-- path, GNU ld scripts, the current directory never searched for bare names.
local dynlib = require("dynlib")
local H = require("helper")

local SFIX = H.fixture("store")

describe("dynlib.candidates", function()
  it("tries decorated forms first and the bare name last", function()
    assert.same({"libmylib.so", "libmylib", "mylib.so", "mylib"}, dynlib.candidates("mylib"))
  end)

  it("tries a path itself first, then decorated forms in its directory", function()
    assert.same({"/d/mylib", "/d/mylib.so", "/d/libmylib", "/d/libmylib.so"},
      dynlib.candidates("/d/mylib"))
    assert.same({"sub/mylib", "sub/mylib.so", "sub/libmylib", "sub/libmylib.so"},
      dynlib.candidates("sub/mylib"))
  end)

  it("puts the version after .so", function()
    assert.same({"libz.so.1", "libz", "z.so.1", "z"}, dynlib.candidates("z", {version = 1}))
    assert.same({"libz.so.1.2", "libz", "z.so.1.2", "z"}, dynlib.candidates("z", {version = "1.2"}))
    assert.same({"/d/mylib", "/d/mylib.so.3", "/d/libmylib", "/d/libmylib.so.3"},
      dynlib.candidates("/d/mylib", {version = 3}))
  end)

  it("does not add a prefix or suffix the name already has", function()
    assert.same({"libfoo.so", "libfoo"}, dynlib.candidates("libfoo"))
    assert.same({"libfoo.so"}, dynlib.candidates("libfoo.so"))
    assert.same({"libfoo.so.1.2"}, dynlib.candidates("libfoo.so.1.2"))
    assert.same({"libfoo.so", "foo.so"}, dynlib.candidates("foo.so"))
    assert.same({"/d/libfoo.so"}, dynlib.candidates("/d/libfoo.so"))
  end)

  it("raises on a bad version or a name with a NUL byte", function()
    assert.has_error(function() dynlib.candidates("z", {version = "one"}) end)
    assert.has_error(function() dynlib.candidates("z", {version = "1..2"}) end)
    assert.has_error(function() dynlib.candidates("z\0y") end)
    assert.has_error(function() dynlib.candidates(nil) end)
  end)
end)

describe("dynlib.is_library", function()
  local yes = {"libfoo.so", "libfoo.so.1.2", "libc-2.7.so", "liboil-0.3.so.0.1.0",
               "/usr/lib/libz.so.1", "foo.so", "libfoo.so.0"}
  local no = {"mylib.dl2", "mylib.bad", "libfoo", "libfoo.so.x", "libfoo.so.1.", "foo.sox",
              ".so", "libfoo.so.1..2", "/dir.so/libfoo"}
  for _, name in ipairs(yes) do
    it("says yes to " .. name, function() assert.is_true(dynlib.is_library(name)) end)
  end
  for _, name in ipairs(no) do
    it("says no to " .. name, function() assert.is_false(dynlib.is_library(name)) end)
  end
end)

describe("dynlib.find", function()
  it("follows GNU ld scripts: libm.so and libc.so name the real libraries", function()
    local script = H.read("/usr/lib/x86_64-linux-gnu/libm.so")
    assert.matches("GNU ld script", script, 1, true) -- the premise of this spec
    assert.matches("/libm%.so%.6$", dynlib.find("m"))
    assert.matches("/libc%.so%.6$", dynlib.find("c"))
  end)

  it("finds libz through its development symlink or the cache", function()
    assert.matches("/libz%.so%.1[%d.]*$", dynlib.find("z"))
    assert.matches("/libz%.so%.1[%d.]*$", dynlib.find("z", {version = 1}))
  end)

  it("falls back to the highest libNAME.so.N in ld.so.cache when no libNAME.so exists", function()
    -- A library listed in the cache without a development symlink.
    local out = H.sh("/sbin/ldconfig -p")
    local name
    for lib in out:gmatch("\n%s+lib([%w_]+)%.so%.%d+ %(libc6,x86%-64%)") do
      if not out:find("lib" .. lib .. ".so (", 1, true) and not lib:find("^dynlib") then
        name = lib
        break
      end
    end
    assert.is_truthy(name, "no library without a -dev symlink on this machine")
    local path, err = dynlib.find(name)
    assert.is_truthy(path, err)
    assert.matches("/lib" .. name:gsub("%p", "%%%0") .. "%.so%.%d", path)
  end)

  it("returns nil, message, not_found for a name found nowhere", function()
    local path, msg, code = dynlib.find("dynlib_no_such_lib")
    assert.is_nil(path)
    assert.equal("not_found", code)
    assert.matches("dynlib_no_such_lib", msg, 1, true)
  end)

  it("searches dynlib.path first", function()
    local old = dynlib.path
    dynlib.path = {SFIX}
    assert.same({SFIX}, dynlib.path)
    assert.equal(H.sh("realpath " .. SFIX .. "/libbasic.so"):gsub("%s+$", ""), dynlib.find("basic"))
    dynlib.path = SFIX .. ":/nonexistent"
    assert.same({SFIX, "/nonexistent"}, dynlib.path)
    dynlib.path = old
    assert.is_nil(dynlib.find("basic"))
  end)

  it("lists the search directories: dynlib.path, then LD_LIBRARY_PATH, then defaults", function()
    local old = dynlib.path
    dynlib.path = {"/first"}
    local dirs = dynlib.search_dirs()
    assert.equal("/first", dirs[1])
    local multiarch
    for _, d in ipairs(dirs) do
      if d == "/usr/lib/x86_64-linux-gnu" then multiarch = true end
    end
    assert.is_true(multiarch)
    dynlib.path = old
  end)

  it("raises on a dynlib.path that is not a list of directories", function()
    assert.has_error(function() dynlib.path = 42 end)
    assert.has_error(function() dynlib.path = {"/a:b"} end)
  end)
end)

describe("the current directory", function()
  -- Runs Lua code in a child process whose current directory is dir.
  local function run_in(dir, code, env)
    local root = H.sh("pwd"):gsub("%s+$", "")
    local cmd = ("cd %s && %s LUA_PATH=%s LUA_CPATH=%s lua5.4 -e %s 2>&1"):format(
      H.quote(dir), env or "",
      H.quote(root .. "/lua/?.lua;" .. root .. "/lua/?/init.lua;;"),
      H.quote(H.build .. "/lua/?.so;;"),
      H.quote(code))
    return H.sh(cmd)
  end

  local dir
  before_each(function()
    dir = H.tmpdir()
    H.copy(SFIX .. "/libbasic.so", dir .. "/libcwdonly.so")
    H.sh("mkdir " .. H.quote(dir .. "/sub"))
    H.copy(SFIX .. "/libbasic.so", dir .. "/sub/libinsub.so")
  end)
  after_each(function() H.rmdir(dir) end)

  it("is never searched for bare names", function()
    local out = run_in(dir, [[
      local d = require("dynlib")
      local lib, msg, code = d.open("cwdonly")
      print(lib, code)
      print(d.open("libcwdonly.so"))]])
    assert.matches("^nil\tnot_found\n", out)
    assert.matches("\nnil\t", out)
  end)

  it("is not searched through an empty LD_LIBRARY_PATH entry", function()
    local out = run_in(dir, [[print(select(3, require("dynlib").open("cwdonly")))]],
      "LD_LIBRARY_PATH=:/nonexistent:")
    assert.equal("not_found\n", out)
  end)

  it("is where ./name.so and sub/name.so are looked up", function()
    local out = run_in(dir, [[
      local d = require("dynlib")
      local a = assert(d.open("./libcwdonly.so"))
      local b = assert(d.open("sub/libinsub.so"))
      local c = assert(d.open("./cwdonly"))
      print(a.path, b.path, c.path == a.path)]])
    local real = H.sh("realpath " .. H.quote(dir)):gsub("%s+$", "")
    assert.equal(("%s/libcwdonly.so\t%s/sub/libinsub.so\ttrue\n"):format(real, real), out)
  end)
end)
