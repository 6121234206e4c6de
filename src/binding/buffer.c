/*
 * buffer.c - C memory owned by Lua: dynlib.buffer(size | string) for
 * out-parameters, arrays to sort, structs to fill. Every access is bounds-
 * checked against the buffer; nothing here dereferences a pointer C handed
 * back (buf:offset(ptr) turns such a pointer into a checked offset).
 */
#define _GNU_SOURCE
#include <string.h>

#include "binding/buffer.h"
#include "binding/module.h"
#include "binding/util.h"
#include "binding/cconv.h"
#include "binding/cdata.h"
#include "binding/ctypes.h"

#define BUF_MT LDL_BUF_MT

/* The buffer at idx; raises on anything else. The methods compare the
 * metatable with their upvalue 1 (no registry lookup by name). */
static ldl_buf *check_buf(lua_State *L, int idx) {
  ldl_buf *b = lua_touserdata(L, idx);
  if (b && lua_getmetatable(L, idx)) {
    int same = lua_rawequal(L, -1, lua_upvalueindex(1));
    lua_pop(L, 1);
    if (same) return b;
  }
  return (ldl_buf *)luaL_checkudata(L, idx, BUF_MT); /* raises as lauxlib does */
}

/* dynlib.buffer(size) zeroed, or dynlib.buffer(string) holding a copy */
static int l_buffer(lua_State *L) {
  size_t n;
  const char *init = NULL;
  if (lua_type(L, 1) == LUA_TSTRING) {
    init = lua_tolstring(L, 1, &n);
  } else {
    lua_Integer size = luaL_checkinteger(L, 1);
    luaL_argcheck(L, size >= 0 && size <= (lua_Integer)1 << 32, 1,
                  "size out of range");
    n = (size_t)size;
  }
  ldl_buf *b = lua_newuserdatauv(L, sizeof *b + (n ? n : 1), 0);
  b->size = n;
  if (init) memcpy(b->data, init, n);
  else memset(b->data, 0, n ? n : 1);
  luaL_setmetatable(L, BUF_MT);
  return 1;
}

/* Checks [off, off + len) inside the buffer; raises otherwise. */
static void check_range(lua_State *L, ldl_buf *b, lua_Integer off, size_t len) {
  if (off < 0 || (size_t)off > b->size || len > b->size - (size_t)off)
    luaL_error(L, "dynlib: buffer access [%I, %I) outside its %I bytes", off,
               off + (lua_Integer)len, (lua_Integer)b->size);
}

/* buf:read([off [, len]]) -> string */
static int buf_read(lua_State *L) {
  ldl_buf *b = check_buf(L, 1);
  lua_Integer off = luaL_optinteger(L, 2, 0);
  lua_Integer len = luaL_optinteger(L, 3, (lua_Integer)b->size - off);
  luaL_argcheck(L, len >= 0, 3, "negative length");
  check_range(L, b, off, (size_t)len);
  lua_pushlstring(L, (const char *)b->data + off, (size_t)len);
  return 1;
}

/* buf:write(off, string) */
static int buf_write(lua_State *L) {
  ldl_buf *b = check_buf(L, 1);
  lua_Integer off = luaL_checkinteger(L, 2);
  size_t len;
  const char *s = luaL_checklstring(L, 3, &len);
  check_range(L, b, off, len);
  memcpy(b->data + off, s, len);
  return 0;
}

/* The types buf:get and buf:set named last, by the address of the type
 * string (anchored in the cache's user value, so an address is never
 * reused while its entry stands): a hit skips even the type cache's table
 * lookup. Upvalue 2 of the methods. */
#define TCACHE 64

typedef struct tcache_ent {
  const char *key;
  dl_ctid type;
  uint32_t size;
  uint8_t cls;
} tcache_ent;

/* The type from the state's type cache (ldl_ctype_from: parsed once per
 * state), checked to be a scalar, remembered in e. */
static void type_miss(lua_State *L, int idx, tcache_ent *e, size_t slot) {
  size_t len;
  const char *name = luaL_checklstring(L, idx, &len);
  dl_ctid type = ldl_ctype_from(L, name, len);
  const dl_creg *reg = ldl_creg(L);
  uint8_t cls = ldl_cclass(reg, type);
  if (cls > LDL_K_FPTR || cls == LDL_K_AGG)
    luaL_argerror(L, idx, lua_pushfstring(L, "not a scalar C type: '%s'", name));
  e->key = NULL;
  lua_getiuservalue(L, lua_upvalueindex(2), 1);
  lua_pushvalue(L, idx);
  lua_rawseti(L, -2, (lua_Integer)slot + 1);
  lua_pop(L, 1);
  e->key = name;
  e->type = type;
  e->size = dl_creg_type(reg, type)->size;
  e->cls = cls;
}

/* A scalar C type by name ("int", "uint8_t", "double", "void *"): its
 * access class (cconv.h); *size: its bytes. */
