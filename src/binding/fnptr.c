/*
 * fnptr.c - calling a C function through a typed function pointer
 * (fnptr.h). The first call through a function type prepares its libffi
 * call once (cached per Lua state by the type's id); every call then
 * stores each argument with the typed-value conversions (cdata.h: range,
 * type and pointer compatibility checked, a callback's signature too),
 * calls, and pushes the result as a field of that type would read.
 */
#include <string.h>

#include "binding/callback.h"
#include "binding/cdata.h"
#include "binding/ctypes.h"
#include "binding/fnptr.h"
#include "binding/util.h"
#include "calls/call.h"

static const char PROTO_KEY = 'p'; /* registry: {[function type id] = proto} */

/* A function type's prepared call. */
typedef struct fp_proto {
  int nargs;
  dl_ctid ret;
  int ret_kind;            /* RET_* */
  size_t ret_size;
  dl_ctid args[DL_MAX_ARGS];
  uint8_t is_str[DL_MAX_ARGS]; /* const char *: a Lua string passes as is */
  char what[DL_MAX_ARGS][24];  /* "argument #3", for conversion errors */
  ffi_cif cif;
  ffi_type *types[DL_MAX_ARGS];
} fp_proto;

enum { RET_VOID, RET_STRING, RET_NARROW, RET_VALUE };

/* libffi's type of a parameter or result that travels as a scalar; NULL
 * for what cannot (structs, unions, long double by value). */
static ffi_type *scalar_ffi(dl_creg *reg, dl_ctid id) {
  const dl_ctype *t = dl_creg_type(reg, id);
  if (t->kind == DL_C_ENUM) t = dl_creg_type(reg, t->base);
  dl_type d = {0, (uint8_t)t->size, ""};
  switch (t->kind) {
    case DL_C_VOID: d.kind = DL_VOID; break;
    case DL_C_BOOL: d.kind = DL_BOOL; break;
    case DL_C_INT: d.kind = t->flags & DL_CF_UNSIGNED ? DL_UINT : DL_SINT; break;
    case DL_C_FLOAT: d.kind = DL_FLOAT; break;
    case DL_C_DOUBLE: d.kind = DL_DOUBLE; break;
    case DL_C_PTR: d.kind = DL_PTR; d.size = sizeof(void *); break;
    default: return NULL;
  }
  return dl_ffi_type(&d);
}

/* Exactly `const char *`: strings in, strings out. */
static int is_const_char_ptr(dl_creg *reg, dl_ctid id) {
  const dl_ctype *t = dl_creg_type(reg, id);
  if (t->kind != DL_C_PTR) return 0;
  const dl_ctype *to = dl_creg_type(reg, t->base);
  return to->kind == DL_C_INT && (to->flags & DL_CF_CONST) &&
         dl_ctype_qualified(reg, t->base, 0) == dl_creg_builtin(reg, "char");
}

static int result_kind(dl_creg *reg, dl_ctid id) {
  const dl_ctype *t = dl_creg_type(reg, id);
  if (t->kind == DL_C_ENUM) t = dl_creg_type(reg, t->base);
  if (t->kind == DL_C_VOID) return RET_VOID;
  if (is_const_char_ptr(reg, id)) return RET_STRING;
  /* libffi widens narrow integer results to a whole ffi_arg. */
  if ((t->kind == DL_C_INT || t->kind == DL_C_BOOL) && t->size < sizeof(ffi_arg))
    return RET_NARROW;
  return RET_VALUE;
}

/* Prepares the call of function type ftype (pointer type ptype for
 * messages); raises for what it cannot call. */
static void prepare(lua_State *L, dl_creg *reg, fp_proto *p, dl_ctid ptype, dl_ctid ftype) {
  const dl_ctype *f = dl_creg_type(reg, ftype);
  char name[200];
  dl_ctype_name(reg, ptype, name, sizeof name);
  if (f->flags & DL_CF_VARIADIC)
    luaL_error(L, "dynlib: cannot call a variadic function pointer ('%s')", name);
  if (f->count > DL_MAX_ARGS) luaL_error(L, "dynlib: too many parameters in '%s'", name);
  p->nargs = (int)f->count;
  p->ret = f->base;
  p->ret_kind = result_kind(reg, f->base);
  p->ret_size = dl_creg_type(reg, f->base)->size;
  ffi_type *rt = scalar_ffi(reg, f->base);
  for (int i = 0; i < p->nargs; i++) {
    p->args[i] = dl_creg_member(reg, f->first + (uint32_t)i)->type;
    p->is_str[i] = (uint8_t)is_const_char_ptr(reg, p->args[i]);
    p->types[i] = scalar_ffi(reg, p->args[i]);
    snprintf(p->what[i], sizeof p->what[i], "argument #%d", i + 1);
    if (p->types[i] == NULL || p->types[i] == &ffi_type_void)
      luaL_error(L, "dynlib: '%s': parameter %d cannot be passed here (only scalars and "
                    "pointers)", name, i + 1);
  }
  if (rt == NULL) luaL_error(L, "dynlib: '%s': its result cannot be returned here", name);
  if (ffi_prep_cif(&p->cif, FFI_DEFAULT_ABI, (unsigned)p->nargs, rt, p->types) != FFI_OK)
    luaL_error(L, "dynlib: libffi cannot prepare a call of '%s'", name);
}

