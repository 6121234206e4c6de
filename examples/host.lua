-- A plugin host with hot reload, on the demo's physics plugin (make demo
-- builds it): scan a folder by metadata, load the physics plugin as
-- reloadable, deploy a new version over its file, reload, and survive a
-- broken deployment.
--   make demo && lua5.4 examples/host.lua
-- The demo's folder is only read: the host runs its plugin from a folder of
-- its own. Prints what it did; exits non-zero when anything fails.
local dynlib = require("dynlib")

local here = arg and arg[0] and arg[0]:match("^(.*)/[^/]*$") or "examples"
local plugins = os.getenv("DYNLIB_DEMO_PLUGINS") or here .. "/plugins"
local build = os.getenv("DYNLIB_BUILD") or "build"

local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

-- Writes beside the file and renames over it, as a package manager does.
local function deploy(data, path)
  local tmp = path .. ".new"
  local f = assert(io.open(tmp, "wb"))
  f:write(data)
  f:close()
  assert(os.rename(tmp, path))
end

-- 1. Scan: metadata only, nothing loaded, nothing run.
local found, skipped = assert(dynlib.scan(plugins, {iid = "game.Physics/1"}))
print(("scanned %s: %d physics plugin(s), %d other file(s) skipped"):format(
  plugins, #found, #skipped))
local chosen
for _, p in ipairs(found) do
  print(("  found %s %s (abi %s) %s"):format(p.meta.name, p.meta.version,
    tostring(p.meta.abi), p.path))
  if p.meta.name == "physics" and p.meta.abi == dynlib.abi then chosen = p end
end
assert(chosen, "no usable physics plugin: run make demo first")

-- 2. The host's own plugin folder, holding a copy of the chosen file.
local dir = assert(io.popen("mktemp -d /tmp/dynlib-host.XXXXXX")):read("l")
local live = dir .. "/libphysics.so"
deploy(read(chosen.path), live)

local p
local ok, err = pcall(function()
  -- 3. Load: reloadable runs it from a private copy, so the file may be
  -- rewritten while it runs.
  p = assert(dynlib.plugin(live, {iid = "game.Physics/1", reloadable = true}))
  local version = p:func("int physics_version(void)")
  local describe = p:func("const char *physics_describe(void *instance)")
  print(("loaded %s %s, generation %d: version %d, %s"):format(p.meta.name, p.meta.version,
    p.generation, version(), describe(p.instance)))

  -- 4. Hot reload: version 2 lands on disk.
  deploy(read(build .. "/examples/libphysics-v2.so"), live)
  assert(p:reload())
  assert(p.generation == 2, "generation " .. p.generation)
  -- Functions of the previous generation are closed; make them again.
  local stale = pcall(version)
  assert(not stale, "a function of generation 1 still ran")
  version = p:func("int physics_version(void)")
  describe = p:func("const char *physics_describe(void *instance)")
  assert(version() == 2, "not version 2 after the reload")
  print(("reloaded: %s, generation %d: version %d, %s"):format(p.meta.version, p.generation,
    version(), describe(p.instance)))

  -- 5. A broken deployment: the reload fails, the running version stays.
  deploy("this is not a plugin\n", live)
  local r, msg, code = p:reload()
  assert(r == nil and code == "not_a_library", "a broken file was accepted: " .. tostring(code))
  assert(version() == 2 and p.generation == 2)
  print(("a broken file refused (%s: %s); still version %d"):format(code, msg, version()))
end)
if p then p:close() end -- and with it the private copy beside the live file
os.remove(live)
os.remove(dir)
if not ok then error(err, 0) end
print("ok")
