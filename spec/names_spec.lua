-- Names and search: candidate order (Qt's rules), is_library, the search
-- order (dynlib.path, LD_LIBRARY_PATH, ld.so.cache, default directories),
-- GNU ld scripts, the cache's highest version for names without a
-- development link, the current directory never searched for bare names,
-- and the C checks of the cache and script parsers.
local dynlib = require("dynlib")
local H = require("helper")
if H.posix_only("names_spec.lua", H.POSIX_TOOLS) then return end

local NFIX = H.fixture("names")          -- libfixture.so.1 and .so.2, no libfixture.so
local PARSERS = H.build .. "/spec/names_parsers"

local function realpath(p)
  return (H.sh("realpath -e " .. H.quote(p) .. " 2>/dev/null"):gsub("%s+$", ""))
end

local function exists(p)
  local _, ok = H.sh("test -e " .. H.quote(p))
  return ok
end

-- Runs Lua code in a child process with its current directory at dir and
-- extra environment assignments (a shell prefix); returns stdout and stderr.
local function run_in(dir, code, env)
  local root = H.sh("pwd"):gsub("%s+$", "")
  local cmd = ("cd %s && env %s LUA_PATH=%s LUA_CPATH=%s %s -e %s 2>&1"):format(
    H.quote(dir), env or "",
    H.quote(root .. "/lua/?.lua;" .. root .. "/lua/?/init.lua;;"),
    H.quote(H.build .. "/lua/?.so;;"), H.lua,
    H.quote(code))
  return (H.sh(cmd))
end

-- Restores dynlib.path after each spec that changes it.
local saved_path
local function set_path(p)
  saved_path = saved_path or dynlib.path
  dynlib.path = p
end
local function restore_path()
  if saved_path then dynlib.path = saved_path end
  saved_path = nil
end

describe("dynlib.candidates", function()
  it("tries decorated forms first and the bare name last", function()
    assert.same({"libmylib.so", "libmylib", "mylib.so", "mylib"}, dynlib.candidates("mylib"))
  end)

  it("tries a path itself first, then decorated forms in its directory", function()
    assert.same({"/d/mylib", "/d/mylib.so", "/d/libmylib", "/d/libmylib.so"},
      dynlib.candidates("/d/mylib"))
    assert.same({"sub/mylib", "sub/mylib.so", "sub/libmylib", "sub/libmylib.so"},
      dynlib.candidates("sub/mylib"))
    assert.same({"./mylib", "./mylib.so", "./libmylib", "./libmylib.so"},
      dynlib.candidates("./mylib"))
  end)

  it("puts the version after .so", function()
    assert.same({"libz.so.1", "libz", "z.so.1", "z"}, dynlib.candidates("z", {version = 1}))
    assert.same({"libz.so.1.2", "libz", "z.so.1.2", "z"}, dynlib.candidates("z", {version = "1.2"}))
    assert.same({"/d/mylib", "/d/mylib.so.3", "/d/libmylib", "/d/libmylib.so.3"},
      dynlib.candidates("/d/mylib", {version = 3}))
    assert.same({"libz.so.0", "libz", "z.so.0", "z"}, dynlib.candidates("z", {version = 0}))
  end)

  it("does not add a prefix or suffix the name already has", function()
    assert.same({"libfoo.so", "libfoo"}, dynlib.candidates("libfoo"))
    assert.same({"libfoo.so"}, dynlib.candidates("libfoo.so"))
    assert.same({"libfoo.so"}, dynlib.candidates("libfoo.so", {version = 1}))
    assert.same({"libfoo.so.1.2"}, dynlib.candidates("libfoo.so.1.2"))
    assert.same({"libfoo.so", "foo.so"}, dynlib.candidates("foo.so"))
    assert.same({"/d/libfoo.so"}, dynlib.candidates("/d/libfoo.so"))
    assert.same({"/d/foo.so.2", "/d/libfoo.so.2"}, dynlib.candidates("/d/foo.so.2"))
    assert.same({"/d/libfoo", "/d/libfoo.so.1"}, dynlib.candidates("/d/libfoo", {version = 1}))
  end)

  it("adds the suffix to a name whose '.so' is not a suffix", function()
    assert.same({"libfoo.so.x.so", "libfoo.so.x"}, dynlib.candidates("libfoo.so.x"))
    assert.same({"/d.so/libfoo", "/d.so/libfoo.so"}, dynlib.candidates("/d.so/libfoo"))
  end)

  it("raises on an empty name (misuse)", function()
    assert.has_error(function() dynlib.candidates("") end,
      "bad argument #1 to 'candidates' (empty library name)")
    assert.has_error(function() dynlib.find("") end)
  end)

  it("raises on a bad version or a name with a NUL byte", function()
    assert.has_error(function() dynlib.candidates("z", {version = "one"}) end)
    assert.has_error(function() dynlib.candidates("z", {version = "1..2"}) end)
    assert.has_error(function() dynlib.candidates("z", {version = ".1"}) end)
    assert.has_error(function() dynlib.candidates("z", {version = -1}) end)
    assert.has_error(function() dynlib.candidates("z", {version = 1.5}) end)
    assert.has_error(function() dynlib.candidates("z\0y") end)
    assert.has_error(function() dynlib.candidates(nil) end)
  end)
end)

describe("dynlib.is_library", function()
  local yes = {"libfoo.so", "libfoo.so.1.2", "libc-2.7.so", "liboil-0.3.so.0.1.0",
               "/usr/lib/libz.so.1", "foo.so", "libfoo.so.0", "libfoo-0.3.so",
               "foo.so.1", "libfoo.so.1.so", "libfoo.so.20240101.1"}
  local no = {"mylib.dl2", "mylib.bad", "libfoo", "libfoo.so.x", "libfoo.so.1.", "foo.sox",
              ".so", "libfoo.so.1..2", "/dir.so/libfoo", "libfoo.so-0.3", "libfoo.so.1a",
              "libfoo.so.", "libfoo.SO", "libfoo.so.1.sox", "/d/.so.1", ""}
  for _, name in ipairs(yes) do
    it("says yes to " .. name, function() assert.is_true(dynlib.is_library(name)) end)
  end
  for _, name in ipairs(no) do
    it("says no to '" .. name .. "'", function() assert.is_false(dynlib.is_library(name)) end)
  end
end)

describe("dynlib.find", function()
  after_each(restore_path)

  it("follows GNU ld scripts: libm.so and libc.so name the real libraries", function()
    -- The premise: libc.so is a linker script in a searched directory (so
    -- is libm.so on x86-64, where it adds libmvec; elsewhere a link).
    local script
    for _, dir in ipairs(dynlib.search_dirs()) do
      script = script or H.read(dir .. "/libc.so")
    end
    assert.is_truthy(script, "no libc.so (libc6-dev) on this machine")
    assert.matches("GNU ld script", script, 1, true)
    assert.matches("/libm%.so%.6$", dynlib.find("m"))
    assert.matches("/libc%.so%.6$", dynlib.find("c"))
    assert.equal(dynlib.find("m"), dynlib.find("libm.so"))
  end)

  it("finds libz through its development link or the cache, and libz.so.1 by version", function()
    assert.matches("/libz%.so%.1[%d.]*$", dynlib.find("z"))
    assert.matches("/libz%.so%.1[%d.]*$", dynlib.find("z", {version = 1}))
    assert.matches("/libz%.so%.1[%d.]*$", dynlib.find("z", {version = "1"}))
    assert.matches("/libz%.so%.1[%d.]*$", dynlib.find("libz.so.1"))
  end)

  it("returns a real path: no symbolic link left", function()
    local path = dynlib.find("z", {version = 1})
    assert.equal(realpath(path), path)
  end)

  local if_cache = H.it_if(H.cache_lists_arch, H.NO_CACHE)
  if_cache("falls back to the highest libNAME.so.N in ld.so.cache when no libNAME.so exists", function()
    local out = H.sh("/sbin/ldconfig -p")
    local tag = H.ldconfig_tag                      -- "(libc6,x86-64)", "(libc6,AArch64)"
    local versions = {}                             -- name -> {{n, path}, ...}
    for lib, n, path in out:gmatch("\n%s+lib([%w_+-]+)%.so%.([%d.]+) " .. tag:gsub("%p", "%%%0")
                                   .. " => (%S+)") do
      versions[lib] = versions[lib] or {}
      table.insert(versions[lib], {n = n, path = path})
    end
    -- A name with no candidate file in any searched directory.
    local names = {}
    for lib in pairs(versions) do names[#names + 1] = lib end
    table.sort(names)
    local name
    for _, lib in ipairs(names) do
      if not lib:find("^dynlib") then
        local files = {}
        for _, dir in ipairs(dynlib.search_dirs()) do
          for _, c in ipairs(dynlib.candidates(lib)) do files[#files + 1] = H.quote(dir .. "/" .. c) end
        end
        if H.sh("ls -d " .. table.concat(files, " ") .. " 2>/dev/null") == "" then
          name = lib
          break
        end
      end
    end
    assert.is_truthy(name, "no library without a development link on this machine")
    -- The highest version, compared number by number.
    local function key(v)
      local t = {}
      for d in v:gmatch("%d+") do t[#t + 1] = tonumber(d) end
      return t
    end
    local best
    for _, e in ipairs(versions[name]) do
      if not best then best = e else
        local a, b = key(e.n), key(best.n)
        for i = 1, math.max(#a, #b) do
          if (a[i] or -1) ~= (b[i] or -1) then
            if (a[i] or -1) > (b[i] or -1) then best = e end
            break
          end
        end
      end
    end
    local path, err = dynlib.find(name)
    assert.is_truthy(path, err)
    assert.equal(realpath(best.path), path)
  end)

  it("returns nil, message, not_found naming the candidates and where they were looked for", function()
    local path, msg, code = dynlib.find("dynlib_no_such_lib")
    assert.is_nil(path)
    assert.equal("not_found", code)
    assert.matches("dynlib_no_such_lib: not found", msg, 1, true)
    assert.matches("libdynlib_no_such_lib.so, libdynlib_no_such_lib", msg, 1, true)
    assert.matches("ld.so.cache", msg, 1, true)
    path, msg, code = dynlib.find("/nonexistent/dir/plugin")
    assert.is_nil(path)
    assert.equal("not_found", code)
    assert.matches("/nonexistent/dir/libplugin.so", msg, 1, true)
  end)

  it("finds each version of a library, and opens both at once", function()
    set_path({NFIX})
    local p1 = assert(dynlib.find("fixture", {version = 1}))
    local p2 = assert(dynlib.find("fixture", {version = "2"}))
    assert.equal(realpath(NFIX .. "/libfixture.so.1"), p1)
    assert.equal(realpath(NFIX .. "/libfixture.so.2"), p2)
    local v1 = assert(dynlib.open("fixture", {version = 1}))
    local v2 = assert(dynlib.open("fixture", {version = 2}))
    assert.equal(1, v1:func("int fixture_version(void)")())
    assert.equal(2, v2:func("int fixture_version(void)")())
    v1:close()
    v2:close()
  end)

  it("does not guess a version in searched directories: no libfixture.so, not found", function()
    set_path({NFIX})
    local path, msg, code = dynlib.find("fixture")
    assert.is_nil(path)
    assert.equal("not_found", code)
    assert.matches(NFIX, msg, 1, true)
  end)

  it("raises on a bad version", function()
    assert.has_error(function() dynlib.find("z", {version = "x"}) end)
    assert.has_error(function() dynlib.find("z", {version = {}}) end)
  end)

  it("searches dynlib.path first, as a list or a ':'-separated string", function()
    set_path({NFIX})
    assert.same({NFIX}, dynlib.path)
    assert.equal(realpath(NFIX .. "/libfixture.so.1"), dynlib.find("libfixture.so.1"))
    dynlib.path = "/nonexistent:" .. NFIX
    assert.same({"/nonexistent", NFIX}, dynlib.path)
    assert.equal(realpath(NFIX .. "/libfixture.so.1"), dynlib.find("libfixture.so.1"))
    dynlib.path = {}
    assert.is_nil(dynlib.find("libfixture.so.1"))
  end)

  it("lists the search directories: dynlib.path, then LD_LIBRARY_PATH, then defaults", function()
    set_path({"/first", "relative", "/second"})
    local dirs = dynlib.search_dirs()
    assert.equal("/first", dirs[1])
    assert.equal("/second", dirs[2])   -- relative entries are never searched
    local have = {}
    for _, d in ipairs(dirs) do
      assert.equal("/", d:sub(1, 1))
      assert.is_nil(have[d], "listed twice: " .. d)
      have[d] = true
    end
    assert.is_true(have["/usr/lib"] and have["/lib"])
    assert.is_true(have["/usr/lib/" .. H.multiarch], "/usr/lib/" .. H.multiarch)
  end)

  it("raises on a dynlib.path that is not a list of directories", function()
    assert.has_error(function() dynlib.path = 42 end)
    assert.has_error(function() dynlib.path = {"/a:b"} end)
    assert.has_error(function() dynlib.path = {"/a", 7} end)
  end)
end)

describe("GNU ld scripts", function()
  local dir
  before_each(function()
    dir = H.tmpdir()
    set_path({dir, NFIX})
  end)
  after_each(function()
    restore_path()
    H.rmdir(dir)
  end)

  local function script(name, text) H.write(dir .. "/" .. name, text) end

  it("are followed to an absolute path", function()
    script("libabs.so", "/* GNU ld script */\nGROUP ( " .. NFIX .. "/libfixture.so.2 )\n")
    assert.equal(realpath(NFIX .. "/libfixture.so.2"), dynlib.find("abs"))
    assert.equal(realpath(NFIX .. "/libfixture.so.2"), dynlib.find(dir .. "/libabs.so"))
  end)

  it("have a file name or -lNAME searched like a bare name", function()
    script("librel.so", "INPUT(libfixture.so.1)")
    assert.equal(realpath(NFIX .. "/libfixture.so.1"), dynlib.find("rel"))
    H.copy(NFIX .. "/libfixture.so.2", dir .. "/libtarget.so")
    script("libdashl.so", "INPUT(-ltarget)")
    assert.equal(realpath(dir .. "/libtarget.so"), dynlib.find("dashl"))
  end)

  it("are followed through a script naming a script", function()
    script("libouter.so", "GROUP(" .. dir .. "/libinner.so)")
    script("libinner.so", "GROUP(" .. NFIX .. "/libfixture.so.1)")
    assert.equal(realpath(NFIX .. "/libfixture.so.1"), dynlib.find("outer"))
  end)

  it("that loop end with not_a_library", function()
    script("libloop.so", "INPUT(libloop.so)")
    local path, msg, code = dynlib.find("loop")
    assert.is_nil(path)
    assert.equal("not_a_library", code)
    assert.matches("nest", msg, 1, true)
  end)

  it("naming a missing library give not_found naming the script", function()
    script("libdangling.so", "GROUP(/nonexistent/libgone.so.1)")
    local path, msg, code = dynlib.find("dangling")
    assert.is_nil(path)
    assert.equal("not_found", code)
    assert.matches("libdangling.so", msg, 1, true)
    assert.matches("/nonexistent/libgone.so.1", msg, 1, true)
  end)

  it("are told from other text, which is the answer as it is (open refuses it)", function()
    script("libtext.so", "hello, not a script\n")
    assert.equal(realpath(dir .. "/libtext.so"), dynlib.find("text"))
    local lib, _, code = dynlib.open("text")
    assert.is_nil(lib)
    assert.equal("not_a_library", code)
  end)
end)

describe("existing candidates", function()
  local dir
  before_each(function()
    dir = H.tmpdir()
    set_path({dir})
  end)
  after_each(function()
    restore_path()
    H.rmdir(dir)
  end)

  it("pass over directories when searching, and take the first file", function()
    H.sh("mkdir " .. H.quote(dir .. "/libplug.so"))
    H.copy(NFIX .. "/libfixture.so.1", dir .. "/plug.so")
    assert.equal(realpath(dir .. "/plug.so"), dynlib.find("plug"))
  end)

  it("include the exact path even when it is a directory (open then says why)", function()
    H.sh("mkdir " .. H.quote(dir .. "/libdir.so"))
    assert.equal(realpath(dir .. "/libdir.so"), dynlib.find(dir .. "/libdir.so"))
  end)

  it("are the answer even when they will not load", function()
    H.write(dir .. "/libbroken.so", "\127ELF truncated")
    assert.equal(realpath(dir .. "/libbroken.so"), dynlib.find("broken"))
    local lib, _, code = dynlib.open("broken")
    assert.is_nil(lib)
    assert.equal("not_a_library", code)
  end)

  it("follow Qt's order inside one directory", function()
    H.copy(NFIX .. "/libfixture.so.1", dir .. "/ord")
    assert.equal(realpath(dir .. "/ord"), dynlib.find("ord"))
    H.copy(NFIX .. "/libfixture.so.1", dir .. "/ord.so")
    assert.equal(realpath(dir .. "/ord.so"), dynlib.find("ord"))
    H.copy(NFIX .. "/libfixture.so.1", dir .. "/libord")
    assert.equal(realpath(dir .. "/libord"), dynlib.find("ord"))
    H.copy(NFIX .. "/libfixture.so.1", dir .. "/libord.so")
    assert.equal(realpath(dir .. "/libord.so"), dynlib.find("ord"))
    -- A path: itself first.
    assert.equal(realpath(dir .. "/ord"), dynlib.find(dir .. "/ord"))
  end)
end)

describe("the environment", function()
  local dir
  before_each(function()
    dir = H.tmpdir()
    for _, d in ipairs({"a", "b", "sub"}) do H.sh("mkdir " .. H.quote(dir .. "/" .. d)) end
    H.copy(NFIX .. "/libfixture.so.1", dir .. "/a/libdup.so")
    H.copy(NFIX .. "/libfixture.so.2", dir .. "/b/libdup.so")
    H.copy(NFIX .. "/libfixture.so.1", dir .. "/b/libz.so.1")
    H.copy(NFIX .. "/libfixture.so.1", dir .. "/libcwdonly.so")
    H.copy(NFIX .. "/libfixture.so.2", dir .. "/sub/libinsub.so")
  end)
  after_each(function() H.rmdir(dir) end)

  local function env(vars)
    local t = {}
    for k, v in pairs(vars) do t[#t + 1] = k .. "=" .. H.quote(v) end
    table.sort(t)
    return table.concat(t, " ")
  end

  it("DYNLIB_PATH is the initial dynlib.path, searched before LD_LIBRARY_PATH", function()
    local out = run_in("/", [[
      local d = require("dynlib")
      print(table.concat(d.path, "|"))
      print(d.find("dup"))]], env{DYNLIB_PATH = "/nonexistent:" .. dir .. "/a", LD_LIBRARY_PATH = dir .. "/b"})
    assert.equal(("/nonexistent|%s/a\n%s\n"):format(dir, realpath(dir .. "/a/libdup.so")), out)
  end)

  it("dynlib.path = nil resets it to DYNLIB_PATH", function()
    local out = run_in("/", [[
      local d = require("dynlib")
      d.path = {"/x"}
      d.path = nil
      print(table.concat(d.path, "|"))]], env{DYNLIB_PATH = dir .. "/a"})
    assert.equal(dir .. "/a\n", out)
  end)

  it("LD_LIBRARY_PATH is searched before ld.so.cache and the system", function()
    local out = run_in("/", [[print(require("dynlib").find("z", {version = 1}))]],
      env{LD_LIBRARY_PATH = dir .. "/b"})
    assert.equal(realpath(dir .. "/b/libz.so.1") .. "\n", out)
  end)

  it("DYNLIB_DEBUG=1 logs each candidate and why it was passed over", function()
    local out = run_in("/", [[print(require("dynlib").find("dup"))]],
      env{DYNLIB_PATH = "/nonexistent:" .. dir .. "/a", DYNLIB_DEBUG = "1"})
    assert.matches("candidate /nonexistent/libdup.so: No such file or directory", out, 1, true)
    assert.matches("candidate " .. dir .. "/a/libdup.so: exists", out, 1, true)
  end)

  describe("the current directory", function()
    it("is never searched for bare names", function()
      local out = run_in(dir, [[
        local d = require("dynlib")
        print(select(3, d.find("cwdonly")), select(3, d.find("libcwdonly.so")))
        print(select(3, d.open("cwdonly")))]])
      assert.equal("not_found\tnot_found\nnot_found\n", out)
    end)

    it("is not searched through empty or relative LD_LIBRARY_PATH entries", function()
      local out = run_in(dir, [[
        local d = require("dynlib")
        print(select(3, d.find("cwdonly")), select(3, d.find("insub")))]],
        "LD_LIBRARY_PATH=:/nonexistent::.:sub:")
      assert.equal("not_found\tnot_found\n", out)
    end)

    it("is not searched through relative DYNLIB_PATH entries", function()
      local out = run_in(dir, [[print(select(3, require("dynlib").find("insub")))]],
        "DYNLIB_PATH=sub:.")
      assert.equal("not_found\n", out)
    end)

    it("is where ./name.so and sub/name.so are looked up", function()
      local out = run_in(dir, [[
        local d = require("dynlib")
        print(d.find("./libcwdonly.so"), d.find("sub/libinsub.so"), d.find("./cwdonly"))
        local a = assert(d.open("./libcwdonly.so"))
        local b = assert(d.open("sub/insub"))
        print(a.path, b.path)]])
      local real = realpath(dir)
      local a, b = real .. "/libcwdonly.so", real .. "/sub/libinsub.so"
      assert.equal(("%s\t%s\t%s\n%s\t%s\n"):format(a, b, a, a, b), out)
    end)
  end)
end)

describe("the parsers (C checks, built as " .. PARSERS .. ")", function()
  local function run(...)
    local args = {}
    for i, a in ipairs({...}) do args[i] = H.quote(a) end
    return (H.sh(H.program(H.quote(PARSERS)) .. " " .. table.concat(args, " ") .. " 2>&1"))
  end
  local cases = {
    {"cache-new", "read an ld.so.cache image: this architecture only, no hwcaps entries, highest version"},
    {"cache-compat", "read the new part after an old-format table (glibc < 2.32)"},
    {"cache-hostile", "refuse truncated, oversized and out-of-bounds caches without reading outside them"},
    {"version-cmp", "compare versions number by number, any length"},
    {"script-parse", "find the library in GROUP/INPUT: comments, AS_NEEDED, archives, -l, quotes"},
    {"path-threads", "replace and read the dynlib path from many threads at once"},
  }
  for _, c in ipairs(cases) do
    it(c[2], function() assert.equal("ok\n", run(c[1])) end)
  end

  it("read scripts from regular files only, at most 64 KiB, without blocking on a FIFO", function()
    local dir = H.tmpdir()
    local out = run("script-files", dir, NFIX .. "/libfixture.so.1")
    H.rmdir(dir)
    assert.equal("ok\n", out)
  end)

  H.it_if(H.cache_lists_arch, H.NO_CACHE)("agree with the system's cache", function()
    -- Every libNAME.so.N ldconfig lists for this architecture is found by
    -- version through the cache or the default directories.
    local out = H.sh("/sbin/ldconfig -p")
    local tag = H.ldconfig_tag
    local checked, seen = 0, {}
    for lib, n, path in out:gmatch("\n%s+lib([%w_+-]+)%.so%.(%d+) " .. tag:gsub("%p", "%%%0") .. " => (%S+)") do
      local first = not seen[lib .. n]
      seen[lib .. n] = true
      if first and checked < 40 and exists(path) then
        assert.equal(realpath(path), dynlib.find("lib" .. lib .. ".so." .. n))
        checked = checked + 1
      end
    end
    assert.is_true(checked > 0)
  end)
end)
