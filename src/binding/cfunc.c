/*
 * cfunc.c - typed calls of declared C types, and lib:cdef (cfunc.h).
 *
 * A function whose prototype only has func.c's scalar shapes (integers,
 * floats, bool, void *, exactly const char *) becomes a dl_sig and takes
 * func.c's paths, the register fast path included. Any other (structs and
 * unions by value, enums, typed pointers) is called through libffi with
 * the struct types of calls/ffi_struct.c: each argument converted into its
 * own slot by the typed values' store (cdata.h), which checks ranges and
 * pointer types as everywhere else, the result pushed as a typed value.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <lauxlib.h>

#include "binding/callback.h"
#include "binding/cdata.h"
#include "binding/cfunc.h"
#include "binding/ctypes.h"
#include "binding/ptrarg.h"
#include "binding/util.h"
#include "calls/call.h"
#include "calls/ffi_struct.h"
#include "os/os.h"

#define CFN_MT "dynlib.cfunction"
#define SLOT 16 /* bytes of a scalar argument's slot (and alignment) */

static const char FFI_CACHE_KEY = 'F';

/* How an argument is converted. */
enum {
  A_VALUE,  /* the typed values' store */
  A_PTR,    /* a pointer: also a Lua string where the pointee is const
               and byte-sized (or const void) */
  A_ENUM,   /* an enum: also a constant's name */
  A_AGG     /* a struct or union by value: an object or a table */
};

/* How the result is pushed. */
enum { R_VOID, R_STRING, R_INT, R_VALUE, R_AGG };

typedef struct ldl_cfn {
  ldl_lib *lib;
  void *fn;
  dl_ctid ret;
  uint8_t ret_how;
  uint8_t how[DL_MAX_ARGS];
  int nargs, variadic, report;
  dl_ctid args[DL_MAX_ARGS];
  uint32_t size[DL_MAX_ARGS]; /* argument sizes */
  size_t ret_size;
  ffi_cif cif;
  ffi_type *rtype, *types[DL_MAX_ARGS];
  char name[DL_NAME_MAX];
  const char *what[DL_MAX_ARGS]; /* "argument #2 to 'div'", in `text` */
  char text[];                   /* made once: errors name the argument */
} ldl_cfn;

/* ---- the per-state libffi type cache ----------------------------------- */

static int cache_gc(lua_State *L) {
  dl_ffi_cache **c = lua_touserdata(L, 1);
  dl_ffi_cache_free(*c);
  *c = NULL;
  return 0;
}

/* The state's cache, made on first use; freed when the state closes (after
 * every function that uses its types: they are collected first or with it,
 * and none reads its types then). */
static dl_ffi_cache *ffi_cache(lua_State *L) {
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &FFI_CACHE_KEY) == LUA_TUSERDATA) {
    dl_ffi_cache *c = *(dl_ffi_cache **)lua_touserdata(L, -1);
    lua_pop(L, 1);
    return c;
  }
  lua_pop(L, 1);
  dl_ffi_cache **c = lua_newuserdatauv(L, sizeof *c, 0);
  *c = dl_ffi_cache_new();
  if (*c == NULL) luaL_error(L, "dynlib: out of memory");
  lua_createtable(L, 0, 1);
  lua_pushcfunction(L, cache_gc);
  lua_setfield(L, -2, "__gc");
  lua_setmetatable(L, -2);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &FFI_CACHE_KEY);
  return *c;
}

/* ---- types ------------------------------------------------------------- */

static const dl_ctype *ty(const dl_creg *reg, dl_ctid id) {
  return dl_creg_type(reg, id);
}

/* Exactly `const char *` (not signed or unsigned char, not through a
 * typedef of a pointer... typedefs leave no trace, so `typedef const char
 * *cstr` counts too, as C sees the same type). */
static int is_const_char_ptr(dl_creg *reg, dl_ctid id) {
  const dl_ctype *t = ty(reg, id);
  if (t->kind != DL_C_PTR) return 0;
  dl_ctid cc = dl_ctype_qualified(reg, dl_creg_builtin(reg, "char"), 1);
  return t->base == cc;
}

static int is_void_ptr(const dl_creg *reg, dl_ctid id) {
  const dl_ctype *t = ty(reg, id);
  return t->kind == DL_C_PTR && ty(reg, t->base)->kind == DL_C_VOID;
}

/* A pointer a Lua string may stand for: its pointee is const and a byte
 * (const char, const unsigned char, const uint8_t) or const void. */
static int takes_string(const dl_creg *reg, dl_ctid id) {
  const dl_ctype *t = ty(reg, id);
  if (t->kind != DL_C_PTR) return 0;
  const dl_ctype *p = ty(reg, t->base);
  if (!(p->flags & DL_CF_CONST)) return 0;
  return p->kind == DL_C_VOID || (p->kind == DL_C_INT && p->size == 1);
}

