/*
 * cfunc.c - typed calls of declared C types, and lib:cdef (cfunc.h).
 *
 * A function whose prototype only has func.c's scalar shapes (integers,
 * floats, bool, void *, exactly const char *) becomes a dl_sig and takes
 * func.c's paths, the register fast path included. Any other (structs and
 * unions by value, enums, typed pointers) is called through libffi by
 * tcall.c, the conversion function pointers (fnptr.c) share.
 */
#include <stdio.h>
#include <string.h>

#include <lauxlib.h>

#include "binding/cfunc.h"
#include "binding/ctypes.h"
#include "binding/tcall.h"
#include "binding/util.h"

#define CFN_MT "dynlib.cfunction"

typedef struct ldl_cfn {
  ldl_lib *lib;
  void *fn;
  int report;
  ldl_tcall call;
  char text[]; /* the call's messages: they name the function */
} ldl_cfn;

/* ---- types ------------------------------------------------------------- */

static int is_void_ptr(const dl_creg *reg, dl_ctid id) {
  const dl_ctype *t = dl_creg_type(reg, id);
  return t->kind == DL_C_PTR && dl_creg_type(reg, t->base)->kind == DL_C_VOID;
}

/* The scalar signature a function type has, when func.c's paths take it:
 * 1 and *sig filled, else 0. */
static int scalar_shape(dl_creg *reg, dl_ctid id, int result, dl_type *out) {
  const dl_ctype *t = dl_creg_type(reg, id);
  memset(out, 0, sizeof *out);
  dl_ctype_name(reg, id, out->name, sizeof out->name);
  out->size = (uint8_t)t->size;
  switch (t->kind) {
    case DL_C_VOID: out->kind = DL_VOID; return result;
    case DL_C_BOOL: out->kind = DL_BOOL; return t->size == 1;
    case DL_C_INT:
      out->kind = (t->flags & DL_CF_UNSIGNED) ? DL_UINT : DL_SINT;
      return 1;
    case DL_C_FLOAT: out->kind = DL_FLOAT; return 1;
    case DL_C_DOUBLE: out->kind = DL_DOUBLE; return 1;
    case DL_C_PTR:
      if (ldl_is_const_char_ptr(reg, id)) { /* tcall.c */
        out->kind = DL_STRING;
        return 1;
      }
      out->kind = DL_PTR;
      return is_void_ptr(reg, id);
    default: return 0;
  }
}

static int to_sig(dl_creg *reg, dl_ctid ftype, const char *name, dl_sig *sig) {
  const dl_ctype *f = dl_creg_type(reg, ftype);
  if (f->count > DL_MAX_ARGS || strlen(name) >= sizeof sig->name) return 0;
  memset(sig, 0, sizeof *sig);
  strcpy(sig->name, name);
  sig->nargs = (int)f->count;
  sig->variadic = (f->flags & DL_CF_VARIADIC) != 0;
  if (!scalar_shape(reg, f->base, 1, &sig->ret)) return 0;
  for (uint32_t i = 0; i < f->count; i++) {
    dl_ctid a = dl_creg_member(reg, f->first + i)->type;
    if (!scalar_shape(reg, a, 0, &sig->args[i])) return 0;
  }
  return 1;
}

/* ---- making functions -------------------------------------------------- */

static int cfn_entry(lua_State *L);

/* Pushes the function of type ftype named name, resolved as symbol; or
 * for a scalar shape fills out (func.c makes it). */
static int make(lua_State *L, int lib_idx, dl_ctid ftype, const char *name,
                const char *symbol, int report, ldl_cfunc_sig *out) {
  dl_creg *reg = ldl_creg(L);
  const dl_ctype *ft = dl_creg_type(reg, ftype);
  if (ft->kind != DL_C_FUNC)
    return luaL_error(L, "dynlib: '%s' is no function", name);
  if (to_sig(reg, ftype, name, &out->sig)) {
    snprintf(out->symbol, sizeof out->symbol, "%s", symbol);
    return 0;
  }
  if (ft->count > DL_MAX_ARGS)
    return luaL_error(L, "dynlib: '%s' has more than %d parameters", name,
                      DL_MAX_ARGS);
  ldl_lib *lib = ldl_checklib(L, lib_idx);
  dynlib_error err;
  void *fn = dynlib_sym(lib->h, symbol, &err);
  if (fn == NULL) return ldl_fail(L, &err);
  size_t tsize = ldl_tcall_text(reg, ftype, name);
  ldl_cfn *f = lua_newuserdatauv(L, sizeof *f + tsize, 1);
  memset(f, 0, sizeof *f);
  f->lib = lib;
  f->fn = fn;
  f->report = report;
  ldl_tcall_prepare(L, &f->call, ftype, name, f->text);
  luaL_setmetatable(L, CFN_MT);
  lua_pushvalue(L, lib_idx);
  lua_setiuservalue(L, -2, 1); /* the function keeps its library handle */
  lua_pushcclosure(L, cfn_entry, 1);
  return 1;
}

