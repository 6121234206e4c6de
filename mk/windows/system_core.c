/* Stand-in for luasystem's system.core (Debian's lua-system) on Windows:
 * the three functions busted takes from it. Built by mk/windows/sysroot.sh,
 * which says why not from Debian's source package. */
#include <windows.h>
#include "lua.h"
#include "lauxlib.h"

/* Wall-clock seconds since the Unix epoch (FILETIME counts 100 ns since
 * 1601). */
static int l_gettime(lua_State *L) {
  FILETIME ft;
  GetSystemTimeAsFileTime(&ft);
  ULONGLONG t = ((ULONGLONG)ft.dwHighDateTime << 32) | ft.dwLowDateTime;
  lua_pushnumber(L, (double)(t - 116444736000000000ULL) / 1e7);
  return 1;
}

static int l_monotime(lua_State *L) {
  LARGE_INTEGER c, f;
  QueryPerformanceCounter(&c);
  QueryPerformanceFrequency(&f);
  lua_pushnumber(L, (double)c.QuadPart / (double)f.QuadPart);
  return 1;
}

static int l_sleep(lua_State *L) {
  lua_Number s = luaL_checknumber(L, 1);
  Sleep(s > 0 ? (DWORD)(s * 1000.0 + 0.5) : 0);
  return 0;
}

__declspec(dllexport) int luaopen_system_core(lua_State *L) {
  static const luaL_Reg fns[] = {
    {"gettime", l_gettime}, {"monotime", l_monotime}, {"sleep", l_sleep},
    {NULL, NULL}};
  luaL_newlib(L, fns);
  lua_pushliteral(L, "dynlib stand-in");
  lua_setfield(L, -2, "_VERSION");
  return 1;
}