/* The scalar signature a function type has, when func.c's paths take it:
 * 1 and *sig filled, else 0. */
static int scalar_shape(dl_creg *reg, dl_ctid id, int result, dl_type *out) {
  const dl_ctype *t = ty(reg, id);
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
      if (is_const_char_ptr(reg, id)) {
        out->kind = DL_STRING;
        return 1;
      }
      out->kind = DL_PTR;
      return is_void_ptr(reg, id);
    default: return 0;
  }
}

static int to_sig(dl_creg *reg, dl_ctid ftype, const char *name, dl_sig *sig) {
  const dl_ctype *f = ty(reg, ftype);
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

/* An array parameter is a pointer (C adjusts it so). */
static dl_ctid param_type(dl_creg *reg, dl_ctid id) {
  const dl_ctype *t = ty(reg, id);
  if (t->kind == DL_C_ARRAY) return dl_ctype_ptr(reg, t->base);
  return id;
}

static uint8_t arg_how(dl_creg *reg, dl_ctid id) {
  switch (ty(reg, id)->kind) {
    case DL_C_PTR: return A_PTR;
    case DL_C_ENUM: return A_ENUM;
    case DL_C_STRUCT:
    case DL_C_UNION: return A_AGG;
    default: return A_VALUE;
  }
}

static uint8_t ret_how(dl_creg *reg, dl_ctid id) {
  const dl_ctype *t = ty(reg, id);
  switch (t->kind) {
    case DL_C_VOID: return R_VOID;
    case DL_C_STRUCT:
    case DL_C_UNION: return R_AGG;
    case DL_C_PTR: return is_const_char_ptr(reg, id) ? R_STRING : R_VALUE;
    case DL_C_BOOL:
    case DL_C_INT:
    case DL_C_ENUM: return t->size < sizeof(ffi_arg) ? R_INT : R_VALUE;
    default: return R_VALUE;
  }
}

static int cfn_entry(lua_State *L);

/* Pushes the function of type ftype named name, resolved as symbol; or
 * for a scalar shape fills out (func.c makes it). */
static int make(lua_State *L, int lib_idx, dl_ctid ftype, const char *name,
                const char *symbol, int report, ldl_cfunc_sig *out) {
  dl_creg *reg = ldl_creg(L);
  const dl_ctype *ft = ty(reg, ftype);
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
  size_t wsize = (size_t)ft->count * (strlen(name) + 32);
  ldl_cfn *f = lua_newuserdatauv(L, sizeof *f + wsize, 1);
  memset(f, 0, sizeof *f);
  char *w = f->text;
  for (uint32_t i = 0; i < ft->count; i++) {
    f->what[i] = w;
    w += sprintf(w, "argument #%u to '%s'", i + 1, name) + 1;
  }
  f->lib = lib;
  f->fn = fn;
  f->report = report;
  snprintf(f->name, sizeof f->name, "%s", name);
  f->nargs = (int)ft->count;
  f->variadic = (ft->flags & DL_CF_VARIADIC) != 0;
  dl_ffi_cache *cache = ffi_cache(L);
  char msg[300];
  f->ret = ft->base;
  f->ret_how = ret_how(reg, f->ret);
  f->ret_size = ty(reg, f->ret)->size;
  f->rtype = dl_ffi_ctype(cache, reg, f->ret, msg, sizeof msg);
  if (!f->rtype) return luaL_error(L, "dynlib: result of '%s': %s", name, msg);
  for (int i = 0; i < f->nargs; i++) {
    dl_ctid a = param_type(reg, dl_creg_member(reg, ft->first + (uint32_t)i)->type);
    f->args[i] = a;
    f->how[i] = arg_how(reg, a);
    f->size[i] = ty(reg, a)->size;
    f->types[i] = ty(reg, a)->kind == DL_C_VOID
                      ? NULL
                      : dl_ffi_ctype(cache, reg, a, msg, sizeof msg);
    if (!f->types[i])
      return luaL_error(L, "dynlib: parameter %d of '%s': %s", i + 1, name,
                        ty(reg, a)->kind == DL_C_VOID ? "void" : msg);
  }
  if (!f->variadic &&
      ffi_prep_cif(&f->cif, FFI_DEFAULT_ABI, (unsigned)f->nargs, f->rtype,
                   f->types) != FFI_OK)
    return luaL_error(L, "dynlib: libffi cannot prepare a call to '%s'", name);
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
                    f->lib->h ? dynlib_path(f->lib->h) : "?", f->name);
}

/* An enum given as a constant's name: its value, checked to belong to the
 * parameter's enum. Leaves an integer at the top of the stack. */
