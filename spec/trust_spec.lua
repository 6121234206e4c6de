-- Trusted mode: open(path, {trusted = {dirs}}) loads only from inside a
-- trusted directory nobody else can write to, and only libraries whose
-- RPATH/RUNPATH stay inside the trusted directories.
local dynlib = require("dynlib")
local H = require("helper")
if H.posix_only("trust_spec.lua", H.POSIX_TOOLS) then return end

local BASIC = H.fixture("store/libbasic.so")

describe("trusted mode", function()
  local top, root
  before_each(function()
    top = H.tmpdir()                 -- under /tmp: sticky and world-writable above
    root = top .. "/trusted"
    H.sh("mkdir -m 755 " .. H.quote(root))
  end)
  after_each(function() H.rmdir(top) end)

  local function refused(path, trusted, want)
    local lib, msg, code = dynlib.open(path, {trusted = trusted})
    assert.is_nil(lib, path)
    assert.equal("untrusted", code, msg)
    assert.matches(want, msg, 1, true)
  end

  it("opens a library inside a trusted directory", function()
    local path = H.copy(BASIC, root .. "/libbasic.so")
    H.sh("chmod 644 " .. H.quote(path))
    local lib, err = dynlib.open(path, {trusted = {root}})
    assert.is_truthy(lib, err)
    lib:close()
    -- by bare name too, searched through dynlib.path
    local old = dynlib.path
    dynlib.path = {root}
    lib = assert(dynlib.open("basic", {trusted = {root}}))
    dynlib.path = old
    lib:close()
  end)

  it("refuses a library outside every trusted directory", function()
    local path = H.copy(BASIC, top .. "/libbasic.so")
    H.sh("chmod 644 " .. H.quote(path))
    refused(path, {root}, "not inside a trusted directory")
  end)

  it("follows symbolic links to the real file before judging", function()
    local outside = H.copy(BASIC, top .. "/libout.so")
    H.sh("chmod 644 " .. H.quote(outside))
    H.sh(("ln -s %s %s"):format(H.quote(outside), H.quote(root .. "/liblink.so")))
    refused(root .. "/liblink.so", {root}, "not inside a trusted directory")
  end)

  it("refuses files and folders writable by group or others", function()
    local path = H.copy(BASIC, root .. "/libbasic.so")
    H.sh("chmod 666 " .. H.quote(path))
    refused(path, {root}, "libbasic.so: writable by group or others")
    H.sh("mkdir -m 777 " .. H.quote(root .. "/open"))
    local inner = H.copy(BASIC, root .. "/open/libinner.so")
    H.sh("chmod 644 " .. H.quote(inner))
    refused(inner, {root}, "/open: writable by group or others")
  end)

  it("allows a sticky world-writable folder above the trusted root, not at or below it", function()
    local sticky = top .. "/sticky"
    H.sh("mkdir -m 1777 " .. H.quote(sticky) .. " && mkdir -m 755 " .. H.quote(sticky .. "/t"))
    local path = H.copy(BASIC, sticky .. "/t/libbasic.so")
    H.sh("chmod 644 " .. H.quote(path))
    local lib, err = dynlib.open(path, {trusted = {sticky .. "/t"}})
    assert.is_truthy(lib, err)
    lib:close()
    refused(path, {sticky}, "/sticky: writable by group or others")
  end)

  it("refuses files owned by another user", function()
    local path = H.copy(BASIC, root .. "/libbasic.so")
    H.sh("chmod 644 " .. H.quote(path) .. " && chown nobody " .. H.quote(path))
    refused(path, {root}, "owned by user")
  end)

  it("refuses a library whose RPATH points outside, allows $ORIGIN inside", function()
    local rpath = H.copy(H.fixture("elf/librpath.so"), root .. "/librpath.so")
    H.sh("chmod 644 " .. H.quote(rpath))
    refused(rpath, {root}, "RPATH /opt/a is outside the trusted directories")
    local runpath = H.copy(H.fixture("elf/librunpath.so"), root .. "/librunpath.so")
    H.sh("chmod 644 " .. H.quote(runpath))
    local lib, err = dynlib.open(runpath, {trusted = {root}})
    assert.is_truthy(lib, err)
    lib:close()
  end)

  it("raises on a malformed trusted option", function()
    assert.has_error(function() dynlib.open(BASIC, {trusted = "/tmp"}) end)
    assert.has_error(function() dynlib.open(BASIC, {trusted = {}}) end)
    assert.has_error(function() dynlib.open(BASIC, {trusted = {42, {}}}) end)
  end)
end)
