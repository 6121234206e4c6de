/*
 * ptrarg.c - Lua values as pointer arguments (ptrarg.h).
 */
#include <lauxlib.h>

#include "binding/buffer.h"
#include "binding/callback.h"
#include "binding/ptrarg.h"

/* A full userdata: dynlib's own kinds, each checked by its metatable. */
static int userdata_pointer(lua_State *L, int idx, void **out) {
  void *data = ldl_buffer_data(L, idx);
  if (data) {
    *out = data;
    return 1;
  }
  int is_cb;
  void *code = ldl_callback_code(L, idx, &is_cb);
  if (is_cb) {
    *out = code;
    return 1;
  }
  return 0;
}

int ldl_to_pointer(lua_State *L, int idx, void **out) {
  switch (lua_type(L, idx)) {
    case LUA_TNIL:
      *out = NULL;
      return 1;
    case LUA_TLIGHTUSERDATA:
      *out = lua_touserdata(L, idx);
      return 1;
    case LUA_TUSERDATA:
      return userdata_pointer(L, idx, out);
    default:
      return 0;
  }
}

const char *ldl_value_name(lua_State *L, int idx) {
  if (luaL_getmetafield(L, idx, "__name") == LUA_TSTRING) {
    const char *name = lua_tostring(L, -1);
    lua_pop(L, 1); /* the metatable still holds the string */
    return name;
  }
  return luaL_typename(L, idx);
}