static void enum_name(lua_State *L, dl_creg *reg, const ldl_cfn *f, int i,
                      dl_ctid want) {
  const char *s = lua_tostring(L, i);
  int64_t v;
  dl_ctid et;
  char tname[128];
  if (dl_creg_const(reg, s, &v, &et) != 0 ||
      dl_ctype_qualified(reg, et, 0) != dl_ctype_qualified(reg, want, 0)) {
    dl_ctype_name(reg, want, tname, sizeof tname);
    luaL_error(L, "bad argument #%d to '%s' (no constant '%s' in %s)", i,
               f->name, s, tname);
  }
  lua_pushinteger(L, (lua_Integer)v);
}

/* Converts argument i (1-based) of a declared parameter into slot. */
static void conv(lua_State *L, dl_creg *reg, const ldl_cfn *f, int i,
                 void *slot) {
  int a = i - 1;
  dl_ctid t = f->args[a];
  switch (f->how[a]) {
    case A_PTR: /* the store takes every other pointer (checked) */
      if (lua_type(L, i) == LUA_TSTRING && takes_string(reg, t)) {
        const char *p = lua_tostring(L, i);
        memcpy(slot, &p, sizeof p);
        return;
      }
      break;
    case A_ENUM:
      if (lua_type(L, i) == LUA_TSTRING) {
        enum_name(L, reg, f, i, t);
        ldl_cdata_store(L, -1, t, slot, f->what[a]);
        lua_pop(L, 1);
        return;
      }
      break;
    case A_AGG: { /* an object of the very type: copied as it is */
      void *addr;
      dl_ctid ct;
      int obj;
      if (ldl_cdata_get(L, i, &addr, &ct, &obj) && obj &&
          dl_ctype_qualified(reg, ct, 0) == dl_ctype_qualified(reg, t, 0)) {
        memcpy(slot, addr, f->size[a]);
        return;
      }
      break;
    }
    default:
      break;
  }
  ldl_cdata_store(L, i, t, slot, f->what[a]);
}

/* Memory for the arguments' slots: on the C stack when small, else a
 * userdata pushed for the call's duration. */
static unsigned char *slots(lua_State *L, const ldl_cfn *f, int n,
                            unsigned char *local, size_t lsize, size_t *offs) {
  size_t total = 0;
  for (int i = 0; i < n; i++) {
    offs[i] = total;
    size_t s = i < f->nargs && f->size[i] > SLOT ? f->size[i] : SLOT;
    total += (s + SLOT - 1) / SLOT * SLOT;
  }
  if (total <= lsize) return local;
  return lua_newuserdatauv(L, total, 0);
}

/* A dl_value into an argument slot of its type's size. */
static void put_value(void *slot, const dl_type *t, const dl_value *v) {
  if (t->kind == DL_DOUBLE) {
    memcpy(slot, &v->d, 8);
  } else if (t->size == 4) {
    uint32_t u = (uint32_t)v->u;
    memcpy(slot, &u, 4);
  } else {
    memcpy(slot, &v->u, 8);
  }
}

/* A variadic argument: a typed value as above, else its type from its
 * Lua value as func.c's variadic calls type it (an integer as long, or
 * wider past long's range, a number as double, a string, a boolean as
 * int, nil and dynlib's objects as pointers). */
static ffi_type *variadic_arg(lua_State *L, const ldl_cfn *f, int i,
                              void *slot) {
  dl_type t;
  dl_value v;
  void *p;
  if (ldl_variadic_cdata(L, i, f->name, &t, &v)) {
    if (t.kind == DL_PTR) {
      p = (void *)(uintptr_t)v.u;
      memcpy(slot, &p, sizeof p);
      return &ffi_type_pointer;
    }
    put_value(slot, &t, &v);
    return dl_ffi_type(&t);
  }
  switch (lua_type(L, i)) {
    case LUA_TNUMBER:
      if (lua_isinteger(L, i)) {
        lua_Integer x = lua_tointeger(L, i);
        if (x >= LONG_MIN && x <= LONG_MAX) {
          long l = (long)x;
          memcpy(slot, &l, sizeof l);
          return &ffi_type_slong;
        }
        if (x > 0 && (uint64_t)x <= ULONG_MAX) {
          unsigned long ul = (unsigned long)x;
          memcpy(slot, &ul, sizeof ul);
          return &ffi_type_ulong;
        }
        long long ll = (long long)x;
        memcpy(slot, &ll, sizeof ll);
        return &ffi_type_sint64;
      } else {
        double d = (double)lua_tonumber(L, i);
        memcpy(slot, &d, sizeof d);
        return &ffi_type_double;
      }
    case LUA_TSTRING:
      p = (void *)lua_tostring(L, i);
      memcpy(slot, &p, sizeof p);
      return &ffi_type_pointer;
    case LUA_TBOOLEAN: {
      int b = lua_toboolean(L, i);
      memcpy(slot, &b, sizeof b);
      return &ffi_type_sint;
    }
    default:
      if (!ldl_to_pointer(L, i, &p))
        luaL_error(L, "bad argument #%d to '%s' (number, string, boolean, "
                      "pointer or typed value expected, got %s)",
                   i, f->name, ldl_value_name(L, i));
      memcpy(slot, &p, sizeof p);
      return &ffi_type_pointer;
  }
}

