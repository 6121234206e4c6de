/*
 * handcalls.c - the floor of the call benchmark: hand-written lua_CFunction
 * bindings of the fixture functions in libcalls.so, as a C programmer would
 * write them for one known signature each.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <lauxlib.h>
#include <lua.h>
#include <stdint.h>

static int (*p_add)(int, int);
static double (*p_addd)(double, double);
static size_t (*p_strlen)(const char *);
static int64_t (*p_sum6)(int64_t, int64_t, int64_t, int64_t, int64_t, int64_t);
static void (*p_noop)(void);

static int h_add(lua_State *L) {
  lua_pushinteger(L, p_add((int)luaL_checkinteger(L, 1), (int)luaL_checkinteger(L, 2)));
  return 1;
}

static int h_addd(lua_State *L) {
  lua_pushnumber(L, p_addd(luaL_checknumber(L, 1), luaL_checknumber(L, 2)));
  return 1;
}

static int h_strlen(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)p_strlen(luaL_checkstring(L, 1)));
  return 1;
}

static int h_sum6(lua_State *L) {
  lua_pushinteger(L, p_sum6(luaL_checkinteger(L, 1), luaL_checkinteger(L, 2),
                            luaL_checkinteger(L, 3), luaL_checkinteger(L, 4),
                            luaL_checkinteger(L, 5), luaL_checkinteger(L, 6)));
  return 1;
}

static int h_noop(lua_State *L) {
  (void)L;
  p_noop();
  return 0;
}

#define SYM(var, name) *(void **)&var = dlsym(lib, name)

__attribute__((visibility("default"))) int luaopen_handcalls(lua_State *L) {
  void *lib = dlopen(luaL_checkstring(L, 1), RTLD_NOW);
  if (lib == NULL) return luaL_error(L, "%s", dlerror());
  SYM(p_add, "add");
  SYM(p_addd, "addd");
  SYM(p_strlen, "my_strlen");
  SYM(p_sum6, "sum6");
  SYM(p_noop, "noop");
  static const luaL_Reg f[] = {{"add", h_add},     {"addd", h_addd},
                               {"strlen", h_strlen}, {"sum6", h_sum6},
                               {"noop", h_noop},   {NULL, NULL}};
  luaL_newlib(L, f);
  return 1;
}
