/*
 * module.c - luaopen_dynlib_core, the top of the binding: makes the module
 * table and lets each binding file register into it (module.h).
 */
#include <lauxlib.h>
#include <lua.h>

#include "binding/module.h"
#include "dynlib.h"
#include "formats/elf.h"
#include "formats/inspect.h"
#include "os/os.h"

#if defined(_WIN32)
#define LDL_EXPORT __declspec(dllexport)
#else
#define LDL_EXPORT __attribute__((visibility("default")))
#endif

LDL_EXPORT int luaopen_dynlib_core(lua_State *L);

LDL_EXPORT int luaopen_dynlib_core(lua_State *L) {
  lua_newtable(L);
  lua_pushliteral(L, DYNLIB_VERSION);
  lua_setfield(L, -2, "version");
  lua_pushinteger(L, DYNLIB_ABI_VERSION);
  lua_setfield(L, -2, "abi");
  /* What scripts and specs branch on: the system and the machine this
   * build runs on ("linux", "x86_64"; the names inspect() uses). */
  lua_pushstring(L, dl_os_name());
  lua_setfield(L, -2, "os");
  const char *arch = dl_machine_name((unsigned)dl_elf_host_machine());
  lua_pushstring(L, arch ? arch : "unknown");
  lua_setfield(L, -2, "arch");
  /* Between folders in dynlib.path and DYNLIB_PATH: ':', or ';' on
   * Windows, where drive letters hold ':'. */
  const char sep[2] = {DL_OS_PATH_LIST_SEP, '\0'};
  lua_pushstring(L, sep);
  lua_setfield(L, -2, "path_sep");
  ldl_open_library(L);
  ldl_open_call(L);
  ldl_open_meta(L);
  ldl_open_inspect(L);
  ldl_open_callback(L);
  ldl_open_buffer(L);
  ldl_open_cdef(L);
  ldl_open_cdata(L);
  ldl_open_cfunc(L);
  ldl_open_fnptr(L);
  return 1;
}
