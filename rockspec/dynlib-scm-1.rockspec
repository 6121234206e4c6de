-- Builds the Lua module with the project's Makefile:
--   luarocks --lua-version=5.4 make rockspec/dynlib-scm-1.rockspec
-- (offline: everything is in this checkout; needs Debian's libffi-dev).
rockspec_format = "3.0"
package = "dynlib"
version = "scm-1"
source = {
   url = "git+file:///dev/null",
}
description = {
   summary = "Load native shared libraries and plugins safely and fast",
   detailed = [[
Finds, checks and loads shared libraries through one reference-counted
store; typed calls from C prototypes; plugin metadata and ELF inspection
without loading a byte of plugin code.]],
   license = "MIT",
}
dependencies = {
   "lua >= 5.4, < 5.5",
}
-- libffi is found by the Makefile with pkg-config (Debian keeps ffi.h
-- in a multiarch folder luarocks does not look in).
build = {
   type = "make",
   build_target = "module",
   install_target = "install-lua",
   build_variables = {
      BUILD = "build-rock",
      CFLAGS = "$(CFLAGS)",
      LUA_CFLAGS = "-I$(LUA_INCDIR)",
   },
   install_variables = {
      BUILD = "build-rock",
      LUA_LMOD = "$(LUADIR)",
      LUA_CMOD = "$(LIBDIR)",
      NO_BIN = "1",
   },
   -- The dynlib command: luarocks installs it with a wrapper that finds
   -- the rock's module.
   install = {
      bin = {
         dynlib = "bin/dynlib",
      },
   },
}
