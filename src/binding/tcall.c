/*
 * tcall.c - libffi calls of declared function types (tcall.h).
 *
 * Each argument is converted into its own slot by the typed values' store
 * (cdata.h), which checks ranges and pointer types as everywhere else; a
 * struct or union by value has the libffi type calls/ffi_struct.c builds
 * from its layout, from one cache per Lua state. The result is pushed as
 * a typed value: a struct or union as a new object.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <lauxlib.h>

#include "binding/callback.h"
#include "binding/cdata.h"
#include "binding/ctypes.h"
#include "binding/ptrarg.h"
#include "binding/tcall.h"
#include "binding/util.h"
#include "calls/ffi_struct.h"
#include "os/os.h"

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

/* ---- the per-state libffi type cache ----------------------------------- */

static int cache_gc(lua_State *L) {
  dl_ffi_cache **c = lua_touserdata(L, 1);
  dl_ffi_cache_free(*c);
  *c = NULL;
  return 0;
}

/* The state's cache, made on first use; freed when the state closes (after
 * every call that uses its types: they are collected first or with it,
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

int ldl_is_const_char_ptr(dl_creg *reg, dl_ctid id) {
  const dl_ctype *t = ty(reg, id);
  if (t->kind != DL_C_PTR) return 0;
  dl_ctid cc = dl_ctype_qualified(reg, dl_creg_builtin(reg, "char"), 1);
  return t->base == cc;
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
    case DL_C_PTR: return ldl_is_const_char_ptr(reg, id) ? R_STRING : R_VALUE;
    case DL_C_BOOL:
    case DL_C_INT:
    case DL_C_ENUM: return t->size < sizeof(ffi_arg) ? R_INT : R_VALUE;
    default: return R_VALUE;
  }
}

/* ---- preparing --------------------------------------------------------- */

size_t ldl_tcall_text(const dl_creg *reg, dl_ctid ftype, const char *name) {
  size_t len = strlen(name);
  return len + 1 + (size_t)ty(reg, ftype)->count * (len + 32);
}

/* The name, then "argument #i to 'name'" for each parameter, into text. */
static void name_args(ldl_tcall *c, int n, const char *name, char *text) {
  c->name = text;
  char *w = text + sprintf(text, "%s", name) + 1;
  for (int i = 0; i < n && i < DL_MAX_ARGS; i++) {
    c->what[i] = w;
    w += sprintf(w, "argument #%d to '%s'", i + 1, name) + 1;
  }
}

/* The libffi type of parameter i (0-based) or of the result (i < 0). */
static ffi_type *ffi_of(lua_State *L, dl_ffi_cache *cache, dl_creg *reg,
                        const ldl_tcall *c, dl_ctid id, int i) {
  char msg[300];
  int is_void = ty(reg, id)->kind == DL_C_VOID;
  ffi_type *t = i >= 0 && is_void ? NULL : dl_ffi_ctype(cache, reg, id, msg, sizeof msg);
  if (t) return t;
  if (i < 0) luaL_error(L, "dynlib: result of '%s': %s", c->name, msg);
  luaL_error(L, "dynlib: parameter %d of '%s': %s", i + 1, c->name, is_void ? "void" : msg);
  return NULL;
}

void ldl_tcall_prepare(lua_State *L, ldl_tcall *c, dl_ctid ftype,
                       const char *name, char *text) {
  dl_creg *reg = ldl_creg(L);
  const dl_ctype *ft = ty(reg, ftype);
  name_args(c, (int)ft->count, name, text);
  c->reg = reg;
  if (ft->count > DL_MAX_ARGS)
    luaL_error(L, "dynlib: '%s' has more than %d parameters", name, DL_MAX_ARGS);
  c->nargs = (int)ft->count;
  c->variadic = (ft->flags & DL_CF_VARIADIC) != 0;
  dl_ffi_cache *cache = ffi_cache(L);
  c->ret = ft->base;
  c->ret_how = ret_how(reg, c->ret);
  c->ret_size = ty(reg, c->ret)->size;
  c->rtype = ffi_of(L, cache, reg, c, c->ret, -1);
  for (int i = 0; i < c->nargs; i++) {
    dl_ctid a = param_type(reg, dl_creg_member(reg, ft->first + (uint32_t)i)->type);
    c->args[i] = a;
    c->how[i] = arg_how(reg, a);
    c->size[i] = ty(reg, a)->size;
    c->types[i] = ffi_of(L, cache, reg, c, a, i);
  }
  if (!c->variadic &&
      ffi_prep_cif(&c->cif, FFI_DEFAULT_ABI, (unsigned)c->nargs, c->rtype,
                   c->types) != FFI_OK)
    luaL_error(L, "dynlib: libffi cannot prepare a call to '%s'", name);
}

