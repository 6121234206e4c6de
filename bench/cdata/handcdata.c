/*
 * handcdata.c - the floor of the typed-memory benchmark: a C programmer's
 * hand-written lua_CFunction binding of one known struct (fields by name
 * through __index/__newindex) and of an int32_t array (elements by index,
 * bounds-checked), the same accesses dynlib's typed objects make.
 */
#include <lauxlib.h>
#include <lua.h>
#include <stdint.h>
#include <string.h>

struct bench_pt {
  int32_t x, y;
  double d;
};

typedef struct iarr {
  int32_t *p;
  lua_Integer n;
} iarr;

static int pt_index(lua_State *L) {
  struct bench_pt *p = luaL_checkudata(L, 1, "hand.pt");
  const char *k = luaL_checkstring(L, 2);
  if (strcmp(k, "x") == 0) lua_pushinteger(L, p->x);
  else if (strcmp(k, "y") == 0) lua_pushinteger(L, p->y);
  else if (strcmp(k, "d") == 0) lua_pushnumber(L, p->d);
  else return luaL_error(L, "no field '%s'", k);
  return 1;
}

static int pt_newindex(lua_State *L) {
  struct bench_pt *p = luaL_checkudata(L, 1, "hand.pt");
  const char *k = luaL_checkstring(L, 2);
  if (strcmp(k, "x") == 0 || strcmp(k, "y") == 0) {
    lua_Integer v = luaL_checkinteger(L, 3);
    luaL_argcheck(L, v >= INT32_MIN && v <= INT32_MAX, 3, "out of range");
    if (k[0] == 'x') p->x = (int32_t)v;
    else p->y = (int32_t)v;
  } else if (strcmp(k, "d") == 0) {
    p->d = luaL_checknumber(L, 3);
  } else {
    return luaL_error(L, "no field '%s'", k);
  }
  return 0;
}

static int pt_new(lua_State *L) {
  struct bench_pt *p = lua_newuserdatauv(L, sizeof *p, 0);
  memset(p, 0, sizeof *p);
  luaL_setmetatable(L, "hand.pt");
  return 1;
}

static int32_t *arr_elem(lua_State *L) {
  iarr *a = luaL_checkudata(L, 1, "hand.iarr");
  lua_Integer i = luaL_checkinteger(L, 2);
  luaL_argcheck(L, i >= 0 && i < a->n, 2, "index out of range");
  return a->p + i;
}

static int arr_index(lua_State *L) {
  lua_pushinteger(L, *arr_elem(L));
  return 1;
}

static int arr_newindex(lua_State *L) {
  int32_t *e = arr_elem(L);
  lua_Integer v = luaL_checkinteger(L, 3);
  luaL_argcheck(L, v >= INT32_MIN && v <= INT32_MAX, 3, "out of range");
  *e = (int32_t)v;
  return 0;
}

/* hand.array(n): a view of n int32_t (the memory is its own user value's
 * block, as a typed pointer's would be another object's). */
static int arr_new(lua_State *L) {
  lua_Integer n = luaL_checkinteger(L, 1);
  iarr *a = lua_newuserdatauv(L, sizeof *a, 1);
  int32_t *mem = lua_newuserdatauv(L, (size_t)n * sizeof(int32_t), 0);
  memset(mem, 0, (size_t)n * sizeof(int32_t));
  lua_setiuservalue(L, -2, 1);
  a->p = mem;
  a->n = n;
  luaL_setmetatable(L, "hand.iarr");
  return 1;
}

__attribute__((visibility("default"))) int luaopen_handcdata(lua_State *L) {
  luaL_newmetatable(L, "hand.pt");
  lua_pushcfunction(L, pt_index);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, pt_newindex);
  lua_setfield(L, -2, "__newindex");
  luaL_newmetatable(L, "hand.iarr");
  lua_pushcfunction(L, arr_index);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, arr_newindex);
  lua_setfield(L, -2, "__newindex");
  lua_pop(L, 2);
  static const luaL_Reg f[] = {{"point", pt_new}, {"array", arr_new}, {NULL, NULL}};
  luaL_newlib(L, f);
  return 1;
}
