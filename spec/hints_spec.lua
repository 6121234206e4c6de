-- Load hints (global, nodelete, deepbind, lazy) observed through their
-- effects, and DYNLIB_DEBUG's log of the candidates tried.
local dynlib = require("dynlib")
local H = require("helper")
if H.posix_only("hints_spec.lua", H.POSIX_TOOLS) then return end

local SFIX = H.fixture("store")

-- Private copies of fixtures in one fresh folder (global promotion and
-- nodelete last as long as the process: every spec needs its own files).
local function copies(...)
  local dir = H.tmpdir()
  local paths = {}
  for i, name in ipairs({...}) do
    paths[i] = H.copy(SFIX .. "/" .. name, dir .. "/" .. name)
  end
  return dir, table.unpack(paths)
end

local function loaded_entry(path)
  for _, e in ipairs(dynlib.loaded()) do
    if e.path == path then return e end
  end
end

describe("the global hint", function()
  it("is off by default: a later library cannot bind to our symbols", function()
    local dir, provider, consumer = copies("libprovider.so", "libconsumer.so")
    local p = assert(dynlib.open(provider))
    local c, msg, code = dynlib.open(consumer)
    assert.is_nil(c)
    assert.equal("load_failed", code)
    assert.matches("libconsumer.so", msg, 1, true)
    assert.matches("provided_value", msg, 1, true)
    p:close()
    H.rmdir(dir)
  end)

  it("lets a later library bind to the first one's symbols", function()
    local dir, provider, consumer = copies("libprovider.so", "libconsumer.so")
    local p = assert(dynlib.open(provider, {global = true}))
    assert.is_true(loaded_entry(p.path).global)
    local c, err = dynlib.open(consumer)
    assert.is_truthy(c, err)
    assert.equal(1235, c:func("int consumer_value(void)")())
    c:close()
    p:close()
    H.rmdir(dir)
  end)

  it("takes effect when an already-open library is opened again with it", function()
    local dir, provider, consumer = copies("libprovider.so", "libconsumer.so")
    local local_handle = assert(dynlib.open(provider))
    assert.is_false(loaded_entry(local_handle.path).global)
    local global_handle = assert(dynlib.open(provider, {global = true}))
    assert.equal(2, loaded_entry(local_handle.path).refs)
    assert.is_true(loaded_entry(local_handle.path).global)
    local c, err = dynlib.open(consumer)
    assert.is_truthy(c, err)
    c:close()
    global_handle:close()
    local_handle:close()
    H.rmdir(dir)
  end)
end)

describe("the nodelete hint", function()
  it("keeps the library mapped after the last close", function()
    local dir, basic = copies("libbasic.so")
    local lib = assert(dynlib.open(basic, {nodelete = true}))
    local real = lib.path
    lib:close()
    assert.is_nil(loaded_entry(real))
    assert.is_true(H.is_mapped(basic))
    assert.is_nil(H.read(basic .. ".unloaded"))
    H.rmdir(dir)
  end)

  it("takes effect when an already-open library is opened again with it", function()
    local dir, basic = copies("libbasic.so")
    local a = assert(dynlib.open(basic))
    local b = assert(dynlib.open(basic, {nodelete = true}))
    assert.is_true(loaded_entry(a.path).nodelete)
    a:close()
    b:close()
    assert.is_true(H.is_mapped(basic))
    assert.is_nil(H.read(basic .. ".unloaded"))
    H.rmdir(dir)
  end)

  it("is needed: without it the same copy is unmapped", function()
    local dir, basic = copies("libbasic.so")
    local lib = assert(dynlib.open(basic))
    lib:close()
    assert.is_false(H.is_mapped(basic))
    assert.equal("unloaded\n", H.read(basic .. ".unloaded"))
    H.rmdir(dir)
  end)
end)

describe("the deepbind hint", function()
  -- RTLD_DEEPBIND aborts under ASan and TSan (docs/design.md section 8).
  local run = H.sanitized and pending or it
  run("opens a library with RTLD_DEEPBIND", function()
    local dir, basic = copies("libbasic.so")
    local lib = assert(dynlib.open(basic, {deepbind = true}))
    assert.is_true(loaded_entry(lib.path).deepbind)
    assert.is_true(H.is_pointer(lib:sym("basic_answer")))
    lib:close()
    H.rmdir(dir)
  end)
end)

describe("DYNLIB_DEBUG=1", function()
  local function run_child(code)
    local env = ("DYNLIB_DEBUG=1 LUA_PATH=%s LUA_CPATH=%s DYNLIB_BUILD=%s"):format(
      H.quote(package.path), H.quote(package.cpath), H.quote(H.build))
    return H.sh(env .. " " .. H.lua .. " -e " .. H.quote(code) .. " 2>&1")
  end

  it("logs each candidate tried and why it was rejected, to stderr", function()
    local out = run_child([[
      local dynlib = require("dynlib")
      dynlib.path = {"/nonexistent-dynlib-dir"}
      assert(dynlib.open("m"))
      assert(not dynlib.open("dynlib_missing_for_debug"))]])
    assert.matches("dynlib: ", out, 1, true)
    assert.matches("/nonexistent-dynlib-dir/libm.so", out, 1, true)
    assert.matches("libdynlib_missing_for_debug.so", out, 1, true)
    assert.matches("loaded .*libm%.so%.6", out)
  end)

  it("is silent when unset", function()
    local out = H.sh(("LUA_PATH=%s LUA_CPATH=%s %s -e %s 2>&1"):format(
      H.quote(package.path), H.quote(package.cpath), H.lua,
      H.quote([[assert(require("dynlib").open("m")) print("done")]])))
    assert.equal("done\n", out)
  end)
end)
