-- The dynlib command (bin/dynlib): every subcommand with good and bad
-- inputs, its exit status (0 ok, 1 refused or not found, 2 usage), its
-- JSON parsed back, --help, colour, and that nothing it looks at is loaded.
local H = require("helper")
if H.posix_only("cli_spec.lua", H.POSIX_TOOLS) then return end
local dynlib = require("dynlib")
local json = require("json")

local ROOT = H.sh("pwd"):gsub("%s+$", "")
local BUILD = H.build:sub(1, 1) == "/" and H.build or ROOT .. "/" .. H.build
local SCRIPT = ROOT .. "/bin/dynlib"
-- script(1) gives a child a terminal, where there are pseudo-terminals.
local HAVE_TERMINAL = H.sh("script -qec 'test -t 1 && echo tty' /dev/null 2>/dev/null"):find("tty") ~= nil
-- The module of this build, whatever folder the command runs in.
local ENV = ("LUA_PATH=%s LUA_CPATH=%s"):format(
  H.quote(ROOT .. "/lua/?.lua;" .. ROOT .. "/lua/?/init.lua;;"),
  H.quote(BUILD .. "/lua/?.so;;"))

-- Runs `dynlib ARGS` (a shell fragment); returns stdout, stderr and the
-- exit status. opts: cwd, env (shell assignments).
local function run(args, opts)
  opts = opts or {}
  local errfile = os.tmpname()
  local cmd = ("cd %s && env -u NO_COLOR -u DYNLIB_COLOR %s %s %s %s %s 2>%s"):format(
    H.quote(opts.cwd or ROOT), ENV, opts.env or "", H.lua, H.quote(SCRIPT), args, H.quote(errfile))
  local p = assert(io.popen(cmd, "r"))
  local out = p:read("a")
  local _, _, code = p:close()
  local err = H.read(errfile) or ""
  os.remove(errfile)
  return out, err, code
end

-- Runs with --json; returns the decoded object, stderr and the status.
local function run_json(args, opts)
  local out, err, code = run(args .. " --json", opts)
  local ok, v = pcall(json.decode, out)
  assert(ok, ("not JSON (%s): %q; stderr %q"):format(tostring(v), out, err))
  assert.is_true(json.is_object(v), out)
  return v, err, code
end

local function usage(args, want)
  local out, err, code = run(args)
  assert.equal(2, code, args .. ": " .. err)
  assert.equal("", out, args)
  assert.matches("^dynlib: ", err)
  if want then assert.matches(want, err, 1, true) end
end

local function real(path)
  return (H.sh("realpath " .. H.quote(path)):gsub("%s+$", ""))
end

-- A private copy of the marker plugin: its constructor leaves FILE.ran.
local function marker_copy(dir)
  local path = H.copy(H.fixture("plugin/libmarker.so"), dir .. "/libmarker.so")
  return path, function() return H.read(path .. ".ran") ~= nil end
end

local OTHER_CLASS = dynlib.arch == "i386" and "check/lib64.so" or "check/lib32.so"