/* ---- arguments --------------------------------------------------------- */

/* An enum given as a constant's name: its value, checked to belong to the
 * parameter's enum. Leaves an integer at the top of the stack. */
static void enum_name(lua_State *L, dl_creg *reg, const ldl_tcall *c, int i,
                      dl_ctid want) {
  const char *s = lua_tostring(L, i);
  int64_t v;
  dl_ctid et;
  char tname[128];
  if (dl_creg_const(reg, s, &v, &et) != 0 ||
      dl_ctype_qualified(reg, et, 0) != dl_ctype_qualified(reg, want, 0)) {
    dl_ctype_name(reg, want, tname, sizeof tname);
    luaL_error(L, "bad argument #%d to '%s' (no constant '%s' in %s)", i,
               c->name, s, tname);
  }
  lua_pushinteger(L, (lua_Integer)v);
}

/* Converts argument i (1-based) of a declared parameter into slot. */
static void conv(lua_State *L, dl_creg *reg, const ldl_tcall *c, int i,
                 void *slot) {
  int a = i - 1;
  dl_ctid t = c->args[a];
  switch (c->how[a]) {
    case A_PTR: /* the store takes every other pointer (checked) */
      if (lua_type(L, i) == LUA_TSTRING && takes_string(reg, t)) {
        const char *p = lua_tostring(L, i);
        memcpy(slot, &p, sizeof p);
        return;
      }
      break;
    case A_ENUM:
      if (lua_type(L, i) == LUA_TSTRING) {
        enum_name(L, reg, c, i, t);
        ldl_cdata_store(L, -1, t, slot, c->what[a]);
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
        memcpy(slot, addr, c->size[a]);
        return;
      }
      break;
    }
    default:
      break;
  }
  ldl_cdata_store(L, i, t, slot, c->what[a]);
}

/* Memory for the arguments' slots: on the C stack when small, else a
 * userdata pushed for the call's duration. */
