-- Nothing reaches dlopen that is not a shared library for this machine, and
-- every refusal names the file and says why.
local dynlib = require("dynlib")
local H = require("helper")
if H.posix_only("check_spec.lua", H.POSIX_TOOLS) then return end
local E = require("elfpatch")

local KFIX = H.fixture("check")
local GOOD = KFIX .. "/libtiny.so"

-- A shared object of the other class: 32-bit i386 for 64-bit targets,
-- 64-bit x86-64 for i686 (spec/fixtures/check.mk builds both).
local OTHER_CLASS = dynlib.arch == "i386" and {file = "lib64.so", what = "64-bit little-endian x86_64"}
                                          or {file = "lib32.so", what = "32-bit little-endian i386"}

local function refused(path, want_code, want_msg)
  local lib, msg, code = dynlib.open(path)
  assert.is_nil(lib, path .. " was opened")
  assert.equal(want_code, code, msg)
  assert.matches(path:match("[^/]+$"), msg, 1, true)
  if want_msg then assert.matches(want_msg, msg, 1, true) end
  return msg
end

describe("dynlib.open refuses", function()
  local dir
  before_each(function() dir = H.tmpdir() end)
  after_each(function() H.rmdir(dir) end)

  it("a missing file", function()
    refused(dir .. "/libnothing.so", "not_found")
  end)

  it("a directory", function()
    H.sh("mkdir " .. H.quote(dir .. "/libdir.so"))
    refused(dir .. "/libdir.so", "not_a_library", "a directory")
  end)

  it("a FIFO, without blocking (checked in a child that a timeout would kill)", function()
    H.sh("mkfifo " .. H.quote(dir .. "/libfifo.so"))
    local out, ok = H.sh(("timeout 10 env LUA_PATH=%s LUA_CPATH=%s %s -e %s 2>&1"):format(
      H.quote(package.path), H.quote(package.cpath), H.lua,
      H.quote(("print(select(3, require('dynlib').open(%q)))"):format(dir .. "/libfifo.so"))))
    assert.is_true(ok, out)
    assert.equal("not_a_library\n", out)
    refused(dir .. "/libfifo.so", "not_a_library", "a FIFO")
  end)

  it("devices, which are never opened", function()
    refused("/dev/null", "not_a_library", "a character device")
    refused("/dev/zero", "not_a_library", "a character device")
  end)

  it("an empty file, a text file and a shell script", function()
    refused(H.write(dir .. "/libempty.so", ""), "not_a_library", "empty file")
    refused(H.write(dir .. "/libtext.so", "hello, world\n"), "not_a_library", "not an ELF file")
    refused(H.write(dir .. "/libscript.so", "#!/bin/sh\necho hi\n"), "not_a_library", "not an ELF file")
  end)

  it("truncated copies of a library at many lengths", function()
    local data = E.read(GOOD)
    local lengths = {1, 3, 4, 5, 15, 16, 17, 40, 52, 63, 64, 65, 100, 200, 400, 600, 1000}
    for n = 1024, #data - 1, 509 do lengths[#lengths + 1] = n end
    for _, n in ipairs(lengths) do
      local path = E.write(dir .. "/libcut.so", data:sub(1, n))
      local lib, msg, code = dynlib.open(path)
      assert.is_nil(lib, n)
      -- Cut in the headers: our check says why; cut later: the loader does.
      assert.is_truthy(code == "not_a_library" or code == "load_failed", n .. ": " .. tostring(code))
      assert.matches("libcut.so", msg, 1, true)
    end
    refused(E.write(dir .. "/libcut.so", data:sub(1, 10)), "not_a_library", "truncated ELF header")
  end)

  it("random bytes", function()
    math.randomseed(42)
    for i = 1, 20 do
      local t = {}
      for k = 1, 64 + i * 37 do t[k] = string.char(math.random(0, 255)) end
      local bytes = table.concat(t)
      if i % 2 == 0 then bytes = "\127ELF" .. bytes end -- random after a valid magic
      local path = E.write(dir .. "/librandom.so", bytes)
      local lib, msg, code = dynlib.open(path)
      assert.is_nil(lib)
      assert.equal("not_a_library", code, msg)
    end
  end)

  it("a 32-bit shared object", function()
    -- On i686 32-bit is this process's class: there the other one is 64-bit.
    refused(KFIX .. "/" .. OTHER_CLASS.file, "wrong_arch", "different processor (" .. OTHER_CLASS.what)
  end)

  it("a copy for another machine", function()
    -- aarch64 (183) unless that is this machine: then x86-64 (62).
    local machine, name = 183, "aarch64"
    if dynlib.arch == "aarch64" then machine, name = 62, "x86_64" end
    local data = E.read(GOOD)
    local path = E.write(dir .. "/libother.so", E.patch(data, "machine", machine))
    refused(path, "wrong_arch", ("different processor (%d-bit little-endian %s;")
      :format(E.layout(data).class, name))
  end)

  it("a copy for another machine, naming both machines", function()
    local machine, name = 183, "aarch64"
    if dynlib.arch == "aarch64" then machine, name = 62, "x86_64" end
    local data = E.read(GOOD)
    local path = E.write(dir .. "/libother.so", E.patch(data, "machine", machine))
    local msg = refused(path, "wrong_arch")
    local bits = E.layout(data).class
    assert.matches(("(%d-bit little-endian %s; this process is %d-bit little-endian %s)")
      :format(bits, name, bits, dynlib.arch), msg, 1, true)
  end)

  it("a copy with the other byte order", function()
    local data = E.read(GOOD)
    local path = E.write(dir .. "/libbig.so", E.patch(data, "data", 2))
    refused(path, "wrong_arch", E.layout(data).class .. "-bit big-endian")
  end)

  it("executables, PIE or not", function()
    refused(KFIX .. "/tiny-pie", "not_a_library", "position-independent executable")
    refused(KFIX .. "/tiny-exec", "not_a_library", "is an executable")
    -- The system's own PIE, where it is this machine's (not on a cross target).
    if not H.cross then refused("/bin/ls", "not_a_library", "position-independent executable") end
  end)

  it("a library whose DT_FLAGS_1 says DF_1_PIE", function()
    -- The first DT_NULL becomes DT_FLAGS_1 = DF_1_PIE; the padding after
    -- it still ends the table.
    local data = E.read(GOOD)
    local patched
    local dyn = E.dynamic(data)
    for i = 1, #dyn - 1 do
      if not patched and dyn[i].tag == E.DT_NULL and dyn[i + 1].tag == E.DT_NULL then
        patched = E.dyn_set(data, dyn[i].at, E.DT_FLAGS_1, 0x08000000)
      end
    end
    refused(E.write(dir .. "/libpie.so", assert(patched)), "not_a_library", "position-independent executable")
  end)

  it("a relocatable object file", function()
    refused(KFIX .. "/tiny.o", "not_a_library", "relocatable object")
  end)

  it("a separate debug file, by content and by name", function()
    refused(KFIX .. "/libtiny.so.debug-copy", "debug_file", ".dynamic is NOBITS")
    local named = H.copy(GOOD, dir .. "/libtiny.so.debug")
    refused(named, "debug_file", "*.debug")
    refused(dir .. "/libmissing.so.debug", "not_found") -- the name alone says nothing
  end)

  it("broken ELF headers, each with its own reason", function()
    local data = E.read(GOOD)
    local cases = {
      {"class", 9, "invalid ELF class 9"},
      {"version", 0, "invalid ELF version 0"},
      {"file_version", 5, "invalid ELF file version 5"},
      {"type", 4, "core dump"},
      {"type", 77, "unknown ELF file type 77"},
      {"phoff", #data - 10, "program header table extends past the end of the file"},
      {"phentsize", 8, "program header table entry size 8 is too small"},
      {"ehsize", 10, "ELF header size 10 is too small"},
    }
    for _, c in ipairs(cases) do
      local path = E.write(dir .. "/libbroken.so", E.patch(data, c[1], c[2]))
      refused(path, "not_a_library", c[3])
    end
    refused(E.write(dir .. "/libbroken.so", E.splice(data, 0, "\127ELG")), "not_a_library", "bad magic")
  end)
end)

describe("binding", function()
  it("is immediate by default: an unresolved symbol fails the open, naming it", function()
    local msg = refused(KFIX .. "/libunresolved.so", "load_failed", "dynlib_nowhere_defined")
    assert.matches("cannot load", msg, 1, true)
  end)

  it("is lazy when asked: the library opens, its other functions work", function()
    local lib = assert(dynlib.open(KFIX .. "/libunresolved.so", {lazy = true}))
    assert.equal(1, lib:func("int harmless(void)")())
    assert.is_true(dynlib.loaded()[1] ~= nil)
    lib:close()
  end)
end)

describe("a good library", function()
  it("passes the checks and loads", function()
    local lib = assert(dynlib.open(GOOD))
    assert.equal(7, lib:func("int tiny_value(void)")())
    lib:close()
  end)

  it("may have PT_INTERP, as libc does: that alone is no executable", function()
    local libc = H.libdir() .. "/libc.so.6"
    local info = assert(dynlib.inspect(libc))
    assert.matches("ld%-linux", info.interp)
    assert.is_false(info.pie)
    local lib = assert(dynlib.open(libc))
    assert.is_truthy(lib:sym("printf"))
    lib:close()
  end)
end)

-- dynlib.check: open's checks before loading, without loading anything.
describe("dynlib.check", function()
  local dir
  before_each(function() dir = H.tmpdir() end)
  after_each(function() H.rmdir(dir) end)

  it("returns the real path of a good library, without loading it", function()
    local path = H.copy(GOOD, dir .. "/libtiny.so")
    H.sh(("ln -s libtiny.so %s"):format(H.quote(dir .. "/liblink.so")))
    local real = H.sh("realpath " .. H.quote(path)):gsub("%s+$", "")
    assert.equal(real, dynlib.check(dir .. "/liblink.so"))
    assert.is_false(H.is_mapped(path))
  end)

  it("passes a library whose symbols are missing: only the load tells", function()
    local path, copy_dir = H.private_copy("check/libunresolved.so")
    assert.is_truthy(dynlib.check(path))
    assert.is_false(H.is_mapped(path))
    H.rmdir(copy_dir)
  end)

  it("searches a bare name as open does", function()
    assert.equal(dynlib.find("c"), dynlib.check("c"))
    local ok, msg, code = dynlib.check("surely-no-such-library")
    assert.is_nil(ok)
    assert.equal("not_found", code, msg)
  end)

  it("refuses what open refuses, with open's code and message", function()
    local cases = {
      {dir .. "/libnothing.so", "not_found"},
      {dir, "not_a_library"},
      {H.write(dir .. "/libtext.so", "hello\n"), "not_a_library"},
      {KFIX .. "/tiny-pie", "not_a_library"},
      {KFIX .. "/tiny.o", "not_a_library"},
      {KFIX .. "/" .. OTHER_CLASS.file, "wrong_arch"},
      {KFIX .. "/libtiny.so.debug-copy", "debug_file"},
    }
    for _, c in ipairs(cases) do
      local ok, msg, code = dynlib.check(c[1])
      assert.is_nil(ok, c[1])
      assert.equal(c[2], code, msg)
      local _, open_msg, open_code = dynlib.open(c[1])
      assert.equal(open_code, code)
      assert.equal(open_msg, msg)
    end
  end)

  it("applies trusted mode, and raises on a malformed option", function()
    local ok, msg, code = dynlib.check(GOOD, {trusted = {dir}})
    assert.is_nil(ok)
    assert.equal("untrusted", code)
    assert.matches("not inside a trusted directory", msg, 1, true)
    assert.has_error(function() dynlib.check(GOOD, {trusted = "/tmp"}) end)
    assert.has_error(function() dynlib.check(GOOD, {version = "x"}) end)
    assert.has_error(function() dynlib.check("") end)
  end)
end)