describe("dynlib command", function()
  local dir
  before_each(function() dir = H.tmpdir() end)
  after_each(function() H.rmdir(dir) end)

  describe("help and usage", function()
    it("--help lists every command, on stdout, exit 0", function()
      for _, args in ipairs({"--help", "-h", "help"}) do
        local out, err, code = run(args)
        assert.equal(0, code, err)
        for _, c in ipairs({"find", "inspect", "meta", "scan", "check", "deps", "--json"}) do
          assert.matches(c, out, 1, true)
        end
      end
    end)

    it("--help per command, and `help COMMAND`", function()
      for _, c in ipairs({"find", "inspect", "meta", "scan", "check", "deps"}) do
        local out, err, code = run(c .. " --help")
        assert.equal(0, code, err)
        assert.matches("usage: dynlib " .. c, out, 1, true)
        assert.matches("--json", out, 1, true)
        local again = run("help " .. c)
        assert.equal(out, again)
        -- help wins over a missing argument
        assert.equal(0, select(3, run(c .. " -h")))
      end
    end)

    it("--version names the module's version", function()
      local out, _, code = run("--version")
      assert.equal(0, code)
      assert.matches("dynlib " .. dynlib.version, out, 1, true)
    end)

    it("usage errors exit 2 with the reason on stderr", function()
      local out, err, code = run("")
      assert.equal(2, code)
      assert.equal("", out)
      assert.matches("usage: dynlib", err, 1, true)
      usage("frobnicate", "unknown command 'frobnicate'")
      usage("help frobnicate", "no command 'frobnicate'")
      for _, c in ipairs({"find", "inspect", "meta", "scan", "check", "deps"}) do
        usage(c, "missing argument")
        usage(c .. " a b", "unexpected argument 'b'")
        usage(c .. " a --bogus", "unknown option '--bogus'")
        usage(c .. " ''", "empty argument")
      end
      usage("find z --version", "needs a value")
      usage("find z --version x1", "bad --version 'x1'")
      usage("find z --version 1..2", "bad --version")
      usage("find z --all=yes", "takes no value")
      usage("check x --trusted ''", "empty --trusted")
    end)

    it("takes --name=value and -- before arguments that look like options", function()
      local out, err, code = run("find --version=1 fixture", {env = "DYNLIB_PATH=" .. H.quote(BUILD .. "/fixtures/names")})
      assert.equal(0, code, err)
      assert.matches("libfixture.so.1\n$", out)
      H.copy(H.fixture("check/libtiny.so"), dir .. "/--odd.so")
      out, err, code = run("check -- --odd.so", {cwd = dir})
      assert.equal(0, code, err)
      assert.matches("--odd.so", out, 1, true)
    end)
  end)

  describe("find", function()
    it("prints the path dynlib.open would load; exit 0", function()
      local out, err, code = run("find c")
      assert.equal(0, code, err)
      assert.equal(dynlib.find("c") .. "\n", out)
      local v = run_json("find c")
      assert.is_true(v.found)
      assert.equal(dynlib.find("c"), v.path)
      assert.equal("c", v.name)
      assert.equal(json.null, v.version)
      assert.equal(json.null, v.code)
      assert.equal(json.null, v.error)
      assert.is_nil(v.tried)
    end)

    it("searches DYNLIB_PATH and takes --version", function()
      local env = {env = "DYNLIB_PATH=" .. H.quote(BUILD .. "/fixtures/names")}
      local v = run_json("find fixture --version 2", env)
      assert.equal(real(H.fixture("names/libfixture.so.2")), v.path)
      assert.equal("2", v.version)
      local _, err, code = run("find fixture --version 3", env)
      assert.equal(1, code)
      assert.matches("libfixture.so.3", err, 1, true)
    end)

    it("exits 1 and says why when there is nothing", function()
      local out, err, code = run("find surely-no-such-library")
      assert.equal(1, code)
      assert.equal("", out)
      assert.matches("^dynlib: find: surely%-no%-such%-library: not found %(tried ", err)
      local v, _, jcode = run_json("find surely-no-such-library")
      assert.equal(1, jcode)
      assert.is_false(v.found)
      assert.equal(json.null, v.path)
      assert.equal("not_found", v.code)
      assert.matches("not found", v.error, 1, true)
    end)

    it("--all lists every candidate tried and why it was passed over", function()
      local d1, d2 = dir .. "/one", dir .. "/two"
      H.sh(("mkdir -p %s/libthing.so %s"):format(H.quote(d1), H.quote(d2)))
      local target = H.copy(H.fixture("check/libtiny.so"), d2 .. "/libthing.so")
      local env = {env = "DYNLIB_PATH=" .. H.quote(d1 .. ":" .. d2)}
      local v, err, code = run_json("find thing --all", env)
      assert.equal(0, code, err)
      assert.equal(real(target), v.path)
      local want = {
        {d1 .. "/libthing.so", "directory"}, {d1 .. "/libthing", "missing"},
        {d1 .. "/thing.so", "missing"}, {d1 .. "/thing", "missing"},
        {d2 .. "/libthing.so", "exists"},
      }
      assert.equal(#want, #v.tried)
      for i, w in ipairs(want) do
        assert.equal(w[1], v.tried[i].path)
        assert.equal(w[2], v.tried[i].status)
        assert.equal("dir", v.tried[i].where)
        assert.is_string(v.tried[i].reason)
      end
      assert.equal(dynlib.candidates("thing")[1], v.tried[1].name)
      local out = run("find thing --all", env)
      assert.matches("directory%s+" .. d1:gsub("%p", "%%%0") .. "/libthing.so", out)
      assert.matches("a directory, passed over", out, 1, true)
      assert.matches("=> " .. real(target), out, 1, true)
    end)

    H.it_if(H.cache_lists_arch, H.NO_CACHE)("--all shows the ld.so.cache step of a bare name", function()
      local v, err, code = run_json("find z --all")
      assert.equal(0, code, err)
      local last = v.tried[#v.tried]
      assert.equal("in_cache", last.status)
      assert.equal("ld.so.cache", last.where)
      assert.equal("libz.so", last.name)
      -- a name with no candidate anywhere: the cache's highest libNAME.so.N
      v = run_json("find surely-no-such-library --all")
      assert.is_false(v.found)
      last = v.tried[#v.tried]
      assert.equal("libsurely-no-such-library.so.*", last.name)
      assert.equal("not_in_cache", last.status)
    end)

    it("--all on a path tries its decorated forms in its folder", function()
      local target = H.copy(H.fixture("check/libtiny.so"), dir .. "/libtiny.so")
      local v = run_json("find ./tiny --all", {cwd = dir})
      assert.equal(real(target), v.path)
      local names = {}
      for i, t in ipairs(v.tried) do names[i] = t.path .. "=" .. t.status end
      assert.same({"./tiny=missing", "./tiny.so=missing", "./libtiny=missing", "./libtiny.so=exists"}, names)
    end)
  end)

  describe("inspect", function()
    it("reports format, machine, soname, needed, runpath and build id", function()
      local path = H.fixture("elf/libsymbols.so")
      local info = dynlib.inspect(path)
      local v, err, code = run_json("inspect " .. H.quote(path))
      assert.equal(0, code, err)
      assert.equal(path, v.path)
      assert.equal("elf", v.format)
      assert.equal(dynlib.arch, v.machine)
      assert.equal(info.class, v.class)
      assert.equal(math.type(info.class), math.type(v.class))
      assert.equal("dyn", v.type)
      assert.equal("libsymbols.so.3", v.soname)
      assert.equal(info.build_id, v.build_id)
      assert.is_true(v.compatible)
      assert.is_true(json.is_array(v.needed))
      assert.is_true(json.is_array(v.rpath))
      assert.equal(json.null, v.interp)
      assert.is_nil(v.exports)
      local r = run_json("inspect " .. H.quote(H.fixture("elf/librunpath.so")))
      assert.same({"$ORIGIN/lib"}, setmetatable(r.runpath, nil))
      assert.same({"libm.so.6", "libc.so.6"}, setmetatable(r.needed, nil))
      local out = run("inspect " .. H.quote(H.fixture("elf/librunpath.so")))
      assert.matches("runpath:%s+%$ORIGIN/lib", out)
      assert.matches("needed:%s+libm%.so%.6, libc%.so%.6", out)
      assert.matches("build id:%s+%x+", out)
    end)

    it("--exports lists the exported symbols with their versions", function()
      local path = H.fixture("elf/libsymbols.so")
      local v = run_json("inspect --exports " .. H.quote(path))
      assert.equal(#dynlib.inspect(path).exports, #v.exports)
      local seen = {}
      for _, e in ipairs(v.exports) do
        assert.is_true(json.is_object(e))
        seen[e.name .. "@" .. tostring(e.version) .. "/" .. tostring(e.default)] = e.kind
      end
      assert.equal("func", seen["api@VERS_2.0/true"])
      assert.equal("func", seen["api@VERS_1.0/false"])
      assert.equal("tls", seen["tls_var@VERS_2.0/true"])
      local out = run("inspect " .. H.quote(path) .. " --exports")
      assert.matches("api@@VERS_2.0", out, 1, true)
      assert.matches("api@VERS_1.0", out, 1, true)
    end)

    it("describes another machine's library as not compatible", function()
      local v, err, code = run_json("inspect " .. H.quote(H.fixture(OTHER_CLASS)))
      assert.equal(0, code, err)
      assert.is_false(v.compatible)
      assert.equal(dynlib.arch == "i386" and 64 or 32, v.class)
      local out = run("inspect " .. H.quote(H.fixture(OTHER_CLASS)))
      assert.matches("compatible:%s+no", out)
    end)

    it("exits 1 for a missing file, a text file, a directory", function()
      H.write(dir .. "/notes.txt", "hello\n")
      for _, f in ipairs({dir .. "/nothing.so", dir .. "/notes.txt", dir}) do
        local out, err, code = run("inspect " .. H.quote(f))
        assert.equal(1, code, f)
        assert.equal("", out)
        assert.matches("^dynlib: inspect: ", err)
        local v = run_json("inspect " .. H.quote(f))
        assert.is_string(v.code)
        assert.is_string(v.error)
      end
    end)
  end)

  describe("meta", function()
    it("prints a plugin's metadata without loading it", function()
      local path, ran = marker_copy(dir)
      local v, err, code = run_json("meta " .. H.quote(path))
      assert.equal(0, code, err)
      assert.equal(path, v.path)
      assert.equal("note", v.source)
      assert.equal(dynlib.abi, v.abi)
      assert.equal("marker", v.meta.name)
      assert.equal(42, v.meta.size)
      assert.equal("integer", math.type(v.meta.size))
      assert.equal(0.5, v.meta.ratio)
      assert.equal(json.null, v.meta.none)
      assert.equal(-7, v.meta.nested.x)
      assert.equal(4, #v.meta.list)
      local out = run("meta " .. H.quote(path))
      assert.matches("name:%s+marker", out)
      assert.matches("nested:%s+{\"x\":%-7}", out)
      assert.is_false(ran(), "the plugin's constructor ran")
    end)

    it("a bare file name is the file in the current folder", function()
      marker_copy(dir)
      local v, err, code = run_json("meta libmarker.so", {cwd = dir})
      assert.equal(0, code, err)
      assert.equal("marker", v.meta.name)
    end)

    it("exits 1 with the code for no, bad or unreadable metadata", function()
      for _, c in ipairs({{H.fixture("store/libbasic.so"), "no_metadata"},
                          {H.fixture("plugin/libinvalid.so"), "bad_metadata"},
                          {H.fixture("plugin/libarray.so"), "bad_metadata"},
                          {dir .. "/nothing.so", "not_found"}}) do
        local out, err, code = run("meta " .. H.quote(c[1]))
        assert.equal(1, code, c[1])
        assert.equal("", out)
        assert.matches("^dynlib: meta: ", err)
        local v, _, jcode = run_json("meta " .. H.quote(c[1]))
        assert.equal(1, jcode)
        assert.equal(c[2], v.code)
      end
    end)
  end)

  describe("scan", function()
    it("lists found plugins and skipped files with reasons", function()
      local v, err, code = run_json("scan " .. H.quote(H.fixture("plugin")))
      assert.equal(0, code, err)
      local names, skipped = {}, {}
      for _, p in ipairs(v.found) do names[p.path:match("[^/]+$")] = p end
      for _, s in ipairs(v.skipped) do skipped[s.path:match("[^/]+$")] = s end
      assert.equal("marker", names["libmarker.so"].name)
      assert.equal("1.0.0", names["libmarker.so"].version)
      assert.equal("test.Marker/1", names["libmarker.so"].iid)
      assert.equal(json.null, names["libluaplugin.so"].version)
      assert.equal("bad_metadata", skipped["libinvalid.so"].code)
      assert.matches("invalid JSON", skipped["libinvalid.so"].reason, 1, true)
      assert.equal(json.null, v.iid)
      assert.is_false(v.recursive)
      local out = run("scan " .. H.quote(H.fixture("plugin")))
      assert.matches("found %d+ plugins", out)
      assert.matches("libinvalid.so: bad_metadata: ", out, 1, true)
    end)

    it("--iid filters, --recursive enters sub-folders, nothing is loaded", function()
      local _, ran = marker_copy(dir)
      H.sh("mkdir " .. H.quote(dir .. "/sub"))
      H.copy(H.fixture("plugin/libcounter.so"), dir .. "/sub/libcounter.so")
      local v = run_json("scan " .. H.quote(dir))
      assert.equal(1, #v.found)
      v = run_json("scan " .. H.quote(dir) .. " --recursive")
      assert.equal(2, #v.found)
      assert.is_true(v.recursive)
      v = run_json("scan --recursive --iid test.Counter/1 " .. H.quote(dir))
      assert.equal(1, #v.found)
      assert.equal("test.Counter/1", v.found[1].iid)
      assert.equal("filtered", v.skipped[1].code)
      assert.is_false(ran(), "the plugin's constructor ran")
    end)

    it("an empty folder is scanned (exit 0); a missing one is not (exit 1)", function()
      local v, _, code = run_json("scan " .. H.quote(dir))
      assert.equal(0, code)
      assert.is_true(json.is_array(v.found))
      assert.equal(0, #v.found)
      local out, err
      out, err, code = run("scan " .. H.quote(dir .. "/none"))
      assert.equal(1, code)
      assert.equal("", out)
      assert.matches("^dynlib: scan: ", err)
      v, _, code = run_json("scan " .. H.quote(dir .. "/none"))
      assert.equal(1, code)
      assert.equal("not_found", v.code)
    end)

    it("escapes every file name into valid JSON", function()
      local odd = 'q"b\\s\tn\nc\1.so'
      H.write(dir .. "/" .. odd, "not a library")
      H.write(dir .. "/latin\255.so", "not a library")
      local v, err, code = run_json("scan " .. H.quote(dir))
      assert.equal(0, code, err)
      local paths = {}
      for _, s in ipairs(v.skipped) do paths[#paths + 1] = s.path end
      table.sort(paths)
      assert.equal(2, #paths)
      assert.equal(dir .. "/latin\195\191.so", paths[1]) -- U+00FF for the byte 0xFF
      assert.equal(dir .. "/" .. odd, paths[2])
    end)

    H.it_if(HAVE_TERMINAL, "needs script(1) and a pseudo-terminal")(
      "shows a progress line on a terminal only", function()
        local cmd = ("cd %s && %s %s %s scan --recursive %s"):format(H.quote(ROOT), ENV, H.lua,
          H.quote(SCRIPT), H.quote(dir))
        local out = H.sh("script -qec " .. H.quote(cmd) .. " /dev/null")
        assert.matches("dynlib: scanning " .. dir, out, 1, true)
        local _, err = run("scan --recursive " .. H.quote(dir))
        assert.equal("", err)
      end)
  end)

  describe("check", function()
    it("accepts a library, says which checks ran; exit 0", function()
      local path = H.fixture("check/libtiny.so")
      local out, err, code = run("check " .. H.quote(path))
      assert.equal(0, code, err)
      assert.matches("ok: dynlib.open would accept " .. real(path), out, 1, true)
      assert.matches("checks made before loading", out, 1, true)
      assert.matches("only at load", out, 1, true)
      local v = run_json("check " .. H.quote(path))
      assert.is_true(v.ok)
      assert.equal(real(path), v.real_path)
      assert.equal(json.null, v.code)
      assert.equal("before_load", v.stage)
    end)

    it("a bare name is the file in the current folder, never a search", function()
      H.copy(H.fixture("check/libtiny.so"), dir .. "/libtiny.so")
      local v, err, code = run_json("check libtiny.so", {cwd = dir})
      assert.equal(0, code, err)
      assert.equal(real(dir .. "/libtiny.so"), v.real_path)
      assert.equal("./libtiny.so", v.path)
      -- libc.so.6 is found by dynlib.open("libc.so.6"), but not here
      local v2, _, code2 = run_json("check libc.so.6", {cwd = dir})
      assert.equal(1, code2)
      assert.equal("not_found", v2.code)
    end)

    it("refuses with the code and reason, exit 1, without loading", function()
      local path, ran = marker_copy(dir)
      H.sh("chmod 644 " .. H.quote(path))
      for _, c in ipairs({{H.fixture("check/tiny-pie"), "not_a_library"},
                          {H.fixture("check/tiny.o"), "not_a_library"},
                          {H.fixture(OTHER_CLASS), "wrong_arch"},
                          {H.fixture("check/libtiny.so.debug-copy"), "debug_file"},
                          {dir .. "/nothing.so", "not_found"},
                          {dir, "not_a_library"}}) do
        local out, err, code = run("check " .. H.quote(c[1]))
        assert.equal(1, code, c[1])
        assert.equal("", out)
        assert.matches("^dynlib: check: refused %(" .. c[2] .. "%): ", err)
        local v, _, jcode = run_json("check " .. H.quote(c[1]))
        assert.equal(1, jcode)
        assert.is_false(v.ok)
        assert.equal(c[2], v.code)
        assert.equal(json.null, v.real_path)
      end
      -- trusted mode
      local v, _, code = run_json(("check %s --trusted %s --trusted /nowhere"):format(
        H.quote(path), H.quote(H.fixture("check"))))
      assert.equal(1, code)
      assert.equal("untrusted", v.code)
      assert.same({H.fixture("check"), "/nowhere"}, setmetatable(v.trusted, nil))
      assert.is_false(ran(), "the plugin's constructor ran")
    end)

    it("passes a library with a missing symbol: only the load shows it", function()
      local v, err, code = run_json("check " .. H.quote(H.fixture("check/libunresolved.so")))
      assert.equal(0, code, err)
      assert.is_true(v.ok)
    end)
  end)

  describe("deps", function()
    it("resolves DT_RUNPATH with $ORIGIN, then the cache and default folders", function()
      local path = H.fixture("store/libdependent.so")
      local v, err, code = run_json("deps " .. H.quote(path))
      assert.equal(0, code, err)
      assert.is_true(v.complete)
      assert.equal(0, #v.missing)
      assert.equal("root", v.tree.via)
      local basic = v.tree.needed[1]
      assert.equal("libbasic.so", basic.name)
      assert.equal("runpath", basic.via)
      assert.equal(H.fixture("store") .. "/libbasic.so", basic.path)
      local libc
      for _, n in ipairs(basic.needed) do if n.name == "libc.so.6" then libc = n end end
      assert.is_truthy(libc, "libc.so.6 under libbasic.so")
      assert.is_true(libc.found)
      assert.equal(H.cache_lists_arch and "cache" or "default", libc.via)
      local out = run("deps " .. H.quote(path))
      assert.matches("    libbasic.so => " .. basic.path .. " [runpath]", out, 1, true)
      assert.matches("        libc.so.6 => ", out, 1, true)
    end)

    it("marks missing libraries and exits 1", function()
      local path = H.copy(H.fixture("store/libdependent.so"), dir .. "/libdependent.so")
      local out, err, code = run("deps " .. H.quote(path))
      assert.equal(1, code)
      assert.matches("libbasic.so => not found", out, 1, true)
      assert.matches("^dynlib: deps: missing: libbasic.so", err)
      local v = run_json("deps " .. H.quote(path))
      assert.is_false(v.complete)
      assert.same({"libbasic.so"}, setmetatable(v.missing, nil))
      assert.is_false(v.tree.needed[1].found)
      assert.equal(json.null, v.tree.needed[1].path)
    end)

    it("takes LD_LIBRARY_PATH before DT_RUNPATH, and never dynlib.path", function()
      H.sh("mkdir " .. H.quote(dir .. "/lib"))
      local basic = H.copy(H.fixture("store/libbasic.so"), dir .. "/lib/libbasic.so")
      local path = H.fixture("store/libdependent.so")
      local v = run_json("deps " .. H.quote(path), {env = "LD_LIBRARY_PATH=" .. H.quote(dir .. "/lib")})
      assert.equal("ld_library_path", v.tree.needed[1].via)
      assert.equal(basic, v.tree.needed[1].path)
      local lone = H.copy(path, dir .. "/libdependent.so")
      v = run_json("deps " .. H.quote(lone), {env = "DYNLIB_PATH=" .. H.quote(dir .. "/lib")})
      assert.is_false(v.tree.needed[1].found)
    end)

    H.it_if(not H.cross, "compiles its own fixtures with the host's gcc")(
      "follows DT_RPATH with $ORIGIN, prints cycles and repeats once, loads nothing", function()
        local lib = dir .. "/lib"
        H.sh("mkdir " .. H.quote(lib))
        H.write(dir .. "/a.c", "int b(void); int a(void) { return b(); }\n")
        H.write(dir .. "/b.c", "int b(void) { return 2; }\n")
        H.write(dir .. "/top.c", "int a(void); int b(void); int top(void) { return a() + b(); }\n")
        local cc = "gcc -shared -fPIC -Wl,--no-as-needed "
        local steps = {
          -- libb first alone, then liba on it, then libb again on liba: a cycle
          cc .. "-Wl,-soname,libb.so -o lib/libb.so b.c",
          cc .. "-Wl,-soname,liba.so -o lib/liba.so a.c -Llib -lb '-Wl,-rpath,$ORIGIN'",
          cc .. "-Wl,-soname,libb.so -o lib/libb.so b.c -Llib -la '-Wl,-rpath,$ORIGIN'",
          cc .. "-o libtop.so top.c -Llib -la -lb -Wl,--disable-new-dtags '-Wl,-rpath,$ORIGIN/lib'",
        }
        for _, s in ipairs(steps) do
          local out, ok = H.sh(("cd %s && %s 2>&1"):format(H.quote(dir), s))
          assert.is_true(ok, s .. ": " .. out)
        end
        -- libtop has a DT_RPATH (no RUNPATH)
        local info = dynlib.inspect(dir .. "/libtop.so")
        assert.same({"$ORIGIN/lib"}, info.rpath)
        assert.same({}, info.runpath)
        local v, err, code = run_json("deps " .. H.quote(dir .. "/libtop.so"))
        assert.equal(0, code, err)
        local a, b = v.tree.needed[1], v.tree.needed[2]
        assert.equal("liba.so", a.name)
        assert.equal("rpath", a.via)
        assert.equal(dir .. "/lib/liba.so", a.path)
        assert.is_false(a.seen)
        local b_in_a = a.needed[1]
        assert.equal("libb.so", b_in_a.name)
        assert.equal("runpath", b_in_a.via)
        assert.is_false(b_in_a.seen)
        local a_in_b = b_in_a.needed[1]
        assert.equal("liba.so", a_in_b.name)
        assert.is_true(a_in_b.seen)         -- the cycle ends here
        assert.equal(0, #a_in_b.needed)
        assert.equal("libb.so", b.name)
        assert.is_true(b.seen)              -- printed once, under liba
        local out = run("deps " .. H.quote(dir .. "/libtop.so"))
        local _, full = out:gsub("libb%.so => /", "")
        assert.equal(1, full)
        local _, above = out:gsub("%(see above%)", "")
        assert.is_true(above >= 2)
      end)

    it("exits 1 for a file that is not ELF, and reads nothing it should not", function()
      H.write(dir .. "/notes.txt", "hello\n")
      local out, err, code = run("deps " .. H.quote(dir .. "/notes.txt"))
      assert.equal(1, code)
      assert.equal("", out)
      assert.matches("^dynlib: deps: ", err)
      code = select(3, run("deps " .. H.quote(dir .. "/nothing.so")))
      assert.equal(1, code)
      local path, ran = marker_copy(dir)
      local _, err2, code2 = run("deps " .. H.quote(path))
      assert.equal(0, code2, err2)
      assert.is_false(ran(), "the plugin's constructor ran")
    end)
  end)

  describe("colour", function()
    it("only on a terminal, or when DYNLIB_COLOR=always; never in JSON", function()
      local path = H.quote(H.fixture("check/libtiny.so"))
      local out = run("inspect " .. path)
      assert.is_nil(out:find("\27[", 1, true))
      out = run("inspect " .. path, {env = "DYNLIB_COLOR=always"})
      assert.is_truthy(out:find("\27[", 1, true))
      out = run("inspect " .. path, {env = "DYNLIB_COLOR=never"})
      assert.is_nil(out:find("\27[", 1, true))
      out = run("inspect --json " .. path, {env = "DYNLIB_COLOR=always"})
      assert.is_nil(out:find("\27[", 1, true))
      if HAVE_TERMINAL then
        local cmd = ("cd %s && %s %s %s inspect %s"):format(H.quote(ROOT), ENV, H.lua, H.quote(SCRIPT), path)
        assert.is_truthy(H.sh("env -u NO_COLOR script -qec " .. H.quote(cmd) .. " /dev/null"):find("\27[", 1, true))
        assert.is_nil(H.sh("NO_COLOR=1 script -qec " .. H.quote(cmd) .. " /dev/null"):find("\27[", 1, true))
      end
    end)
  end)

  describe("man page", function()
    it("doc/dynlib.1 names every command and every option of --help", function()
      local man = assert(H.read(ROOT .. "/doc/dynlib.1"))
      for _, c in ipairs({"find", "inspect", "meta", "scan", "check", "deps"}) do
        assert.matches(".B " .. c, man, 1, true)
        local help = run(c .. " --help")
        for opt in help:gmatch("%-%-[%w-]+") do
          assert.matches((opt:gsub("%-", "\\-")), man, 1, true)
        end
      end
      for _, s in ipairs({".SH EXIT STATUS", ".SH JSON FIELDS", "NO_COLOR", "DYNLIB_COLOR"}) do
        assert.matches(s, man, 1, true)
      end
    end)
  end)
end)
