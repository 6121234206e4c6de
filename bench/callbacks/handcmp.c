/*
 * handcmp.c - the floor of the callback benchmark: a qsort comparator
 * written by hand against the Lua API for one known signature, as a C
 * programmer would: it pushes the two int32_t values as integers and
 * lua_calls the Lua function (no protection, no checks).
 *
 * handcmp.comparator(fn) -> the hand comparator's address (light
 * userdata), calling fn; handcmp.drive(cmp, n, base) calls a comparator n
 * times on pairs of the eight int32_t at base, the same loop for every side
 * measured; handcmp.sort(cmp, base, n) sorts n int32_t at base with qsort
 * and cmp (a real sort's pattern: each element compared about log n times,
 * with many others in between).
 */
#include <lauxlib.h>
#include <lua.h>
#include <stdint.h>
#include <stdlib.h>

static lua_State *hand_L;
static int hand_ref = LUA_NOREF;

static int hand_cmp(const void *a, const void *b) {
  lua_State *L = hand_L;
  lua_rawgeti(L, LUA_REGISTRYINDEX, hand_ref);
  lua_pushinteger(L, *(const int32_t *)a);
  lua_pushinteger(L, *(const int32_t *)b);
  lua_call(L, 2, 1);
  int r = (int)lua_tointeger(L, -1);
  lua_pop(L, 1);
  return r;
}

static int h_comparator(lua_State *L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  luaL_unref(L, LUA_REGISTRYINDEX, hand_ref);
  lua_settop(L, 1);
  hand_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  hand_L = L;
  int (*f)(const void *, const void *) = hand_cmp;
  lua_pushlightuserdata(L, *(void **)&f);
  return 1;
}

/* Calls cmp n times over the eight int32_t at base; returns a weighted sum
 * of the results (so nothing is optimised away, and wrong results show). */
static int h_drive(lua_State *L) {
  luaL_checktype(L, 1, LUA_TLIGHTUSERDATA);
  void *p = lua_touserdata(L, 1);
  int (*cmp)(const void *, const void *);
  *(void **)&cmp = p;
  lua_Integer n = luaL_checkinteger(L, 2);
  luaL_checktype(L, 3, LUA_TLIGHTUSERDATA);
  const int32_t *v = lua_touserdata(L, 3); /* eight of them */
  lua_Integer sum = 0;
  for (lua_Integer i = 0; i < n; i++) sum += cmp(&v[i & 7], &v[(i + 3) & 7]) * ((i & 7) + 1);
  lua_pushinteger(L, sum);
  return 1;
}

static int h_sort(lua_State *L) {
  luaL_checktype(L, 1, LUA_TLIGHTUSERDATA);
  void *p = lua_touserdata(L, 1);
  int (*cmp)(const void *, const void *);
  *(void **)&cmp = p;
  luaL_checktype(L, 2, LUA_TLIGHTUSERDATA);
  lua_Integer n = luaL_checkinteger(L, 3);
  qsort(lua_touserdata(L, 2), (size_t)n, sizeof(int32_t), cmp);
  return 0;
}

__attribute__((visibility("default"))) int luaopen_handcmp(lua_State *L) {
  static const luaL_Reg f[] = {{"comparator", h_comparator}, {"drive", h_drive},
                               {"sort", h_sort}, {NULL, NULL}};
  luaL_newlib(L, f);
  return 1;
}