/* Pushes the result held in r. */
static int push_result(lua_State *L, const ldl_cfn *f, void *r) {
  switch (f->ret_how) {
    case R_VOID: return 0;
    case R_STRING: {
      const char *s;
      memcpy(&s, r, sizeof s);
      if (s) lua_pushstring(L, s);
      else lua_pushnil(L);
      return 1;
    }
    case R_INT: { /* libffi widened it to a whole ffi_arg */
      ffi_arg w;
      memcpy(&w, r, sizeof w);
      unsigned char narrow[8];
      uint64_t u = (uint64_t)w;
      memcpy(narrow, &u, sizeof narrow); /* little-endian: low bytes first */
      ldl_cdata_push_value(L, f->ret, narrow);
      return 1;
    }
    default:
      ldl_cdata_push_value(L, f->ret, r);
      return 1;
  }
}

static int cfn_entry(lua_State *L) {
  const ldl_cfn *f = lua_touserdata(L, lua_upvalueindex(1));
  if (!f->lib->open) return closed_error(L, f);
  int n = lua_gettop(L);
  if (f->variadic ? n < f->nargs : n != f->nargs)
    return luaL_error(L, "wrong number of arguments to '%s' (%s%d expected, "
                         "got %d)",
                      f->name, f->variadic ? "at least " : "", f->nargs, n);
  if (n > DL_MAX_ARGS)
    return luaL_error(L, "too many arguments to '%s' (at most %d)", f->name,
                      DL_MAX_ARGS);
  dl_creg *reg = ldl_creg(L);
  _Alignas(16) unsigned char local[DL_MAX_ARGS * SLOT];
  size_t offs[DL_MAX_ARGS];
  unsigned char *mem = slots(L, f, n, local, sizeof local, offs);
  void *av[DL_MAX_ARGS];
  ffi_type *types[DL_MAX_ARGS];
  for (int i = 0; i < n; i++) {
    av[i] = mem + offs[i];
    if (i < f->nargs) {
      conv(L, reg, f, i + 1, av[i]);
      types[i] = f->types[i];
    } else {
      types[i] = variadic_arg(L, f, i + 1, av[i]);
    }
  }
  ffi_cif vcif;
  const ffi_cif *cif = &f->cif;
  if (f->variadic) {
    if (ffi_prep_cif_var(&vcif, FFI_DEFAULT_ABI, (unsigned)f->nargs,
                         (unsigned)n, f->rtype, types) != FFI_OK)
      return luaL_error(L, "dynlib: libffi cannot prepare this call to '%s'",
                        f->name);
    cif = &vcif;
  }
  /* The result: small ones on the C stack (libffi may store whole
   * registers), large ones straight into a new object. */
  _Alignas(16) unsigned char rlocal[64];
  void *r = rlocal;
  if (f->ret_how == R_AGG && f->ret_size > 32)
    r = ldl_cdata_new(L, f->ret, f->ret_size);
  int err = 0, last = 0;
  lua_State *prev = ldl_current_L;
  ldl_current_L = L;
  if (f->report & LDL_REPORT_ERRNO) dl_os_set_errno(0);
  ffi_call((ffi_cif *)cif, FFI_FN(f->fn), r, av);
  if (f->report & LDL_REPORT_LAST_ERROR) last = dl_os_last_error();
  if (f->report & LDL_REPORT_ERRNO) err = dl_os_errno();
  ldl_current_L = prev;
  if (__atomic_load_n(&ldl_callback_errors, __ATOMIC_RELAXED) != 0)
    ldl_raise_callback_error(L);
  int pushed;
  if (f->ret_how == R_AGG) {
    if (r == rlocal) memcpy(ldl_cdata_new(L, f->ret, f->ret_size), r, f->ret_size);
    pushed = 1;
  } else {
    pushed = push_result(L, f, r);
  }
  if (f->report & LDL_REPORT_ERRNO) lua_pushinteger(L, err), pushed++;
  if (f->report & LDL_REPORT_LAST_ERROR) lua_pushinteger(L, last), pushed++;
  return pushed;
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