int ldl_cfunc_declared(lua_State *L, int lib_idx, const char *name,
                       int report, ldl_cfunc_sig *out) {
  dl_creg *reg = ldl_creg(L);
  const dl_cfunc *d = dl_creg_func(reg, name);
  if (d == NULL)
    return luaL_error(L, "dynlib: '%s' is not a declared function (declare "
                         "it with cdef, or give its prototype)", name);
  if (d->is_inline)
    return luaL_error(L, "dynlib: '%s' is a static inline definition, not a "
                         "symbol of the library", name);
  return make(L, lib_idx, d->type, name, dl_creg_str(reg, d->symbol), report,
              out);
}

static int is_ident(char c) {
  return c == '_' || (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* Splits "T name(params)" into the name and "T (params)". 0, or -1 when
 * no name stands before the parameter list. */
static int split_proto(const char *proto, char *name, size_t nsize,
                       luaL_Buffer *type) {
  const char *paren = strchr(proto, '(');
  const char *end = paren;
  while (end > proto && (end[-1] == ' ' || end[-1] == '\t')) end--;
  const char *start = end;
  while (start > proto && is_ident(start[-1])) start--;
  if (start == end || (size_t)(end - start) >= nsize) return -1;
  memcpy(name, start, (size_t)(end - start));
  name[end - start] = '\0';
  luaL_addlstring(type, proto, (size_t)(start - proto));
  luaL_addstring(type, end);
  return 0;
}

int ldl_cfunc_proto(lua_State *L, int lib_idx, const char *name,
                    const char *proto, int report, ldl_cfunc_sig *out) {
  char fname[DL_NAME_MAX];
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  if (name) {
    snprintf(fname, sizeof fname, "%s", name);
    luaL_addstring(&b, proto);
  } else if (split_proto(proto, fname, sizeof fname, &b) != 0) {
    return -1;
  }
  luaL_pushresult(&b);
  size_t len;
  const char *text = lua_tolstring(L, -1, &len);
  dl_ctid id;
  dl_cerr err;
  if (dl_ctype_parse(ldl_creg(L), text, len, &id, &err) != 0) {
    lua_pop(L, 1);
    return -1;
  }
  lua_pop(L, 1);
  return make(L, lib_idx, id, fname, fname, report, out);
}

/* ---- calling ----------------------------------------------------------- */

static int closed_error(lua_State *L, const ldl_cfn *f) {
  return luaL_error(L, "dynlib: closed: %s: '%s' called after its library "
                       "handle was closed",
                    f->lib->h ? dynlib_path(f->lib->h) : "?", f->call.name);
}

static int cfn_entry(lua_State *L) {
  const ldl_cfn *f = lua_touserdata(L, lua_upvalueindex(1));
  if (!f->lib->open) return closed_error(L, f);
  return ldl_tcall_call(L, &f->call, f->fn, f->report);
}

/* ---- lib:cdef ---------------------------------------------------------- */

/* __index of the table lib:cdef returns: the declared function `name`,
 * resolved in the library on first use and kept in the table. */
static int cdef_index(lua_State *L) {
  const char *name = luaL_checkstring(L, 2);
  lua_getmetatable(L, 1);
  lua_getfield(L, -1, "lib"); /* the library handle */
  int lib = lua_gettop(L);
  ldl_lib *l = ldl_checklib(L, lib);
  /* lib:func(name), called as Lua does: func.c makes scalar shapes */
  lua_getfield(L, lib, "func");
  lua_pushvalue(L, lib);
  lua_pushvalue(L, 2);
  lua_call(L, 2, 2);
  if (lua_isnil(L, -2))
    return luaL_error(L, "dynlib: %s lacks '%s' (declared, but no symbol of "
                         "it): %s",
                      l->h ? dynlib_path(l->h) : "the library", name,
                      lua_tostring(L, -1));
  lua_pop(L, 1);
  lua_pushvalue(L, 2);
  lua_pushvalue(L, -2);
  lua_rawset(L, 1);
  return 1;
}

/* lib:cdef(text): dynlib.cdef(text), then a table of the functions it
 * declares, each resolved in lib when first used. */
static int lib_cdef(lua_State *L) {
  ldl_checklib(L, 1);
  size_t len;
  const char *text = luaL_checklstring(L, 2, &len);
  dl_cerr err;
  if (dl_cdef(ldl_creg(L), text, len, &err) != 0)
    return luaL_error(L, "dynlib: %s", err.msg);
  lua_newtable(L);
  lua_createtable(L, 0, 2);
  lua_pushvalue(L, 1);
  lua_setfield(L, -2, "lib");
  lua_pushcfunction(L, cdef_index);
  lua_setfield(L, -2, "__index");
  lua_setmetatable(L, -2);
  return 1;
}

void ldl_open_cfunc(lua_State *L) {
  luaL_newmetatable(L, CFN_MT);
  lua_pop(L, 1);
  static const luaL_Reg methods[] = {{"cdef", lib_cdef}, {NULL, NULL}};
  ldl_add_lib_methods(L, methods);
}
