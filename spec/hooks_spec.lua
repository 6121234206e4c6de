-- dynlib.on_load / dynlib.on_unload: told of real loads and unloads only.
local dynlib = require("dynlib")
local H = require("helper")
if H.posix_only("hooks_spec.lua", H.POSIX_TOOLS) then return end

describe("load hooks", function()
  it("are told of every real load and unload, with the path", function()
    local events = {}
    local function record(event, path) events[#events + 1] = event .. " " .. path end
    local stop_load = dynlib.on_load(record)
    local stop_unload = dynlib.on_unload(record)
    local path, dir = H.private_copy("store/libbasic.so")
    local a = assert(dynlib.open(path))
    local b = assert(dynlib.open(path)) -- already loaded: no event
    a:close()                           -- not the last handle: no event
    b:close()
    assert.same({"load " .. a.path, "unload " .. a.path}, events)
    stop_load()
    stop_unload()
    local c = assert(dynlib.open(path))
    c:close()
    assert.equal(2, #events) -- removed hooks are not told any more
    H.rmdir(dir)
  end)

  it("turn a failing hook into a warning, not an error", function()
    local stop = dynlib.on_unload(function() error("hook failed on purpose") end)
    local path, dir = H.private_copy("store/libbasic.so")
    local lib = assert(dynlib.open(path))
    assert.has_no.errors(function() lib:close() end)
    assert.is_true(lib.closed)
    assert.is_false(H.is_mapped(path))
    stop()
    H.rmdir(dir)
  end)

  it("reject what is not a function", function()
    assert.has_error(function() dynlib.on_load("print") end)
    assert.has_error(function() dynlib.on_unload() end)
  end)
end)
