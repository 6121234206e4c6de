/*
 * ptrarg.c - Lua values as pointer arguments (ptrarg.h).
 */
#include <string.h>

#include <lauxlib.h>

#include "binding/buffer.h"
#include "binding/callback.h"
#include "binding/cdata.h"
#include "binding/ctypes.h"
#include "binding/ptrarg.h"

/* A full userdata: dynlib's own kinds, each checked by its metatable. A
 * typed object passes its address, a typed pointer its value (unchecked:
 * a scalar prototype's pointers carry no pointee type to check against). */
static int userdata_pointer(lua_State *L, int idx, void **out) {
  dl_ctid type;
  int is_object;
  if (ldl_cdata_get(L, idx, out, &type, &is_object)) return 1;
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

/* A char, short or bool object's value as the int C promotes it to. */
static int promote(const void *addr, const dl_ctype *t) {
  int8_t i8;
  int16_t i16;
  uint8_t u8;
  uint16_t u16;
  int is_unsigned = t->kind == DL_C_BOOL || (t->flags & DL_CF_UNSIGNED);
  if (t->size == 2 && !is_unsigned) return memcpy(&i16, addr, 2), i16;
  if (t->size == 2) return memcpy(&u16, addr, 2), u16;
  if (!is_unsigned) return memcpy(&i8, addr, 1), i8;
  return memcpy(&u8, addr, 1), u8;
}

/* An integer object of 4 or 8 bytes as a 64-bit value. */
static int64_t widen(const void *addr, const dl_ctype *t) {
  int32_t i32;
  uint32_t u32;
  int64_t i64;
  if (t->size == 8) return memcpy(&i64, addr, 8), i64;
  if (t->flags & DL_CF_UNSIGNED) return memcpy(&u32, addr, 4), u32;
  return memcpy(&i32, addr, 4), i32;
}

int ldl_variadic_cdata(lua_State *L, int i, const char *fname, dl_type *t,
                       dl_value *v) {
  void *addr;
  dl_ctid ct;
  int obj;
  if (!ldl_cdata_get(L, i, &addr, &ct, &obj)) return 0;
  dl_creg *reg = ldl_creg(L);
  const dl_ctype *c = dl_creg_type(reg, ct);
  if (c->kind == DL_C_ENUM) c = dl_creg_type(reg, c->base);
  memset(t, 0, sizeof *t);
  dl_ctype_name(reg, ct, t->name, sizeof t->name);
  if (!obj || c->kind == DL_C_ARRAY || c->kind == DL_C_PTR) {
    if (obj && c->kind == DL_C_PTR) memcpy(&addr, addr, sizeof addr);
    t->kind = DL_PTR, t->size = sizeof(void *);
    v->u = (uintptr_t)addr; /* a pointer's value, an array's elements */
    return 1;
  }
  switch (c->kind) {
    case DL_C_FLOAT: {
      float x;
      memcpy(&x, addr, sizeof x);
      t->kind = DL_DOUBLE, t->size = 8, v->d = x; /* promoted */
      return 1;
    }
    case DL_C_DOUBLE:
      t->kind = DL_DOUBLE, t->size = 8;
      memcpy(&v->d, addr, 8);
      return 1;
    case DL_C_BOOL:
    case DL_C_INT:
      if (c->size < 4) {
        t->kind = DL_SINT, t->size = 4, v->i = promote(addr, c);
      } else {
        t->kind = (c->flags & DL_CF_UNSIGNED) ? DL_UINT : DL_SINT;
        t->size = (uint8_t)c->size;
        v->i = widen(addr, c);
      }
      return 1;
    default:
      return luaL_error(L, "bad argument #%d to '%s' (a %s object cannot be "
                           "a variadic argument: pass its address)",
                        i, fname, c->kind == DL_C_STRUCT || c->kind == DL_C_UNION
                                      ? "struct or union" : "long double");
  }
}
