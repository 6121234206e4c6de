/*
 * fnptr.c - calling a C function through a typed function pointer
 * (fnptr.h). The first call through a function type prepares its call
 * once (tcall.h, cached per Lua state by the pointer type's id); every
 * call then converts its arguments and result as a declared function's
 * do: the same checks, structs and unions by value, enums by name.
 */
#include <string.h>

#include <lauxlib.h>

#include "binding/ctypes.h"
#include "binding/cdata.h"
#include "binding/fnptr.h"
#include "binding/tcall.h"

/* A function type's prepared call, named by its pointer type. */
typedef struct fp_proto {
  ldl_tcall call;
  char text[]; /* the call's messages */
} fp_proto;

#define PROTOS lua_upvalueindex(1) /* {[pointer type id] = fp_proto} */

static int not_callable(lua_State *L) {
  return luaL_error(L, "dynlib: attempt to call a %s (only function pointers are callable)",
                    luaL_typename(L, 1));
}

/* The call of pointer type ptype, prepared on its first call (only then
 * is the type looked at: a type in the table is a function pointer's). */
static const ldl_tcall *proto_for(lua_State *L, dl_ctid ptype) {
  if (lua_rawgeti(L, PROTOS, (lua_Integer)ptype) == LUA_TUSERDATA) {
    const fp_proto *p = lua_touserdata(L, -1);
    lua_pop(L, 1); /* the table keeps it */
    return &p->call;
  }
  lua_pop(L, 1);
  dl_creg *reg = ldl_creg(L);
  const dl_ctype *t = dl_creg_type(reg, ptype);
  if (t->kind != DL_C_PTR || dl_creg_type(reg, t->base)->kind != DL_C_FUNC) {
    not_callable(L);
    return NULL;
  }
  char name[200];
  dl_ctype_name(reg, ptype, name, sizeof name);
  fp_proto *p = lua_newuserdatauv(L, sizeof *p + ldl_tcall_text(reg, t->base, name), 0);
  memset(p, 0, sizeof *p);
  ldl_tcall_prepare(L, &p->call, t->base, name, p->text);
  lua_rawseti(L, PROTOS, (lua_Integer)ptype);
  return &p->call;
}

static int fnptr_call(lua_State *L) {
  void *addr;
  dl_ctid ptype;
  int is_object;
  if (!ldl_cdata_get(L, 1, &addr, &ptype, &is_object) || is_object) return not_callable(L);
  const ldl_tcall *c = proto_for(L, ptype);
  lua_remove(L, 1); /* the arguments from 1 on, numbered as the call's */
  return ldl_tcall_call(L, c, addr, 0);
}

void ldl_open_fnptr(lua_State *L) {
  /* Typed values' metatable (cdata.c, opened before) gets the __call. */
  if (luaL_getmetatable(L, "dynlib.cdata") != LUA_TTABLE)
    luaL_error(L, "dynlib: typed values must be set up before function pointers");
  lua_newtable(L);
  lua_pushcclosure(L, fnptr_call, 1);
  lua_setfield(L, -2, "__call");
  lua_pop(L, 1);
}
