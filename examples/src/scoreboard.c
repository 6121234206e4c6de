/* A Lua-facing plugin: dynlib_plugin_open hands the game a table of C
 * functions, once per Lua state (like a C module's luaopen_*). */
#include <lauxlib.h>
#include <lua.h>

#include "dynlib_plugin.h"

DYNLIB_PLUGIN("{\"name\": \"scoreboard\", \"version\": \"1.1.0\","
              " \"iid\": \"game.Lua/1\", \"abi\": 1, \"lua\": \"5.4\"}");

static lua_Integer best;

/* score(points) -> the best score so far */
static int score(lua_State *L) {
  lua_Integer p = luaL_checkinteger(L, 1);
  if (p > best) best = p;
  lua_pushinteger(L, best);
  return 1;
}

static int banner(lua_State *L) {
  lua_pushfstring(L, "*** %s: best %d ***", luaL_checkstring(L, 1), (int)best);
  return 1;
}

DYNLIB_EXPORT int dynlib_plugin_open(lua_State *L) {
  luaL_Reg funcs[] = {{"score", score}, {"banner", banner}, {NULL, NULL}};
  luaL_newlib(L, funcs);
  return 1;
}
