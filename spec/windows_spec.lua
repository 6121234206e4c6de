-- Windows (make test CROSS=x86_64-w64-mingw32, under wine): the loader's
-- traps and what differs from Linux. A bare name never comes from the
-- current folder, a missing dependency is an error and never a dialog, any
-- Unicode path works, every name of a DLL is one store entry, Win64 calls
-- (variadic, callbacks) and GetLastError, PE inspection and metadata
-- without running DllMain, a plugin's real unload. On other systems the
-- file is skipped, once, with its reason.
local dynlib = require("dynlib")
local H = require("helper")

if not H.windows then
  describe("windows_spec.lua", function()
    pending("the whole file [skipped: Windows only (dynlib.os is " .. dynlib.os .. ")]")
  end)
  return
end

local lfs = require("lfs")
local WFIX = H.fixture("windows")
local PLAIN = WFIX .. "/wplain.dll"
local PLUGIN = WFIX .. "/wplug.dll"

local function count_entries(path)
  local n = 0
  for _, e in ipairs(dynlib.loaded()) do
    if e.path:lower() == path:lower() then n = n + 1 end
  end
  return n
end

describe("Windows names", function()
  it("reports the system and machine, and ';' between path folders", function()
    assert.equal("windows", dynlib.os)
    assert.equal("x86_64", dynlib.arch)
    assert.equal(";", dynlib.path_sep)
  end)

  it("tries name.dll, libname.dll, then the name; mingw's -N for a version", function()
    assert.same({"foo.dll", "libfoo.dll", "foo"}, dynlib.candidates("foo"))
    assert.same({"foo-1.dll", "libfoo-1.dll", "foo"}, dynlib.candidates("foo", {version = 1}))
    assert.same({"FOO.DLL", "libFOO.DLL"}, dynlib.candidates("FOO.DLL")) -- suffix not added again
    assert.is_true(dynlib.is_library("C:/x/KERNEL32.DLL"))
    assert.is_false(dynlib.is_library("C:/x/kernel32.exe"))
  end)

  it("searches dynlib.path, the application's folder and the system folder only", function()
    local dirs = dynlib.search_dirs()
    assert.is_true(#dirs >= 2)
    assert.matches("system32$", dirs[#dirs]:lower())
    for _, d in ipairs(dirs) do
      assert.matches("^%a:/", d) -- absolute, with '/' between components
    end
  end)

  it("keeps kernel32, KERNEL32.DLL and its full path as one store entry", function()
    local a = assert(dynlib.open("kernel32"))
    local b = assert(dynlib.open("KERNEL32.DLL"))
    local c = assert(dynlib.open(a.path))
    assert.equal(a.path, b.path)
    assert.matches("^%a:/.*/kernel32%.dll$", a.path:lower())
    assert.equal(1, count_entries(a.path))
    a:close(); b:close(); c:close()
  end)
end)

describe("Windows loading", function()
  it("never loads a DLL planted in the current folder by bare name, but .\\name.dll", function()
    local dir = H.tmpdir()
    local here = lfs.currentdir()
    H.copy(PLAIN, dir .. "/dynlib_planted.dll")
    assert.is_true(lfs.chdir(dir))
    local lib, msg, code = dynlib.open("dynlib_planted")
    local dotted = dynlib.open(".\\dynlib_planted.dll")
    local slashed = dynlib.open("./dynlib_planted.dll")
    lfs.chdir(here)
    assert.is_nil(lib)
    assert.equal("not_found", code)
    assert.matches("dynlib_planted.dll", msg, 1, true)
    assert.is_truthy(dotted, "the explicit .\\ path loads")
    assert.equal(5, dotted:func("int w_add(int, int)")(2, 3))
    assert.equal(dotted.path, slashed.path)
    dotted:close(); slashed:close()
    H.rmdir(dir)
  end)

  it("fails with load_failed for a missing dependency, without a dialog", function()
    local lib, msg, code = dynlib.open(WFIX .. "/needsgone.dll")
    assert.is_nil(lib)
    assert.equal("load_failed", code)
    assert.matches("needsgone.dll", msg, 1, true)
    assert.matches("error 126", msg, 1, true) -- ERROR_MOD_NOT_FOUND, as text and number
  end)

  it("loads from a folder whose name is outside every ANSI code page", function()
    local path = WFIX .. "/ünïcödé-λ-路径/wplain.dll"
    local lib, msg = dynlib.open(path)
    assert.is_truthy(lib, msg)
    assert.matches("ünïcödé%-λ%-路径/wplain%.dll$", lib.path)
    assert.equal(9, lib:func("int w_add(int, int)")(4, 5))
    assert.equal("pe", dynlib.inspect(path).format)
    lib:close()
  end)

  it("refuses trusted mode with its reason: no POSIX owners and modes here", function()
    local lib, msg, code = dynlib.open(PLAIN, {trusted = {WFIX}})
    assert.is_nil(lib)
    assert.equal("untrusted", code)
    assert.matches("not available on Windows", msg, 1, true)
  end)

  it("refuses an EXE and an ELF file before the loader sees them", function()
    local _, msg, code = dynlib.open(WFIX .. "/wapp.exe")
    assert.equal("not_a_library", code, msg)
    local _, msg2, code2 = dynlib.open(WFIX .. "/libelf.so")
    assert.equal("wrong_arch", code2, msg2)
    assert.is_false(dynlib.inspect(WFIX .. "/libelf.so").compatible)
  end)
end)

describe("Win64 calls", function()
  local msvcrt
  setup(function() msvcrt = assert(dynlib.open("msvcrt")) end)
  teardown(function() msvcrt:close() end)

  it("passes variadic doubles as Win64 wants (_snprintf with %f)", function()
    local snprintf = msvcrt:func("int _snprintf(char *, size_t, const char *, ...)")
    local buf = dynlib.buffer(64)
    local n = snprintf(buf, 64, "%f|%d|%s|%.2f", 1.5, 42, "x", 2.25)
    assert.equal("1.500000|42|x|2.25", buf:read(0, n))
  end)

  it("sorts with msvcrt's qsort and a Lua comparator", function()
    local qsort = msvcrt:func("void qsort(void *, size_t, size_t, int (*)(const void *, const void *))")
    local values = {5, -3, 9, 0, 2}
    local buf = dynlib.buffer(4 * #values)
    for i, v in ipairs(values) do buf:set("int32_t", (i - 1) * 4, v) end
    local calls = 0
    local cmp = dynlib.callback("int cmp(const void *, const void *)", function(a, b)
      calls = calls + 1
      local x, y = buf:get("int32_t", buf:offset(a)), buf:get("int32_t", buf:offset(b))
      return x < y and -1 or (x > y and 1 or 0)
    end)
    qsort(buf, #values, 4, cmp)
    local got = {}
    for i = 1, #values do got[i] = buf:get("int32_t", (i - 1) * 4) end
    assert.same({-3, 0, 2, 5, 9}, got)
    assert.is_true(calls > 0)
    cmp:free()
  end)

  it("returns GetLastError() read right after the call with {last_error = true}", function()
    local lib = assert(dynlib.open(PLAIN))
    local fail = lib:func("int w_fail_with(unsigned)", {last_error = true})
    local r, e = fail(1234)
    assert.equal(0, r)
    assert.equal(1234, e)
    local k = assert(dynlib.open("kernel32"))
    local set = k:func("void SetLastError(unsigned long)")
    set(0)
    assert.equal(5, select(2, fail(5)))
    lib:close(); k:close()
  end)
end)

describe("Windows plugins", function()
  local function fresh_plugin()
    local dir = H.tmpdir()
    return H.copy(PLUGIN, dir .. "/wplug.dll"), dir
  end

  it("reads metadata, scans and inspects without running DllMain", function()
    local path, dir = fresh_plugin()
    local meta = assert(dynlib.metadata(path))
    assert.equal("wplug", meta.name)
    assert.equal("test.Windows/1", meta.iid)
    local found = dynlib.scan(dir)
    assert.equal(1, #found)
    assert.equal("2.1.0", found[1].meta.version)
    assert.equal("pe", dynlib.inspect(path).format)
    assert.is_nil(H.read(path .. ".ran"), "DllMain ran")
    -- the marker works: loading does run DllMain
    local lib = assert(dynlib.open(path))
    assert.is_truthy(H.read(path .. ".ran"))
    lib:close()
    H.rmdir(dir)
  end)

  it("inspects as mingw's objdump says: machine, imports, exports, characteristics", function()
    local dump = assert(H.read(WFIX .. "/wplug.objdump"))
    local info = assert(dynlib.inspect(PLUGIN))
    assert.equal("x86_64", info.machine)
    assert.equal("dll", info.type)
    assert.is_true(info.compatible)
    local needed = {}
    for dll in dump:gmatch("DLL Name: (%S+)") do needed[#needed + 1] = dll end
    assert.same(needed, info.needed)
    local names = {}
    for _, e in ipairs(info.exports) do names[e.name or ""] = true end
    for name in dump:gmatch("%[%s*%d+%] (wplug_%w+)") do assert.is_true(names[name], name) end
    assert.is_true(names.dynlib_plugin_instance)
    assert.equal(dump:match("DYNAMIC_BASE") ~= nil, info.aslr)
    assert.equal(dump:match("NX_COMPAT") ~= nil, info.dep)
  end)

  it("loads a plugin, calls its entry point once, and unloads it for real at the last close", function()
    local path, dir = fresh_plugin()
    local p = assert(dynlib.plugin(path))
    assert.equal("wplug", p.meta.name)
    local bump = p.lib:func("int wplug_bump(void)")
    assert.equal(42, bump())
    assert.is_true(dynlib.is_loaded(path))
    p.lib:close()
    collectgarbage()
    collectgarbage()
    assert.is_false(dynlib.is_loaded(path))
    H.rmdir(dir)
  end)

  it("refuses truncated copies of a DLL with a reason, never crashing", function()
    local data = assert(H.read(PLUGIN))
    local dir = H.tmpdir()
    for _, n in ipairs({2, 64, 100, 300, 600, 1024, #data // 2}) do
      local path = H.write(dir .. "/cut" .. n .. ".dll", data:sub(1, n))
      local lib, msg, code = dynlib.open(path)
      assert.is_nil(lib, n)
      assert.equal("not_a_library", code, msg)
      assert.is_nil(dynlib.inspect(path))
    end
    H.rmdir(dir)
  end)
end)
