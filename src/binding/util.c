/*
 * util.c - helpers shared by the binding's files (util.h).
 */
#include <string.h>

#include "binding/util.h"

int ldl_fail(lua_State *L, const dynlib_error *err) {
  luaL_pushfail(L);
  lua_pushstring(L, err->msg);
  lua_pushstring(L, dynlib_code_name(err->code));
  return 3;
}

const char *ldl_checkcstr(lua_State *L, int idx) {
  size_t len;
  const char *s = luaL_checklstring(L, idx, &len);
  if (strlen(s) != len)
    luaL_argerror(L, idx, "string contains a NUL byte");
  return s;
}

void ldl_registry_table(lua_State *L, const void *key) {
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, key) == LUA_TTABLE) return;
  lua_pop(L, 1);
  lua_newtable(L);
  lua_pushvalue(L, -1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, key);
}

ldl_lib *ldl_checklib(lua_State *L, int idx) {
  return (ldl_lib *)luaL_checkudata(L, idx, LDL_LIB_MT);
}

void ldl_add_lib_methods(lua_State *L, const luaL_Reg *methods) {
  luaL_newmetatable(L, LDL_LIB_MT); /* the existing one, or a new one */
  if (lua_getfield(L, -1, "__methods") != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, "__methods");
  }
  luaL_setfuncs(L, methods, 0);
  lua_pop(L, 2);
}
