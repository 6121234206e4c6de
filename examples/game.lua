-- The example game: discover the plugins next to it, read what each one is
-- without loading it, load the ones it wants, call into them through typed
-- calls, and hot-reload one after its file changed.
--   make demo      (builds the plugins and runs this script)
local dynlib = require("dynlib")

local here = arg and arg[0] and arg[0]:match("^(.*)/[^/]*$") or "examples"
-- A cross build (make demo CROSS=...) keeps its plugins in its build folder.
local plugins_dir = os.getenv("DYNLIB_DEMO_PLUGINS") or here .. "/plugins"
local build = os.getenv("DYNLIB_BUILD") or "build"
local SO = dynlib.os == "windows" and ".dll" or ".so"

local function copy(src, dst)
  local i = assert(io.open(src, "rb"))
  local data = i:read("a")
  i:close()
  -- Write beside the target and rename: a running reader never sees half
  -- a file, and the old inode stays intact for whoever still maps it.
  local tmp = dst .. ".tmp"
  local o = assert(io.open(tmp, "wb"))
  o:write(data)
  o:close()
  if dynlib.os == "windows" then os.remove(dst) end -- rename does not replace there
  assert(os.rename(tmp, dst))
end

-- Start from version 1 of physics, whatever an earlier run left.
copy(build .. "/examples/libphysics-v1" .. SO, plugins_dir .. "/libphysics" .. SO)

print(("dynlib %s (plugin ABI %d)"):format(dynlib.version, dynlib.abi))
print()

-- 1. Discover: metadata only, nothing is loaded.
local found, skipped = dynlib.scan(plugins_dir)
print(("Scanned %s: %d plugins, %d other files"):format(plugins_dir, #found, #skipped))
print(("  %-10s %-8s %-16s %-4s %s"):format("name", "version", "interface", "abi", "file"))
for _, p in ipairs(found) do
  local m = p.meta
  print(("  %-10s %-8s %-16s %-4s %s"):format(m.name, m.version, m.iid, tostring(m.abi),
    p.path:match("[^/]+$")))
end
print("Skipped:")
for _, s in ipairs(skipped) do
  print(("  %-16s %-14s %s"):format(s.path:match("[^/]+$"), s.code, s.reason))
end
print()

-- 2. Inspect a plugin's binary without loading it.
if dynlib.inspect then
  local info = assert(dynlib.inspect(plugins_dir .. "/libphysics" .. SO))
  local names = {}
  for _, e in ipairs(info.exports) do names[#names + 1] = e.name end
  table.sort(names)
  print(("physics, inspected without loading: a %d-bit %s-endian %s %s library, %s for this"
    .. " process, needs %s, exports %s")
    :format(info.class, info.endian, info.machine, info.type,
            info.compatible and "right" or "wrong",
            #info.needed > 0 and table.concat(info.needed, ", ") or "no other library",
            table.concat(names, ", ")))
  print()
end

-- 3. Choose and load: the physics interface, refusing what does not fit.
local physics
for _, p in ipairs(found) do
  if p.meta.iid == "game.Physics/1" then
    -- reloadable: loaded from a private copy, so the file on disk may be
    -- replaced at any time (Windows would refuse to replace a loaded DLL).
    local plugin, err, code = dynlib.plugin(p.path, {iid = "game.Physics/1", reloadable = true})
    if plugin then
      physics = physics or plugin
      print(("Loaded %s %s from %s"):format(plugin.meta.name, plugin.meta.version, p.path))
    else
      print(("Refused %s (%s): %s"):format(p.path:match("[^/]+$"), code, err))
    end
  end
end
assert(physics, "no physics plugin")
local audio = assert(dynlib.plugin(plugins_dir .. "/libaudio" .. SO, {iid = "game.Audio/1"}))
print(("Loaded %s %s: backend %s, %d channels"):format(audio.meta.name, audio.meta.version,
  audio:func("const char *audio_backend(void)")(), audio:func("int audio_channels(void)")()))
-- A Lua-facing plugin: its dynlib_plugin_open returned a table of functions.
local board = assert(dynlib.plugin(plugins_dir .. "/libscoreboard" .. SO, {iid = "game.Lua/1"}))
local scores = board.opened[1]
print(("Loaded %s %s: a Lua module with %s"):format(board.meta.name, board.meta.version,
  "score() and banner()"))
print()

-- 4. Play: typed calls into the plugin, its instance passed back to it.
local function play(p)
  local version = p:func("int physics_version(void)")()
  local describe = p:func("const char *physics_describe(void *instance)")
  local fall = p:func("double physics_fall(double h0, double t)")
  local heights = {}
  for t = 0, 3 do heights[#heights + 1] = ("%.2f"):format(fall(40.0, t)) end
  print(("physics v%d (%s): a ball dropped from 40 m is at %s m after 0..3 s")
    :format(version, describe(p.instance), table.concat(heights, ", ")))
  scores.score(math.floor(fall(40.0, 2) * 100))
end
play(physics)
-- The instance is made once per loaded library, whoever asks.
local again = assert(dynlib.plugin(physics.copy or physics.path))
print(("Asking again gives the same instance: %s"):format(tostring(again.instance == physics.instance)))
again:close()

-- 5. Hot reload: version 2 lands on disk; the game reloads it.
copy(build .. "/examples/libphysics-v2" .. SO, plugins_dir .. "/libphysics" .. SO)
assert(physics:reload())
print(("Reloaded physics: now %s (generation %d%s)"):format(physics.meta.version,
  physics.generation, physics.copy and ", from a private copy" or ""))
play(physics)
print(scores.banner("game over"))
print()

-- 6. What the store holds.
print("Loaded libraries:")
for _, e in ipairs(dynlib.loaded()) do
  print(("  %d handle(s)  %s"):format(e.refs, e.path))
end