/* The prepared call of pointer type ptype, made on first use. */
static const fp_proto *proto_for(lua_State *L, dl_creg *reg, dl_ctid ptype) {
  ldl_registry_table(L, &PROTO_KEY);
  if (lua_rawgeti(L, -1, (lua_Integer)ptype) == LUA_TUSERDATA) {
    const fp_proto *p = lua_touserdata(L, -1);
    lua_pop(L, 2); /* the table keeps it */
    return p;
  }
  lua_pop(L, 1);
  fp_proto *p = lua_newuserdatauv(L, sizeof *p, 0);
  memset(p, 0, sizeof *p);
  prepare(L, reg, p, ptype, dl_creg_type(reg, ptype)->base);
  lua_rawseti(L, -2, (lua_Integer)ptype);
  lua_pop(L, 1);
  return p;
}

/* One argument or result: any scalar or pointer. */
typedef union fp_value {
  ffi_arg a;
  int64_t i;
  double d;
  void *p;
} fp_value;

/* libffi widens a narrow integer result to a whole ffi_arg: the value at
 * its own width first (any byte order), then read as the type reads. */
static void push_narrow(lua_State *L, dl_ctid type, size_t size, ffi_arg a) {
  unsigned char buf[8];
  uint8_t u8 = (uint8_t)a;
  uint16_t u16 = (uint16_t)a;
  uint32_t u32 = (uint32_t)a;
  if (size == 1) memcpy(buf, &u8, 1);
  else if (size == 2) memcpy(buf, &u16, 2);
  else memcpy(buf, &u32, 4);
  ldl_cdata_push_value(L, type, buf);
}

static void push_result(lua_State *L, const fp_proto *p, const fp_value *r) {
  switch (p->ret_kind) {
    case RET_VOID: return;
    case RET_STRING:
      if (r->p) lua_pushstring(L, r->p);
      else lua_pushnil(L);
      return;
    case RET_NARROW: push_narrow(L, p->ret, p->ret_size, r->a); return;
    default: ldl_cdata_push_value(L, p->ret, r); return;
  }
}

static int fnptr_call(lua_State *L) {
  void *addr;
  dl_ctid ptype;
  int is_object;
  dl_creg *reg = ldl_creg(L);
  if (!ldl_cdata_get(L, 1, &addr, &ptype, &is_object) || is_object ||
      dl_creg_type(reg, ptype)->kind != DL_C_PTR ||
      dl_creg_type(reg, dl_creg_type(reg, ptype)->base)->kind != DL_C_FUNC)
    return luaL_error(L, "dynlib: attempt to call a %s (only function pointers are callable)",
                      luaL_typename(L, 1));
  const fp_proto *p = proto_for(L, reg, ptype);
  int n = lua_gettop(L) - 1;
  if (n != p->nargs)
    return luaL_error(L, "dynlib: the function pointer takes %d arguments, got %d", p->nargs, n);
  fp_value vals[DL_MAX_ARGS], ret;
  void *av[DL_MAX_ARGS];
  for (int i = 0; i < n; i++) {
    memset(&vals[i], 0, sizeof vals[i]);
    if (p->is_str[i] && lua_type(L, i + 2) == LUA_TSTRING) vals[i].p = (void *)lua_tostring(L, i + 2);
    else ldl_cdata_store(L, i + 2, p->args[i], &vals[i], p->what[i]);
    av[i] = &vals[i];
  }
  /* Callbacks reached through this call run on this coroutine; their
   * errors are raised once the C frames are gone. */
  lua_State *prev = ldl_current_L;
  ldl_current_L = L;
  ffi_call((ffi_cif *)&p->cif, FFI_FN(addr), &ret, av);
  ldl_current_L = prev;
  if (__atomic_load_n(&ldl_callback_errors, __ATOMIC_RELAXED) != 0) ldl_raise_callback_error(L);
  push_result(L, p, &ret);
  return p->ret_kind == RET_VOID ? 0 : 1;
}

void ldl_open_fnptr(lua_State *L) {
  /* Typed values' metatable (cdata.c, opened before) gets the __call. */
  if (luaL_getmetatable(L, "dynlib.cdata") != LUA_TTABLE)
    luaL_error(L, "dynlib: typed values must be set up before function pointers");
  lua_pushcfunction(L, fnptr_call);
  lua_setfield(L, -2, "__call");
  lua_pop(L, 1);
}
