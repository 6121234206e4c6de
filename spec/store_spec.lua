-- The store: open/sym/close, one entry per file, reference counts, real
-- unloads at the last handle (observed through the fixture's destructor
-- marker and /proc/self/maps), __gc and <close>, misuse.
local dynlib = require("dynlib")
local H = require("helper")
if H.posix_only("store_spec.lua", H.POSIX_TOOLS) then return end

local SFIX = H.fixture("store")

local function entry_for(path)
  local real = H.sh("realpath " .. H.quote(path)):gsub("%s+$", "")
  for _, e in ipairs(dynlib.loaded()) do
    if e.path == real then return e end
  end
  return nil
end

-- A private copy of a store fixture (each unload spec needs its own file).
local function copy_of(name)
  local dir = H.tmpdir()
  return H.copy(SFIX .. "/" .. name, dir .. "/" .. name), dir
end

local function marker(path, what)
  return H.read(path .. "." .. what) ~= nil
end

describe("dynlib.open", function()
  it("opens a library by path and resolves its symbols", function()
    local lib, err = dynlib.open(SFIX .. "/libbasic.so")
    assert.is_truthy(lib, err)
    assert.equal("userdata", type(lib))
    assert.is_true(H.is_pointer(lib:sym("basic_answer")))
    assert.is_true(H.is_pointer(lib:sym("basic_counter")))
    assert.matches("/fixtures/store/libbasic%.so$", lib.path)
    assert.equal("/", lib.path:sub(1, 1))
    lib:close()
  end)

  it("gives nil, message, no_symbol for a missing symbol", function()
    local lib = assert(dynlib.open(SFIX .. "/libbasic.so"))
    local p, msg, code = lib:sym("no_such_symbol_here")
    assert.is_nil(p)
    assert.equal("no_symbol", code)
    assert.matches("no_such_symbol_here", msg, 1, true)
    assert.matches("libbasic.so", msg, 1, true)
    lib:close()
  end)

  it("opens libm, libc (GNU ld scripts on Debian) and libz by short name", function()
    for name, file in pairs({m = "libm%.so%.6$", c = "libc%.so%.6$", z = "libz%.so%.1"}) do
      local lib, err = dynlib.open(name)
      assert.is_truthy(lib, err)
      assert.matches(file, lib.path)
      local sym = ({z = "crc32", m = "cos", c = "strlen"})[name]
      assert.is_true(H.is_pointer(lib:sym(sym)))
      lib:close()
    end
  end)

  it("gives nil, message, not_found for a name found nowhere", function()
    local lib, msg, code = dynlib.open("dynlib_surely_missing_lib")
    assert.is_nil(lib)
    assert.equal("not_found", code)
    assert.matches("dynlib_surely_missing_lib", msg, 1, true)
  end)

  it("opens each version of a library at once", function()
    local old = dynlib.path
    dynlib.path = {SFIX}
    local v1 = assert(dynlib.open("versioned", {version = 1}))
    local v2 = assert(dynlib.open("versioned", {version = "2"}))
    dynlib.path = old
    assert.matches("libversioned%.so%.1$", v1.path)
    assert.matches("libversioned%.so%.2$", v2.path)
    assert.are_not.equal(v1:sym("versioned_number"), v2:sym("versioned_number"))
    assert.equal(1, v1:func("int versioned_number(void)")())
    assert.equal(2, v2:func("int versioned_number(void)")())
    v1:close()
    v2:close()
  end)

  it("keeps one store entry for a file opened by name, by path and through a symlink", function()
    local path, dir = copy_of("libbasic.so")
    H.sh("ln -s libbasic.so " .. H.quote(dir .. "/liblink.so"))
    local old = dynlib.path
    dynlib.path = {dir}
    local by_name = assert(dynlib.open("basic"))
    dynlib.path = old
    local by_path = assert(dynlib.open(path))
    local by_link = assert(dynlib.open(dir .. "/liblink.so"))
    assert.equal(by_name.path, by_path.path)
    assert.equal(by_name.path, by_link.path)
    local n = 0
    for _, e in ipairs(dynlib.loaded()) do
      if e.path == by_path.path then n = n + 1 end
    end
    assert.equal(1, n)
    assert.equal(3, entry_for(path).refs)
    assert.equal(by_name:sym("basic_answer"), by_link:sym("basic_answer"))
    by_name:close(); by_path:close(); by_link:close()
    assert.is_nil(entry_for(path))
    H.rmdir(dir)
  end)

  it("counts handles: open, open, close, close", function()
    local path, dir = copy_of("libbasic.so")
    local a = assert(dynlib.open(path))
    assert.equal(1, entry_for(path).refs)
    local b = assert(dynlib.open(path))
    assert.equal(2, entry_for(path).refs)
    a:close()
    assert.equal(1, entry_for(path).refs)
    b:close()
    assert.is_nil(entry_for(path))
    H.rmdir(dir)
  end)
end)