static uint8_t check_type(lua_State *L, int idx, dl_ctid *type, size_t *size) {
  const char *key = lua_type(L, idx) == LUA_TSTRING ? lua_tostring(L, idx) : NULL;
  size_t slot = ((uintptr_t)key >> 4) & (TCACHE - 1);
  tcache_ent *e = (tcache_ent *)lua_touserdata(L, lua_upvalueindex(2)) + slot;
  if (key == NULL || e->key != key) type_miss(L, idx, e, slot);
  *type = e->type;
  *size = e->size;
  return e->cls;
}

/* The value buf:get and buf:set name (buffer, type, offset: arguments 1 to
 * 3), checked: its address; *type its type, *cls its access class. Inlined:
 * buf:get is a measured hot path (bench/cdata_bench.lua). */
static inline __attribute__((always_inline)) unsigned char *
value_at(lua_State *L, dl_ctid *type, uint8_t *cls) {
  ldl_buf *b = check_buf(L, 1);
  size_t size;
  *cls = check_type(L, 2, type, &size);
  lua_Integer off = luaL_checkinteger(L, 3);
  check_range(L, b, off, size);
  return b->data + off;
}

/* buf:get(type, off) -> value; pointers as light userdata (nil for NULL) */
static int buf_get(lua_State *L) {
  dl_ctid type;
  uint8_t cls;
  const unsigned char *p = value_at(L, &type, &cls);
  if (cls <= LDL_K_DOUBLE) {
    ldl_cread_scalar(L, cls, p);
  } else {
    void *v;
    memcpy(&v, p, sizeof v);
    if (v) lua_pushlightuserdata(L, v);
    else lua_pushnil(L);
  }
  return 1;
}

/* buf:set(type, off, value), checked like a call's argument */
static int buf_set(lua_State *L) {
  dl_ctid type;
  uint8_t cls;
  unsigned char *p = value_at(L, &type, &cls);
  if (cls > LDL_K_DOUBLE) {
    ldl_cdata_store(L, 4, type, p, "bad argument #4 to 'set'");
    return 0;
  }
  int rc = ldl_cwrite_scalar(L, 4, cls, p);
  if (rc == LDL_CW_RANGE) {
    char name[64];
    dl_ctype_name(ldl_creg(L), type, name, sizeof name);
    luaL_argerror(L, 4, lua_pushfstring(L, "value out of range for %s", name));
  }
  if (rc == LDL_CW_TYPE)
    luaL_typeerror(L, 4, cls == LDL_K_BOOL ? "boolean" : cls <= LDL_K_U64 ? "integer" : "number");
  return 0;
}

/* buf:offset(ptr) -> the offset of a pointer into this buffer, or nil */
static int buf_offset(lua_State *L) {
  ldl_buf *b = check_buf(L, 1);
  luaL_checktype(L, 2, LUA_TLIGHTUSERDATA);
  const unsigned char *p = lua_touserdata(L, 2);
  if (p < b->data || p > b->data + b->size) {
    lua_pushnil(L);
    return 1;
  }
  lua_pushinteger(L, (lua_Integer)(p - b->data));
  return 1;
}

static int buf_len(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)check_buf(L, 1)->size);
  return 1;
}

static int buf_tostring(lua_State *L) {
  lua_pushfstring(L, "dynlib.buffer (%I bytes)", (lua_Integer)check_buf(L, 1)->size);
  return 1;
}

/* buf.name: a method (looked up first: calls are the common case), or
 * buf.ptr. */
static int buf_index(lua_State *L) {
  lua_pushvalue(L, 2);
  if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) return 1;
  ldl_buf *b = check_buf(L, 1);
  const char *key = lua_tostring(L, 2);
  if (key && strcmp(key, "ptr") == 0) lua_pushlightuserdata(L, b->data);
  else lua_pushnil(L);
  return 1;
}

void ldl_open_buffer(lua_State *L) {
  static const luaL_Reg methods[] = {{"read", buf_read}, {"write", buf_write},
                                     {"get", buf_get},   {"set", buf_set},
                                     {"offset", buf_offset}, {NULL, NULL}};
  luaL_newmetatable(L, BUF_MT);
  luaL_newlibtable(L, methods);
  lua_pushvalue(L, -2); /* upvalue 1: the metatable */
  tcache_ent *cache = lua_newuserdatauv(L, sizeof(tcache_ent) * TCACHE, 1);
  memset(cache, 0, sizeof(tcache_ent) * TCACHE);
  lua_newtable(L); /* the cached type strings */
  lua_setiuservalue(L, -2, 1);
  luaL_setfuncs(L, methods, 2);
  lua_pushcclosure(L, buf_index, 1);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, buf_len);
  lua_setfield(L, -2, "__len");
  lua_pushcfunction(L, buf_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pop(L, 1);
  lua_pushcfunction(L, l_buffer);
  lua_setfield(L, -2, "buffer");
}
