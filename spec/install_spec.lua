-- `make install` installs a C library usable without Lua: headers,
-- libdynlib, dynlib.pc; the Lua module in Lua's standard paths; the dynlib
-- command and its man page.
local H = require("helper")
if H.posix_only("install_spec.lua", H.POSIX_TOOLS) then return end
local dynlib = require("dynlib")

-- A cross suite installs and compiles for its own target (make CROSS=...).
local CROSS = os.getenv("DYNLIB_CROSS") or ""
local CC = os.getenv("DYNLIB_CC") or "cc"

describe("make install", function()
  local dir, root, out, ok
  setup(function()
    dir = H.tmpdir()
    root = dir .. "/root"
    -- A build folder of its own: the suite's module stays untouched.
    out, ok = H.sh(("make -s CROSS=%s BUILD=%s/build DESTDIR=%s PREFIX=/usr/local install 2>&1")
      :format(H.quote(CROSS), H.quote(dir), H.quote(root)))
  end)
  teardown(function() H.rmdir(dir) end)

  it("installs the headers, the core library, dynlib.pc and the Lua module", function()
    assert.is_true(ok, out)
    for _, f in ipairs({"include/dynlib.h", "include/dynlib_plugin.h",
                        "lib/libdynlib.so.0", "lib/libdynlib.a",
                        "lib/pkgconfig/dynlib.pc", "share/lua/5.4/dynlib/init.lua",
                        "lib/lua/5.4/dynlib/core.so"}) do
      assert.is_truthy(H.read(root .. "/usr/local/" .. f), f .. " missing")
    end
    -- for this machine: the module and the library this suite runs on
    for _, f in ipairs({"lib/libdynlib.so.0", "lib/lua/5.4/dynlib/core.so"}) do
      local info = assert(dynlib.inspect(root .. "/usr/local/" .. f))
      assert.equal(dynlib.arch, info.machine, f)
      assert.is_true(info.compatible, f)
    end
  end)

  it("installs the dynlib command (mode 755) and its man page, and the command runs", function()
    assert.is_true(ok, out)
    local bin = root .. "/usr/local/bin/dynlib"
    assert.equal(H.read("bin/dynlib"), H.read(bin))
    assert.equal("755", (H.sh("stat -c %a " .. H.quote(bin)):gsub("%s+$", "")))
    assert.equal(H.read("doc/dynlib.1"), H.read(root .. "/usr/local/share/man/man1/dynlib.1"))
    -- with the installed module only (a cross suite runs the target's Lua)
    local env = ("LUA_PATH=%s LUA_CPATH=%s"):format(
      H.quote(root .. "/usr/local/share/lua/5.4/?.lua;" .. root .. "/usr/local/share/lua/5.4/?/init.lua"),
      H.quote(root .. "/usr/local/lib/lua/5.4/?.so"))
    local found, ran = H.sh(("%s %s %s find c 2>&1"):format(env, H.lua, H.quote(bin)))
    assert.is_true(ran, found)
    assert.equal(dynlib.find("c") .. "\n", found)
  end)

  it("builds and runs a C program against it with pkg-config, without Lua headers", function()
    assert.is_true(ok, out)
    local env = ("PKG_CONFIG_PATH=%s/usr/local/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=%s")
      :format(H.quote(root), H.quote(root))
    local flags = H.sh(env .. " pkg-config --cflags --libs dynlib"):gsub("%s+$", "")
    assert.matches("-ldynlib", flags, 1, true)
    local exe = dir .. "/use_core"
    local cout, built = H.sh(("%s -std=c11 -Wall -Werror -o %s spec/c/use_core.c %s 2>&1")
      :format(CC, H.quote(exe), flags))
    assert.is_true(built, cout)
    local run, ran = H.sh(("LD_LIBRARY_PATH=%s/usr/local/lib %s 2>&1")
      :format(H.quote(root), H.program(H.quote(exe))))
    assert.is_true(ran, run)
    assert.matches("cos%(0%) = 1%.0 from .*libm%.so%.6", run)
    -- the C load hook saw one real load and one real unload, not the re-open
    local _, loads = run:gsub("hook: load libm", "")
    local _, unloads = run:gsub("hook: unload libm", "")
    assert.equal(1, loads)
    assert.equal(1, unloads)
    assert.matches("missing: refused not_found", run)
  end)

  -- `make` then `make install PREFIX=...` (the build above was made for
  -- /usr/local): the installed dynlib.pc must name the install's prefix,
  -- or pkg-config sends the compiler and the linker to /usr/local.
  it("installs a dynlib.pc for the install's own PREFIX, not the build's", function()
    assert.is_true(ok, out)
    local prefix = dir .. "/elsewhere"
    local iout, installed = H.sh(("make -s CROSS=%s BUILD=%s/build PREFIX=%s install 2>&1")
      :format(H.quote(CROSS), H.quote(dir), H.quote(prefix)))
    assert.is_true(installed, iout)
    local pc = assert(H.read(prefix .. "/lib/pkgconfig/dynlib.pc"), "dynlib.pc missing")
    assert.equal("prefix=" .. prefix, pc:match("^[^\n]*"))
    assert.matches("\nlibdir=" .. prefix:gsub("%p", "%%%0") .. "/lib\n", pc)
    assert.matches("\nincludedir=" .. prefix:gsub("%p", "%%%0") .. "/include\n", pc)
    -- a C program built with what pkg-config says, and nothing else
    local env = "PKG_CONFIG_PATH=" .. H.quote(prefix .. "/lib/pkgconfig")
    local flags = H.sh(env .. " pkg-config --cflags --libs dynlib"):gsub("%s+$", "")
    assert.matches("-I" .. prefix .. "/include", flags, 1, true)
    assert.matches("-L" .. prefix .. "/lib", flags, 1, true)
    local exe = dir .. "/use_core_elsewhere"
    local cout, built = H.sh(("%s -std=c11 -Wall -Werror -o %s spec/c/use_core.c %s 2>&1")
      :format(CC, H.quote(exe), flags))
    assert.is_true(built, cout)
    local run, ran = H.sh(("LD_LIBRARY_PATH=%s %s 2>&1")
      :format(H.quote(prefix .. "/lib"), H.program(H.quote(exe))))
    assert.is_true(ran, run)
    assert.matches("cos%(0%) = 1%.0 from .*libm%.so%.6", run)
  end)
end)