describe("unloading", function()
  it("unloads for real at the last close, not before", function()
    local path, dir = copy_of("libbasic.so")
    local a = assert(dynlib.open(path))
    local b = assert(dynlib.open(path))
    assert.is_true(marker(path, "loaded"))
    assert.is_true(H.is_mapped(path))
    a:close()
    assert.is_false(marker(path, "unloaded"))
    assert.is_true(H.is_mapped(path))
    assert.is_true(dynlib.is_loaded(b.path)) -- RTLD_NOLOAD probe
    b:close()
    assert.is_true(marker(path, "unloaded"))
    assert.is_false(H.is_mapped(path))
    assert.is_false(dynlib.is_loaded(path))
    H.rmdir(dir)
  end)

  it("unloads when the last handle is garbage collected", function()
    local path, dir = copy_of("libbasic.so")
    do
      local lib = assert(dynlib.open(path))
      assert.is_true(H.is_mapped(lib.path))
    end -- lib is unreachable from here on
    collectgarbage()
    collectgarbage()
    assert.is_true(marker(path, "unloaded"))
    assert.is_false(H.is_mapped(path))
    H.rmdir(dir)
  end)

  it("unloads at the end of a <close> variable's scope", function()
    local path, dir = copy_of("libbasic.so")
    do
      local lib <close> = assert(dynlib.open(path))
      assert.is_true(H.is_mapped(lib.path))
    end
    assert.is_true(marker(path, "unloaded"))
    assert.is_false(H.is_mapped(path))
    H.rmdir(dir)
  end)

  it("keeps a library mapped while another loaded library depends on it", function()
    local dir = H.tmpdir()
    local base = H.copy(SFIX .. "/libbasic.so", dir .. "/libbasic.so")
    local dep = H.copy(SFIX .. "/libdependent.so", dir .. "/libdependent.so")
    local lb = assert(dynlib.open(base))
    local ld = assert(dynlib.open(dep))
    lb:close()
    assert.is_nil(entry_for(base))
    assert.is_false(marker(base, "unloaded"))
    assert.is_true(H.is_mapped(base))
    assert.is_true(dynlib.is_loaded(base)) -- a deferred unload: still loaded
    ld:close()
    assert.is_true(marker(base, "unloaded"))
    assert.is_false(H.is_mapped(base))
    H.rmdir(dir)
  end)
end)

describe("a closed handle", function()
  it("answers closed to sym, says so in tostring, and closes twice harmlessly", function()
    local lib = assert(dynlib.open(SFIX .. "/libbasic.so"))
    assert.is_false(lib.closed)
    assert.is_true(lib:is_open())
    lib:close()
    local p, msg, code = lib:sym("basic_answer")
    assert.is_nil(p)
    assert.equal("closed", code)
    assert.matches("closed", msg)
    assert.is_true(lib.closed)
    assert.is_false(lib:is_open())
    assert.matches("closed", tostring(lib))
    assert.has_no.errors(function() lib:close() end)
    assert.has_no.errors(function() lib:close() end)
  end)

  it("does not close the other handles on the same library", function()
    local a = assert(dynlib.open(SFIX .. "/libbasic.so"))
    local b = assert(dynlib.open(SFIX .. "/libbasic.so"))
    a:close()
    assert.is_true(H.is_pointer(b:sym("basic_answer")))
    b:close()
  end)
end)

describe("library handles", function()
  it("have a __name and a tostring naming the file", function()
    local lib = assert(dynlib.open(SFIX .. "/libbasic.so"))
    assert.matches("^dynlib%.library %(.*libbasic%.so%)$", tostring(lib))
    assert.equal("dynlib.library", getmetatable(lib))
    lib:close()
  end)
end)

describe("dynlib.resolve", function()
  it("resolves a symbol in a library kept loaded", function()
    local p = dynlib.resolve("m", "cos")
    assert.is_true(H.is_pointer(p))
    local e
    for _, x in ipairs(dynlib.loaded()) do
      if x.path:match("libm%.so%.6$") then e = x end
    end
    assert.is_truthy(e)
    local q, _, code = dynlib.resolve("m", "no_such_function_anywhere")
    assert.is_nil(q)
    assert.equal("no_symbol", code)
  end)
end)

describe("misuse raises", function()
  local lib
  setup(function() lib = assert(dynlib.open(SFIX .. "/libbasic.so")) end)
  teardown(function() lib:close() end)

  it("for a name that is not a string", function()
    assert.has_error(function() dynlib.open({}) end)
    assert.has_error(function() dynlib.open(nil) end)
    assert.has_error(function() dynlib.open() end)
    assert.has_error(function() dynlib.open("") end, "bad argument #1 to 'open' (empty library name)")
  end)

  it("for names and symbols holding a NUL byte", function()
    assert.has_error(function() dynlib.open("m\0evil") end,
      "bad argument #1 to 'open' (string contains a NUL byte)")
    assert.has_error(function() lib:sym("basic\0answer") end)
  end)

  it("for bad options", function()
    assert.has_error(function() dynlib.open("m", "lazy") end)
    assert.has_error(function() dynlib.open("m", {lazy = "yes"}) end)
    assert.has_error(function() dynlib.open("m", {version = "1.x"}) end)
    assert.has_error(function() dynlib.open("m", {version = -1}) end)
    assert.has_error(function() dynlib.open("m", {version = {}}) end)
  end)

  it("for methods called on something that is not a library", function()
    assert.has_error(function() lib.sym(42, "x") end)
    assert.has_error(function() lib.close({}) end)
    assert.has_error(function() lib:sym() end)
  end)
end)