static unsigned char *slots(lua_State *L, const ldl_tcall *c, int n,
                            unsigned char *local, size_t lsize, size_t *offs) {
  size_t total = 0;
  for (int i = 0; i < n; i++) {
    offs[i] = total;
    size_t s = i < c->nargs && c->size[i] > SLOT ? c->size[i] : SLOT;
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

/* An integer variadic argument: long, or wider past long's range. */
static ffi_type *variadic_int(lua_Integer x, void *slot) {
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
}

/* A variadic argument: a typed value as above, else its type from its
 * Lua value as func.c's variadic calls type it (an integer as long, or
 * wider past long's range, a number as double, a string, a boolean as
 * int, nil and dynlib's objects as pointers). */
static ffi_type *variadic_arg(lua_State *L, const ldl_tcall *c, int i,
                              void *slot) {
  dl_type t;
  dl_value v;
  void *p;
  if (ldl_variadic_cdata(L, i, c->name, &t, &v)) {
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
      if (lua_isinteger(L, i)) return variadic_int(lua_tointeger(L, i), slot);
      double d = (double)lua_tonumber(L, i);
      memcpy(slot, &d, sizeof d);
      return &ffi_type_double;
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
                   i, c->name, ldl_value_name(L, i));
      memcpy(slot, &p, sizeof p);
      return &ffi_type_pointer;
  }
}

/* ---- results ----------------------------------------------------------- */

/* libffi widens a narrow integer result to a whole ffi_arg: the value at
 * its own width first (any byte order), then read as the type reads. */
static void push_narrow(lua_State *L, dl_ctid type, size_t size, const void *r) {
  ffi_arg a;
  memcpy(&a, r, sizeof a);
  unsigned char buf[8];
  uint8_t u8 = (uint8_t)a;
  uint16_t u16 = (uint16_t)a;
  uint32_t u32 = (uint32_t)a;
  if (size == 1) memcpy(buf, &u8, 1);
  else if (size == 2) memcpy(buf, &u16, 2);
  else memcpy(buf, &u32, 4);
  ldl_cdata_push_value(L, type, buf);
}

/* Pushes the scalar result held in r. */
static int push_result(lua_State *L, const ldl_tcall *c, void *r) {
  switch (c->ret_how) {
    case R_VOID: return 0;
    case R_STRING: {
      const char *s;
      memcpy(&s, r, sizeof s);
      if (s) lua_pushstring(L, s);
      else lua_pushnil(L);
      return 1;
    }
    case R_INT: push_narrow(L, c->ret, c->ret_size, r); return 1;
    default:
      ldl_cdata_push_value(L, c->ret, r);
      return 1;
  }
}

/* ---- calling ----------------------------------------------------------- */

/* The arguments at 1..n into slots of mem, their libffi types into types;
 * av gets each slot's address. */
static void convert_args(lua_State *L, const ldl_tcall *c, int n, unsigned char *mem,
                         const size_t *offs, void **av, ffi_type **types) {
  for (int i = 0; i < n; i++) {
    av[i] = mem + offs[i];
    if (i < c->nargs) {
      conv(L, c->reg, c, i + 1, av[i]);
      types[i] = c->types[i];
    } else {
      types[i] = variadic_arg(L, c, i + 1, av[i]);
    }
  }
}

/* The call itself, errno and GetLastError read right after it when asked
 * for (err[0], err[1]); callbacks it reaches run on this coroutine, their
 * errors raised once the C frames are gone. */
static void call(lua_State *L, const ffi_cif *cif, void *fn, void *r, void **av,
                 int report, int *err) {
  lua_State *prev = ldl_current_L;
  ldl_current_L = L;
  if (report & LDL_REPORT_ERRNO) dl_os_set_errno(0);
  ffi_call((ffi_cif *)cif, FFI_FN(fn), r, av);
  if (report & LDL_REPORT_LAST_ERROR) err[1] = dl_os_last_error();
  if (report & LDL_REPORT_ERRNO) err[0] = dl_os_errno();
  ldl_current_L = prev;
  if (__atomic_load_n(&ldl_callback_errors, __ATOMIC_RELAXED) != 0)
    ldl_raise_callback_error(L);
}

int ldl_tcall_call(lua_State *L, const ldl_tcall *c, void *fn, int report) {
  int n = lua_gettop(L);
  if (c->variadic ? n < c->nargs : n != c->nargs)
    return luaL_error(L, "wrong number of arguments to '%s' (%s%d expected, got %d)",
                      c->name, c->variadic ? "at least " : "", c->nargs, n);
  if (n > DL_MAX_ARGS)
    return luaL_error(L, "too many arguments to '%s' (at most %d)", c->name, DL_MAX_ARGS);
  _Alignas(16) unsigned char local[DL_MAX_ARGS * SLOT];
  size_t offs[DL_MAX_ARGS];
  unsigned char *mem = slots(L, c, n, local, sizeof local, offs);
  void *av[DL_MAX_ARGS];
  ffi_type *types[DL_MAX_ARGS];
  convert_args(L, c, n, mem, offs, av, types);
  ffi_cif vcif;
  const ffi_cif *cif = &c->cif;
  if (c->variadic) {
    if (ffi_prep_cif_var(&vcif, FFI_DEFAULT_ABI, (unsigned)c->nargs, (unsigned)n,
                         c->rtype, types) != FFI_OK)
      return luaL_error(L, "dynlib: libffi cannot prepare this call to '%s'", c->name);
    cif = &vcif;
  }
  /* The result: small ones on the C stack (libffi may store whole
   * registers), large ones straight into a new object. */
  _Alignas(16) unsigned char rlocal[64];
  void *r = rlocal;
  if (c->ret_how == R_AGG && c->ret_size > 32) r = ldl_cdata_new(L, c->ret, c->ret_size);
  int err[2] = {0, 0};
  call(L, cif, fn, r, av, report, err);
  int pushed = 1;
  if (c->ret_how != R_AGG) pushed = push_result(L, c, r);
  else if (r == rlocal) memcpy(ldl_cdata_new(L, c->ret, c->ret_size), r, c->ret_size);
  if (report & LDL_REPORT_ERRNO) lua_pushinteger(L, err[0]), pushed++;
  if (report & LDL_REPORT_LAST_ERROR) lua_pushinteger(L, err[1]), pushed++;
  return pushed;
}
