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

/* A key as an error shows it: 'name' for a string, [1] for the rest. */
static const char *key_text(lua_State *L, int key) {
  if (lua_type(L, key) == LUA_TSTRING)
    return lua_pushfstring(L, "'%s'", lua_tostring(L, key));
  luaL_tolstring(L, key, NULL);
  return lua_pushfstring(L, "[%s]", lua_tostring(L, -1));
}

void ldl_check_options(lua_State *L, int idx, const char *fname,
                       const char *const valid[]) {
  idx = lua_absindex(L, idx);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    const char *k = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    int known = 0;
    for (int i = 0; k && valid[i] && !known; i++) known = strcmp(k, valid[i]) == 0;
    if (known) continue;
    luaL_Buffer b;
    const char *text = key_text(L, -1);
    luaL_buffinit(L, &b);
    for (int i = 0; valid[i]; i++) {
      if (i) luaL_addstring(&b, ", ");
      luaL_addstring(&b, valid[i]);
    }
    luaL_pushresult(&b);
    luaL_error(L, "bad option %s to '%s' (valid: %s)", text, fname,
               lua_tostring(L, -1));
  }
}

void ldl_check_list(lua_State *L, int idx, const char *what) {
  idx = lua_absindex(L, idx);
  lua_Integer n = (lua_Integer)lua_rawlen(L, idx);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    int isnum;
    lua_Integer i = lua_tointegerx(L, -1, &isnum);
    if (lua_type(L, -1) == LUA_TNUMBER && isnum && i >= 1 && i <= n) continue;
    luaL_error(L, "bad key %s in %s (a list expected: keys 1 to %I)",
               key_text(L, -1), what, n);
  }
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
