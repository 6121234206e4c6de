-- The runnable examples (examples/*.lua but the game, which make demo
-- runs): each one runs as a child process with this build's module, exits
-- 0 and prints what it did; a host without its plugins exits non-zero.
local H = require("helper")
if H.posix_only("examples_spec.lua", H.POSIX_TOOLS) then return end

local ROOT = H.sh("pwd"):gsub("%s+$", "")
local BUILD = H.build:sub(1, 1) == "/" and H.build or ROOT .. "/" .. H.build

-- Runs examples/NAME from the repository root; returns its output (stdout
-- and stderr) and exit status. env: more shell assignments.
local function run(name, env)
  local cmd = ("cd %s && LUA_PATH=%s LUA_CPATH=%s DYNLIB_BUILD=%s %s %s %s 2>&1"):format(
    H.quote(ROOT), H.quote(package.path), H.quote(BUILD .. "/lua/?.so;;"), H.quote(BUILD),
    env or "", H.lua, H.quote("examples/" .. name))
  local p = assert(io.popen(cmd, "r"))
  local out = p:read("a")
  local _, _, code = p:close()
  return out, code
end

local demo_built = H.read("examples/plugins/libphysics.so") ~= nil
  and H.read(H.build .. "/examples/libphysics-v2.so") ~= nil
local it_native = H.it_if(not H.cross, "the examples run on the native suite")
local it_demo = H.it_if(not H.cross and demo_built,
  "the host example runs on the native suite, after make demo built examples/plugins")

describe("examples/sqlite.lua", function()
  it_native("queries an in-memory database through libsqlite3.so.0 and exits 0", function()
    local out, code = run("sqlite.lua")
    assert.equal(0, code, out)
    assert.matches("loaded [^\n]*libsqlite3%.so%.0", out)
    assert.matches("Mars=2, Jupiter=95, Saturn=146", out, 1, true)
    assert.matches("a bad statement: code 1, [^\n]*syntax error", out)
    assert.matches("\nok\n$", out)
  end)
end)

describe("examples/zlib.lua", function()
  it_native("compresses and uncompresses a string with libz, round trip checked, exits 0", function()
    local out, code = run("zlib.lua")
    assert.equal(0, code, out)
    assert.matches("compressed 2080 bytes to %d+", out)
    assert.matches("uncompressed 2080 bytes: the round trip gives the same text", out, 1, true)
    assert.matches("uncompress of garbage: code %-3", out)
    assert.matches("\nok\n$", out)
  end)
end)

describe("examples/host.lua", function()
  it_demo("scans the demo's plugins, loads physics reloadable, hot-reloads it, exits 0", function()
    local out, code = run("host.lua")
    assert.equal(0, code, out)
    assert.matches("scanned [^\n]*: 2 physics plugin%(s%)", out)
    assert.matches("found physics [%d.]+ %(abi 1%)", out)
    assert.matches("loaded physics [%d.]+, generation 1: version %d", out)
    assert.matches("reloaded: 2.0.0, generation 2: version 2, falling bodies with drag", out, 1, true)
    assert.matches("a broken file refused %(not_a_library: [^\n]*%); still version 2", out)
    assert.matches("\nok\n$", out)
  end)

  it_native("exits non-zero, saying why, when the folder holds no physics plugin", function()
    local dir = H.tmpdir()
    local out, code = run("host.lua", "DYNLIB_DEMO_PLUGINS=" .. H.quote(dir))
    H.rmdir(dir)
    assert.are_not.equal(0, code)
    assert.matches("0 physics plugin", out, 1, true)
    assert.matches("no usable physics plugin", out, 1, true)
    assert.not_matches("\nok\n", out)
  end)

  it_demo("leaves no folder of its own behind", function()
    local before = H.sh("ls -d /tmp/dynlib-host.* 2>/dev/null")
    run("host.lua")
    assert.equal(before, H.sh("ls -d /tmp/dynlib-host.* 2>/dev/null"))
  end)
end)
