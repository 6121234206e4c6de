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
#include "calls/sig.h"

#define BUF_MT "dynlib.buffer"

typedef struct ldl_buf {
  size_t size;
  _Alignas(16) unsigned char data[];
} ldl_buf;

static ldl_buf *check_buf(lua_State *L, int idx) {
  return (ldl_buf *)luaL_checkudata(L, idx, BUF_MT);
}

void *ldl_buffer_data(lua_State *L, int idx) {
  ldl_buf *b = luaL_testudata(L, idx, BUF_MT);
  return b ? b->data : NULL;
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

/* A scalar C type by name ("int", "uint8_t", "double", "void *"). */
static dl_type check_type(lua_State *L, int idx) {
  const char *name = luaL_checkstring(L, idx);
  char proto[96], err[200];
  dl_sig sig;
  if (strlen(name) > 60) luaL_argerror(L, idx, "type name too long");
  snprintf(proto, sizeof proto, "%s f(void)", name);
  if (dl_sig_parse(proto, NULL, &sig, err, sizeof err) != 0 ||
      sig.ret.kind == DL_VOID || sig.ret.kind == DL_STRING)
    luaL_argerror(L, idx, lua_pushfstring(L, "not a scalar C type: '%s'", name));
  return sig.ret;
}

/* buf:get(type, off) -> value */
static int buf_get(lua_State *L) {
  ldl_buf *b = check_buf(L, 1);
  dl_type t = check_type(L, 2);
  lua_Integer off = luaL_checkinteger(L, 3);
  check_range(L, b, off, t.size);
  const unsigned char *p = b->data + off;
  union { int8_t i8; int16_t i16; int32_t i32; int64_t i64; uint8_t u8;
          uint16_t u16; uint32_t u32; float f; double d; void *ptr; } v;
  memcpy(&v, p, t.size);
  switch (t.kind) {
    case DL_BOOL: lua_pushboolean(L, v.u8 != 0); break;
    case DL_FLOAT: lua_pushnumber(L, v.f); break;
    case DL_DOUBLE: lua_pushnumber(L, v.d); break;
    case DL_PTR:
      if (v.ptr) lua_pushlightuserdata(L, v.ptr);
      else lua_pushnil(L);
      break;
    case DL_SINT:
      lua_pushinteger(L, t.size == 1 ? v.i8 : t.size == 2 ? v.i16
                         : t.size == 4 ? v.i32 : v.i64);
      break;
    default:
      lua_pushinteger(L, t.size == 1 ? v.u8 : t.size == 2 ? v.u16
                         : t.size == 4 ? (lua_Integer)v.u32 : v.i64);
  }
  return 1;
}

/* buf:set(type, off, value), range-checked like a call's argument */
static int buf_set(lua_State *L) {
  ldl_buf *b = check_buf(L, 1);
  dl_type t = check_type(L, 2);
  lua_Integer off = luaL_checkinteger(L, 3);
  check_range(L, b, off, t.size);
  unsigned char *p = b->data + off;
  switch (t.kind) {
    case DL_BOOL: {
      luaL_checktype(L, 4, LUA_TBOOLEAN);
      uint8_t v = (uint8_t)lua_toboolean(L, 4);
      memcpy(p, &v, 1);
      return 0;
    }
    case DL_FLOAT: {
      float v = (float)luaL_checknumber(L, 4);
      memcpy(p, &v, sizeof v);
      return 0;
    }
    case DL_DOUBLE: {
      double v = (double)luaL_checknumber(L, 4);
      memcpy(p, &v, sizeof v);
      return 0;
    }
    case DL_PTR: {
      void *v = lua_touserdata(L, 4);
      memcpy(p, &v, sizeof v);
      return 0;
    }
    default: break;
  }
  lua_Integer x = luaL_checkinteger(L, 4);
  int64_t lo, hi;
  dl_type_range(&t, &lo, &hi);
  luaL_argcheck(L, x >= lo && x <= hi, 4,
                lua_pushfstring(L, "value out of range for %s", t.name));
  /* Little- and big-endian alike: store through the exact width. */
  union { int8_t i8; int16_t i16; int32_t i32; int64_t i64; } v;
  switch (t.size) {
    case 1: v.i8 = (int8_t)x; break;
    case 2: v.i16 = (int16_t)x; break;
    case 4: v.i32 = (int32_t)x; break;
    default: v.i64 = (int64_t)x; break;
  }
  memcpy(p, &v, t.size);
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

static int buf_index(lua_State *L) {
  ldl_buf *b = check_buf(L, 1);
  const char *key = lua_tostring(L, 2);
  if (key && strcmp(key, "ptr") == 0) {
    lua_pushlightuserdata(L, b->data);
    return 1;
  }
  lua_pushvalue(L, 2);
  lua_rawget(L, lua_upvalueindex(1));
  return 1;
}

void ldl_open_buffer(lua_State *L) {
  static const luaL_Reg methods[] = {{"read", buf_read}, {"write", buf_write},
                                     {"get", buf_get},   {"set", buf_set},
                                     {"offset", buf_offset}, {NULL, NULL}};
  luaL_newmetatable(L, BUF_MT);
  luaL_newlib(L, methods);
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
