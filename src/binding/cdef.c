/*
 * cdef.c - this Lua state's C type registry: dynlib.cdef, sizeof, alignof,
 * offsetof, and ldl_ctype_from for the other binding files. The registry
 * is a userdata kept in the Lua registry (freed by its __gc when the state
 * closes); its user value is the cache of parsed type texts, so a type
 * named by the same string again costs one table lookup.
 */
#include <string.h>

#include "binding/ctypes.h"
#include "binding/module.h"
#include "binding/util.h"

#define CREG_MT "dynlib.ctypes"

static const char CREG_KEY = 0;

typedef struct ldl_creg_box {
  dl_creg *reg;
} ldl_creg_box;

static int creg_gc(lua_State *L) {
  ldl_creg_box *b = luaL_checkudata(L, 1, CREG_MT);
  dl_creg_free(b->reg);
  b->reg = NULL;
  return 0;
}

/* Pushes the registry's box, made on first use. */
static ldl_creg_box *push_box(lua_State *L) {
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &CREG_KEY) == LUA_TUSERDATA)
    return lua_touserdata(L, -1);
  lua_pop(L, 1);
  ldl_creg_box *b = lua_newuserdatauv(L, sizeof *b, 1);
  b->reg = NULL;
  if (luaL_newmetatable(L, CREG_MT)) {
    lua_pushcfunction(L, creg_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  b->reg = dl_creg_new();
  if (!b->reg) luaL_error(L, "dynlib: out of memory");
  lua_newtable(L);
  lua_setiuservalue(L, -2, 1);
  lua_pushvalue(L, -1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &CREG_KEY);
  return b;
}

dl_creg *ldl_creg(lua_State *L) {
  dl_creg *reg = push_box(L)->reg;
  lua_pop(L, 1);
  return reg;
}

dl_ctid ldl_ctype_from(lua_State *L, const char *text, size_t len) {
  ldl_creg_box *b = push_box(L);
  lua_getiuservalue(L, -1, 1);
  lua_pushlstring(L, text, len);
  if (lua_rawget(L, -2) == LUA_TNUMBER) {
    dl_ctid id = (dl_ctid)lua_tointeger(L, -1);
    lua_pop(L, 3);
    return id;
  }
  lua_pop(L, 1);
  dl_ctid id;
  dl_cerr err;
  if (dl_ctype_parse(b->reg, text, len, &id, &err))
    luaL_error(L, "dynlib: bad type '%s': %s", text, err.msg);
  lua_pushlstring(L, text, len);
  lua_pushinteger(L, (lua_Integer)id);
  lua_rawset(L, -3);
  lua_pop(L, 2);
  return id;
}

dl_ctid ldl_check_ctype(lua_State *L, int idx) {
  size_t len;
  const char *text = luaL_checklstring(L, idx, &len);
  return ldl_ctype_from(L, text, len);
}

/* dynlib.cdef(text): declarations, all or none */
static int l_cdef(lua_State *L) {
  size_t len;
  const char *text = luaL_checklstring(L, 1, &len);
  dl_cerr err;
  if (dl_cdef(ldl_creg(L), text, len, &err))
    return luaL_error(L, "dynlib: cdef: %s", err.msg);
  return 0;
}

static const char *type_name(lua_State *L, dl_ctid id) {
  char buf[256];
  dl_ctype_name(ldl_creg(L), id, buf, sizeof buf);
  return lua_pushstring(L, buf);
}

/* dynlib.sizeof(type) or dynlib.sizeof("T[?]", n) */
static int l_sizeof(lua_State *L) {
  dl_ctid id = ldl_check_ctype(L, 1);
  dl_creg *reg = ldl_creg(L);
  const dl_ctype *t = dl_creg_type(reg, id);
  int var = (t->kind == DL_C_ARRAY && (t->flags & DL_CF_VLA)) ||
            (t->flags & DL_CF_FLEX);
  if (var && !lua_isnoneornil(L, 2)) {
    lua_Integer n = luaL_checkinteger(L, 2);
    int64_t size = n < 0 ? -1 : dl_ctype_sizeof_n(reg, id, n);
    luaL_argcheck(L, size >= 0, 2, "count out of range");
    lua_pushinteger(L, (lua_Integer)size);
    return 1;
  }
  if (var && t->kind == DL_C_ARRAY)
    return luaL_error(L, "dynlib: sizeof: '%s' needs a count", type_name(L, id));
  if (t->kind == DL_C_VOID || t->kind == DL_C_FUNC ||
      ((t->kind == DL_C_STRUCT || t->kind == DL_C_UNION ||
        t->kind == DL_C_ENUM) && !(t->flags & DL_CF_COMPLETE)))
    return luaL_error(L, "dynlib: sizeof: '%s' has no size", type_name(L, id));
  lua_pushinteger(L, (lua_Integer)t->size);
  return 1;
}

/* dynlib.alignof(type) */
static int l_alignof(lua_State *L) {
  dl_ctid id = ldl_check_ctype(L, 1);
  lua_pushinteger(L, (lua_Integer)dl_creg_type(ldl_creg(L), id)->align);
  return 1;
}

/* dynlib.offsetof(type, field) -> offset [, bit offset, bit width] */
static int l_offsetof(lua_State *L) {
  dl_ctid id = ldl_check_ctype(L, 1);
  size_t len;
  const char *field = luaL_checklstring(L, 2, &len);
  dl_creg *reg = ldl_creg(L);
  const dl_ctype *t = dl_creg_type(reg, id);
  if (t->kind != DL_C_STRUCT && t->kind != DL_C_UNION)
    return luaL_error(L, "dynlib: offsetof: '%s' is not a struct or union",
                      type_name(L, id));
  dl_cmember m;
  if (dl_ctype_field(reg, id, field, len, &m))
    return luaL_error(L, "dynlib: offsetof: '%s' has no member '%s'",
                      type_name(L, id), field);
  lua_pushinteger(L, (lua_Integer)m.offset);
  if (!m.bit_width) return 1;
  lua_pushinteger(L, (lua_Integer)m.bit_offset);
  lua_pushinteger(L, (lua_Integer)m.bit_width);
  return 3;
}

void ldl_open_cdef(lua_State *L) {
  static const luaL_Reg fns[] = {{"cdef", l_cdef},
                                 {"sizeof", l_sizeof},
                                 {"alignof", l_alignof},
                                 {"offsetof", l_offsetof},
                                 {NULL, NULL}};
  luaL_setfuncs(L, fns, 0);
}
