/* Stand-in for lua-term's term.core on Windows: isatty always says no, so
 * busted and term.colors print no escape sequences (wine's console and
 * pipes would show them raw). Built by mk/windows/sysroot.sh, which says
 * why not from Debian's source package. */
#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"

static int l_isatty(lua_State *L) {
  luaL_checkudata(L, 1, LUA_FILEHANDLE);
  lua_pushboolean(L, 0);
  return 1;
}

__declspec(dllexport) int luaopen_term_core(lua_State *L) {
  static const luaL_Reg fns[] = {{"isatty", l_isatty}, {NULL, NULL}};
  luaL_newlib(L, fns);
  return 1;
}
