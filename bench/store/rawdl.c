/*
 * rawdl.c - the floor for the store benchmark: a hand-written Lua binding
 * of dlopen + dlclose, the least any loader binding can do, and of stat.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <sys/stat.h>
#include <lauxlib.h>
#include <lua.h>

static int raw_open(lua_State *L) {
  void *h = dlopen(luaL_checkstring(L, 1), RTLD_NOW | RTLD_LOCAL);
  if (h == NULL) return luaL_error(L, "%s", dlerror());
  lua_pushlightuserdata(L, h);
  return 1;
}

static int raw_close(lua_State *L) {
  luaL_checktype(L, 1, LUA_TLIGHTUSERDATA);
  lua_pushinteger(L, dlclose(lua_touserdata(L, 1)));
  return 1;
}

/* One stat: what validating a cached name costs at the least. */
static int raw_stat(lua_State *L) {
  struct stat st;
  lua_pushboolean(L, stat(luaL_checkstring(L, 1), &st) == 0);
  return 1;
}

__attribute__((visibility("default"))) int luaopen_rawdl(lua_State *L) {
  static const luaL_Reg f[] = {{"open", raw_open}, {"close", raw_close},
                               {"stat", raw_stat},
                               {NULL, NULL}};
  luaL_newlib(L, f);
  return 1;
}
