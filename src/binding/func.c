/*
 * func.c - typed calls from Lua: lib:func(prototype) returns a C
 * closure that converts and range-checks its arguments, calls through the
 * fast path or libffi (call.c), and converts the result back.
 *
 * The closure's upvalues are the prepared call (a userdata) and the library
 * handle: holding the handle keeps the library loaded, and every call
 * checks that the handle is still open, so a call after lib:close() is a
 * Lua error, never a jump into unmapped code.
 */
#define _GNU_SOURCE
#include <float.h>
#include <limits.h>
#include <math.h>
#include <string.h>

#include "calls/call.h"
#include "binding/callback.h"
#include "binding/cfunc.h"
#include "binding/func.h"
#include "binding/module.h"
#include "binding/ptrarg.h"
#include "binding/util.h"
#include "calls/sig.h"
#include "os/os.h"

#define FN_MT "dynlib.function"

/* A function made by lib:func. The fields a call reads come first and
 * compact (kind and size of each argument), so a call touches one or two
 * cache lines; the full signature with its type names is read on errors. */
typedef struct ldl_fn {
  ldl_lib *lib;     /* also the userdata's user value, which keeps it alive */
  void *fn;         /* the C function (call.fn, here beside lib) */
  int nargs;
  uint8_t ret_kind, ret_size, ret_class;
  uint8_t kind[DL_MAX_ARGS], size[DL_MAX_ARGS];
  lua_Integer lo[DL_MAX_ARGS], hi[DL_MAX_ARGS]; /* integer ranges */
  int report;       /* REPORT_*: errno, GetLastError() after the result */
  /* The libffi path converts each argument straight into its slot (by
   * fclass); avalue[i] points at slots[i] from lib:func on. Slots in the
   * function, not on the stack: libffi has read them before the C function
   * runs, so a callback calling the same function again may refill them. */
  uint8_t fclass[DL_MAX_ARGS];
  dl_slot slots[DL_MAX_ARGS];
  void *avalue[DL_MAX_ARGS];
  dl_callable call; /* points at sig below: the userdata never moves */
  dl_sig sig;
} ldl_fn;

/* The closure's upvalues: 1 is a light userdata pointing at its ldl_fn
 * (read on every call: a light userdata is the cheapest value for
 * lua_touserdata to reach), 2 the ldl_fn's full userdata, which keeps it
 * alive and proves, for call_path, that the closure is one of ours. */
#define FN_LIGHT 1
#define FN_BOX 2

static inline __attribute__((always_inline)) const ldl_fn *fn_of(lua_State *L) {
  return (const ldl_fn *)lua_touserdata(L, lua_upvalueindex(FN_LIGHT));
}

static const char SIGCACHE_KEY = 's';
static const char FORCE_FFI_KEY = 'f';

/* ---- argument conversion ----------------------------------------------- */

/* Errors are out of line and cold: kept out of the entries, whose hot path
 * then needs fewer registers and unrolls. */
#define COLD __attribute__((noinline, cold))

COLD static int arg_error(lua_State *L, int i, const dl_sig *sig, const char *msg) {
  return luaL_error(L, "bad argument #%d to '%s' (%s)", i, sig->name, msg);
}

COLD static int type_error(lua_State *L, int i, const dl_sig *sig,
                      const char *expected) {
  const char *msg = lua_pushfstring(L, "%s expected, got %s", expected,
                                    luaL_typename(L, i));
  return arg_error(L, i, sig, msg);
}

COLD static int range_error(lua_State *L, int i, const dl_sig *sig,
                       const dl_type *t) {
  const char *msg = lua_pushfstring(L, "value out of range for %s", t->name);
  return arg_error(L, i, sig, msg);
}

/* Why argument i is no integer (it was not convertible): raises. */
COLD static void not_integer(lua_State *L, int i, const dl_sig *sig) {
  if (lua_type(L, i) == LUA_TNUMBER)
    arg_error(L, i, sig, "number has no integer representation");
  type_error(L, i, sig, "number");
}

/* ---- the call ---------------------------------------------------------- */

/* A callback that failed during the C call has its error raised here, once
 * the C frames are gone: one relaxed load after each call. */

/* Entries whose arguments include pointers tell callbacks which coroutine
 * makes the call (a thread-local, set only around the C call, which never
 * unwinds). */
#define STATE_ENTER(L)                     \
  lua_State *prev_state_ = ldl_current_L; \
  ldl_current_L = (L)
#define STATE_LEAVE() (ldl_current_L = prev_state_)
/* After each call, one relaxed load of the word; handler when it moved. */
#define WORD_CHECK(L, handler)                                             \
  do {                                                                     \
    if (__builtin_expect(                                                  \
            __atomic_load_n(&ldl_callback_errors, __ATOMIC_RELAXED) != 0, 0)) \
      handler(L);                                                          \
  } while (0)
#define CB_CHECK(L) WORD_CHECK(L, ldl_raise_callback_error)

COLD static int closed_error(lua_State *L, const ldl_fn *f) {
  return luaL_error(L, "dynlib: closed: %s: '%s' called after its library "
                       "handle was closed",
                    f->lib->h ? dynlib_path(f->lib->h) : "?", f->sig.name);
}

/* A function whose library handle was closed calls this instead of its C
 * function (ldl_fn_disarm_all, at close): the fast entries then need no check
 * before the call. It raises the word the entries read after every call
 * anyway, and call_trouble tells the two reasons apart. */
static void closed_stub(void) {
  __atomic_add_fetch(&ldl_callback_errors, 1, __ATOMIC_RELAXED);
}

/* The handle's user value: a weak-keyed set of its functions' boxes, made
 * with its first function (lib_open leaves room for it). */
static void track_fn(lua_State *L, int lib_idx, int box_idx) {
  lib_idx = lua_absindex(L, lib_idx);
  box_idx = lua_absindex(L, box_idx);
  if (lua_getiuservalue(L, lib_idx, 1) != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_createtable(L, 0, 1);
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "k");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_pushvalue(L, -1);
    lua_setiuservalue(L, lib_idx, 1);
  }
  lua_pushvalue(L, box_idx);
  lua_pushboolean(L, 1);
  lua_rawset(L, -3);
  lua_pop(L, 1);
}

void ldl_fn_disarm_all(lua_State *L, int idx) {
  if (lua_getiuservalue(L, idx, 1) == LUA_TTABLE) {
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      lua_pop(L, 1);
      ((ldl_fn *)lua_touserdata(L, -1))->fn = (void *)closed_stub;
    }
  }
  lua_pop(L, 1);
}

#if DL_HAVE_FAST_PATH /* only the fast entries read the word for both */
/* After a fast entry's call, the word was raised: by the closed stub, or
 * by a callback that failed (perhaps another state's: then nothing). */
COLD static void call_trouble(lua_State *L) {
  const ldl_fn *f = fn_of(L);
  if (f->fn == (void *)closed_stub) {
    __atomic_sub_fetch(&ldl_callback_errors, 1, __ATOMIC_RELAXED);
    closed_error(L, f);
  }
  ldl_raise_callback_error(L);
}

#define TROUBLE_CHECK(L) WORD_CHECK(L, call_trouble)
#endif

COLD static int count_error(lua_State *L, int n) {
  const ldl_fn *f = fn_of(L);
  return luaL_error(L, "wrong number of arguments to '%s' (%d expected, got %d)",
                    f->sig.name, f->sig.nargs, n);
}

/* A pointer argument other than light userdata, by ptrarg.c's rules (a
 * const char * parameter takes strings before this). Out of line: rarer,
 * and it keeps the hot converter small enough to inline. */
static __attribute__((noinline)) void *other_pointer(lua_State *L, int i,
                                                     const dl_sig *sig) {
  void *p;
  if (!ldl_to_pointer(L, i, &p)) {
    const char *msg = lua_pushfstring(
        L, "%s expected (nil, light userdata or a dynlib object), got %s",
        i <= sig->nargs && sig->args[i - 1].kind == DL_STRING
            ? "string or pointer" : "pointer",
        ldl_value_name(L, i));
    arg_error(L, i, sig, msg);
  }
  return p;
}

/* An integer-class argument (integer, bool, string, pointer) as the value
 * of its register. Strings follow lauxlib (numbers convert); nil is NULL.
 * Only errors read the full signature (for names). */

static inline __attribute__((always_inline)) uint64_t
conv_intclass(lua_State *L, int i, const ldl_fn *f) {
  int a = i - 1;
  switch (f->kind[a]) {
    case DL_SINT:
    case DL_UINT: {
      int ok;
      lua_Integer x = lua_tointegerx(L, i, &ok);
      if (!ok) not_integer(L, i, &f->sig);
      if (x < f->lo[a] || x > f->hi[a]) range_error(L, i, &f->sig, &f->sig.args[a]);
      return (uint64_t)x;
    }
    case DL_STRING: {
      const char *s = lua_tolstring(L, i, NULL);
      if (s == NULL) return (uint64_t)(uintptr_t)other_pointer(L, i, &f->sig);
      return (uint64_t)(uintptr_t)s;
    }
    case DL_BOOL:
      if (lua_type(L, i) != LUA_TBOOLEAN) type_error(L, i, &f->sig, "boolean");
      return (uint64_t)lua_toboolean(L, i);
    default: { /* DL_PTR */
      if (lua_islightuserdata(L, i))
        return (uint64_t)(uintptr_t)lua_touserdata(L, i);
      return (uint64_t)(uintptr_t)other_pointer(L, i, &f->sig);
    }
  }
}

/* Any argument as a dl_value: integer-class ones as above, numbers for
 * float and double (lauxlib's rules: numeric strings convert), a finite
 * value past FLT_MAX being out of range for float. */
static inline void conv_arg(lua_State *L, int i, const ldl_fn *f, dl_value *v) {
  int a = i - 1, ok;
  switch (f->kind[a]) {
    case DL_DOUBLE:
      v->d = (double)lua_tonumberx(L, i, &ok);
      if (!ok) type_error(L, i, &f->sig, "number");
      return;
    case DL_FLOAT: {
      double d = (double)lua_tonumberx(L, i, &ok);
      if (!ok) type_error(L, i, &f->sig, "number");
      if (isfinite(d) && fabs(d) > FLT_MAX)
        range_error(L, i, &f->sig, &f->sig.args[a]);
      v->f = (float)d;
      return;
    }
    default:
      v->u = conv_intclass(L, i, f);
      return;
  }
}

/* How an integer-register result is pushed: one switch per call. */
enum { R_VOID, R_I8, R_I16, R_I32, R_I64, R_U8, R_U16, R_U32, R_BOOL, R_STR, R_PTR };

static uint8_t ret_class(int kind, int size) {
  static const uint8_t sint[] = {R_I8, R_I16, 0, R_I32, 0, 0, 0, R_I64};
  static const uint8_t uint[] = {R_U8, R_U16, 0, R_U32, 0, 0, 0, R_I64};
  switch (kind) {
    case DL_VOID: return R_VOID;
    case DL_SINT: return sint[size - 1];
    case DL_UINT: return uint[size - 1];
    case DL_BOOL: return R_BOOL;
    case DL_STRING: return R_STR;
    default: return R_PTR;
  }
}

/* Pushes an integer-register result, truncated to its declared type. */
static inline int push_raw(lua_State *L, const ldl_fn *f, uint64_t raw) {
  switch (f->ret_class) {
    case R_VOID: return 0;
    case R_I8: lua_pushinteger(L, (int8_t)raw); return 1;
    case R_I16: lua_pushinteger(L, (int16_t)raw); return 1;
    case R_I32: lua_pushinteger(L, (int32_t)raw); return 1;
    case R_I64: lua_pushinteger(L, (lua_Integer)raw); return 1;
    case R_U8: lua_pushinteger(L, (uint8_t)raw); return 1;
    case R_U16: lua_pushinteger(L, (uint16_t)raw); return 1;
    case R_U32: lua_pushinteger(L, (uint32_t)raw); return 1;
    case R_BOOL: lua_pushboolean(L, (uint8_t)raw != 0); return 1;
    case R_STR:
      if (raw) lua_pushstring(L, (const char *)(uintptr_t)raw);
      else lua_pushnil(L);
      return 1;
    default:
      if (raw) lua_pushlightuserdata(L, (void *)(uintptr_t)raw);
      else lua_pushnil(L);
      return 1;
  }
}

/* Pushes a result of any kind (the general paths). */
static int push_result(lua_State *L, const ldl_fn *f, const dl_value *r) {
  if (f->ret_kind == DL_FLOAT) {
    lua_pushnumber(L, (lua_Number)r->f);
    return 1;
  }
  if (f->ret_kind == DL_DOUBLE) {
    lua_pushnumber(L, (lua_Number)r->d);
    return 1;
  }
  return push_raw(L, f, r->u);
}

/* ---- specialised entries ------------------------------------------------
 * lib:func picks, once, an entry compiled for the function's shape: its
 * arity (so the conversion loop and the call's arity switch fold away), how
 * its arguments convert and how its result is pushed. Every entry is one
 * instance of int_body below with constant n, am and rm. */

/* How the arguments convert (all integer-class: the register fast path). */
enum {
  AM_I32,      /* all int32_t-like: one sign-extension compare, no table */
  AM_I64,      /* all 64-bit integers: every Lua integer fits, no check */
  AM_INT,      /* integers of mixed widths: each against its own range */
  AM_STR,      /* all const char *: a string, or nil for NULL */
  AM_ANY,      /* strings, booleans, integers: a switch per argument */
  AM_ANY_STATE /* AM_ANY with pointers: callbacks learn the coroutine */
};
/* How the result is pushed. */
enum { RM_VOID, RM_I32, RM_I64, RM_ANY };

/* Why integer argument i was refused (no integer, or out of its type's
 * range): one cold call site per argument keeps the entries small. The
 * cold paths find the function themselves, so that the hot path need not
 * keep it in a register across the conversions. */
static COLD void bad_int_arg(lua_State *L, int i) {
  const ldl_fn *f = fn_of(L);
  int ok;
  (void)lua_tointegerx(L, i, &ok);
  if (!ok) not_integer(L, i, &f->sig);
  range_error(L, i, &f->sig, &f->sig.args[i - 1]);
}

/* A const char * argument that is no string: other_pointer (ptrarg.c's
 * rules: nil is NULL, light userdata and dynlib objects pass, anything else
 * raises). Cold and out of line, it finds the function itself so that the
 * entries need not keep it live. */
static COLD uint64_t other_str_arg(lua_State *L, int i) {
  return (uint64_t)(uintptr_t)other_pointer(L, i, &fn_of(L)->sig);
}

/* One argument of an entry. For integers, lua_tointegerx already refuses
 * non-integers, so 64-bit types need nothing more. f is read only by the
 * modes that need it (fn_needed_early). */
static inline __attribute__((always_inline)) uint64_t
conv_fast(lua_State *L, int i, const ldl_fn *f, int am) {
  if (am == AM_ANY || am == AM_ANY_STATE) return conv_intclass(L, i, f);
  if (am == AM_STR) {
    const char *s = lua_tolstring(L, i, NULL);
    if (__builtin_expect(s == NULL, 0)) return other_str_arg(L, i);
    return (uint64_t)(uintptr_t)s;
  }
  int ok;
  lua_Integer x = lua_tointegerx(L, i, &ok);
  int bad = !ok;
  if (am == AM_I32) bad |= x != (int32_t)x;
  if (am == AM_INT) bad |= x < f->lo[i - 1] || x > f->hi[i - 1];
  if (__builtin_expect(bad, 0)) bad_int_arg(L, i);
  return (uint64_t)x;
}

static COLD void bad_number_arg(lua_State *L, int i) {
  type_error(L, i, &fn_of(L)->sig, "number");
}

#if DL_HAVE_FAST_PATH
/* The argument count is checked first and the function read only when
 * needed (after the conversions where they do not need it): then only L
 * lives across the API calls and the entry saves one register, not three.
 * A closed function still never reaches C; its argument errors may come
 * first. */
static inline __attribute__((always_inline)) int
int_body(lua_State *L, int n, int am, int rm) {
  int top = lua_gettop(L);
  if (__builtin_expect(top != n, 0)) return count_error(L, top);
  int early = am == AM_INT || am == AM_ANY || am == AM_ANY_STATE;
  const ldl_fn *f = early ? fn_of(L) : NULL;
  uint64_t r[6];
#pragma GCC unroll 6 /* n is a constant: straight-line code, no loop */
  for (int i = 0; i < n; i++) r[i] = conv_fast(L, i + 1, f, am);
  if (!early) f = fn_of(L);
  uint64_t raw; /* a closed library's f->fn is the closed stub */
  if (am == AM_ANY_STATE) {
    STATE_ENTER(L);
    raw = dl_call_ints_n(f->fn, n, r);
    STATE_LEAVE();
  } else {
    raw = dl_call_ints_n(f->fn, n, r);
  }
  TROUBLE_CHECK(L);
  switch (rm) {
    case RM_VOID: return 0;
    case RM_I32: lua_pushinteger(L, (int32_t)raw); return 1;
    case RM_I64: lua_pushinteger(L, (lua_Integer)raw); return 1;
    default: return push_raw(L, f, raw);
  }
}

/* The entries: E(n, am, rm) is int_<n>_<am>_<rm>. */
#define E(n, am, rm)                                 \
  static int int_##n##_##am##_##rm(lua_State *L) {   \
    return int_body(L, n, am, rm);                   \
  }
#define E_RMS(n, am) E(n, am, RM_VOID) E(n, am, RM_I32) E(n, am, RM_I64) E(n, am, RM_ANY)
#define E_ARITY(n)                                                   \
  E_RMS(n, AM_I32) E_RMS(n, AM_I64) E_RMS(n, AM_INT) E_RMS(n, AM_STR)      \
  E(n, AM_ANY, RM_ANY)                                                     \
  E(n, AM_ANY_STATE, RM_ANY)
E_RMS(0, AM_I64)
E_ARITY(1) E_ARITY(2) E_ARITY(3) E_ARITY(4) E_ARITY(5) E_ARITY(6)
#undef E
#undef E_RMS
#undef E_ARITY

#define R(n, am) {int_##n##_##am##_RM_VOID, int_##n##_##am##_RM_I32, \
                  int_##n##_##am##_RM_I64, int_##n##_##am##_RM_ANY}
/* Strings and pointers cost more than the push's switch: one entry each. */
#define R1(n, am) {int_##n##_##am##_RM_ANY, int_##n##_##am##_RM_ANY, \
                   int_##n##_##am##_RM_ANY, int_##n##_##am##_RM_ANY}
#define A(n) {R(n, AM_I32), R(n, AM_I64), R(n, AM_INT), R(n, AM_STR), \
              R1(n, AM_ANY), R1(n, AM_ANY_STATE)}
static const lua_CFunction int_entries[7][6][4] = {
  {R(0, AM_I64), R(0, AM_I64), R(0, AM_I64), R(0, AM_I64), R(0, AM_I64),
   R(0, AM_I64)},
  A(1), A(2), A(3), A(4), A(5), A(6)};
#undef R
#undef R1
#undef A

/* The entry for a DL_PATH_INT function with an integer-class result. */
static lua_CFunction int_entry(const ldl_fn *f) {
  int all_i32 = 1, all_i64 = 1, all_int = 1, all_str = 1, any_ptr = 0;
  for (int i = 0; i < f->nargs; i++) {
    int k = f->kind[i], s = f->size[i];
    int is_int = k == DL_SINT || k == DL_UINT;
    all_int &= is_int;
    all_i32 &= k == DL_SINT && s == 4;
    all_i64 &= is_int && s == 8;
    all_str &= k == DL_STRING;
    any_ptr |= k == DL_PTR;
  }
  int am = any_ptr ? AM_ANY_STATE
         : all_str ? AM_STR
         : !all_int ? AM_ANY
         : all_i32 ? AM_I32
         : all_i64 ? AM_I64
         : AM_INT;
  int rm = f->ret_class == R_VOID ? RM_VOID
         : f->ret_class == R_I32 ? RM_I32
         : f->ret_class == R_I64 ? RM_I64
         : RM_ANY;
  return int_entries[f->nargs][am][rm];
}

/* double f(double, ...) with n <= 4 arguments: libm's shape. */
static inline __attribute__((always_inline)) int doubles_body(lua_State *L,
                                                              int n) {
  int top = lua_gettop(L);
  if (__builtin_expect(top != n, 0)) return count_error(L, top);
  double fr[4];
#pragma GCC unroll 4
  for (int i = 0; i < n; i++) {
    int ok;
    fr[i] = (double)lua_tonumberx(L, i + 1, &ok);
    if (__builtin_expect(!ok, 0)) bad_number_arg(L, i + 1);
  }
  const ldl_fn *f = fn_of(L); /* closed: f->fn is the closed stub */
  double d = dl_call_doubles_n(f->fn, n, fr);
  TROUBLE_CHECK(L);
  lua_pushnumber(L, (lua_Number)d);
  return 1;
}

static int call_doubles0(lua_State *L) { return doubles_body(L, 0); }
static int call_doubles1(lua_State *L) { return doubles_body(L, 1); }
static int call_doubles2(lua_State *L) { return doubles_body(L, 2); }
static int call_doubles3(lua_State *L) { return doubles_body(L, 3); }
static int call_doubles4(lua_State *L) { return doubles_body(L, 4); }
static const lua_CFunction double_entries[5] = {
  call_doubles0, call_doubles1, call_doubles2, call_doubles3, call_doubles4};

/* The fast path: arguments are converted straight into register images. */
static int call_fast(lua_State *L) {
  const ldl_fn *f = fn_of(L);
  const dl_sig *sig = &f->sig;
  if (!f->lib->open) return closed_error(L, f);
  int n = lua_gettop(L);
  if (n != sig->nargs) return count_error(L, n);
  uint64_t ir[6] = {0}; /* unused registers are passed: keep them defined */
  double fr[8] = {0};
  int ni = 0, nf = 0;
  for (int i = 0; i < n; i++) {
    dl_value v;
    conv_arg(L, i + 1, f, &v);
    switch (f->kind[i]) {
      case DL_FLOAT: fr[nf++] = dl_float_reg(v.f); break;
      case DL_DOUBLE: fr[nf++] = v.d; break;
      default: ir[ni++] = v.u; break;
    }
  }
  dl_value r;
  STATE_ENTER(L);
  dl_call_regs(&f->call, ir, fr, &r);
  STATE_LEAVE();
  CB_CHECK(L);
  return push_result(L, f, &r);
}
#endif /* DL_HAVE_FAST_PATH */

/* How the libffi path stores an argument in its slot. */
enum { FC_I8, FC_I16, FC_I32, FC_I64, FC_DOUBLE, FC_FLOAT, FC_STR, FC_BOOL,
       FC_PTR };

static uint8_t slot_class(const dl_type *t) {
  static const uint8_t ints[] = {FC_I8, FC_I16, 0, FC_I32, 0, 0, 0, FC_I64};
  switch (t->kind) {
    case DL_SINT:
    case DL_UINT: return ints[t->size - 1];
    case DL_DOUBLE: return FC_DOUBLE;
    case DL_FLOAT: return FC_FLOAT;
    case DL_STRING: return FC_STR;
    case DL_BOOL: return FC_BOOL;
    default: return FC_PTR;
  }
}

/* Argument i converted (checked as on the fast path) into its slot: one
 * switch, no intermediate dl_value. */
static inline __attribute__((always_inline)) void
conv_slot(lua_State *L, int i, const ldl_fn *f, dl_slot *s) {
  switch (f->fclass[i - 1]) {
    case FC_I8: s->u8 = (uint8_t)conv_fast(L, i, f, AM_INT); return;
    case FC_I16: s->u16 = (uint16_t)conv_fast(L, i, f, AM_INT); return;
    case FC_I32: s->u32 = (uint32_t)conv_fast(L, i, f, AM_INT); return;
    case FC_I64: s->u64 = conv_fast(L, i, f, AM_I64); return;
    case FC_DOUBLE: {
      int ok;
      s->d = (double)lua_tonumberx(L, i, &ok);
      if (__builtin_expect(!ok, 0)) bad_number_arg(L, i);
      return;
    }
    case FC_FLOAT: {
      dl_value v;
      conv_arg(L, i, f, &v);
      s->f = v.f;
      return;
    }
    case FC_STR: s->p = (void *)(uintptr_t)conv_fast(L, i, f, AM_STR); return;
    case FC_BOOL: s->u8 = (uint8_t)conv_intclass(L, i, f); return;
    default: s->p = (void *)(uintptr_t)conv_intclass(L, i, f); return;
  }
}

/* Pushes a libffi result: narrow integers come widened to ffi_arg. */
static inline __attribute__((always_inline)) int
push_ffi_ret(lua_State *L, const ldl_fn *f, const dl_ffi_ret *r) {
  switch (f->ret_kind) {
    case DL_VOID: return 0;
    case DL_DOUBLE: lua_pushnumber(L, (lua_Number)r->d); return 1;
    case DL_FLOAT: lua_pushnumber(L, (lua_Number)r->f); return 1;
    default:
      return push_raw(L, f, f->ret_size < 8 ? (uint64_t)r->a : r->u);
  }
}

/* What a call reports after its result: lib:func(proto, {errno = true})
 * returns errno (cleared before the call), {last_error = true} on Windows
 * GetLastError(); both read right after the call, before Lua (or anything
 * else) can change them, in that order when both are asked for. */
enum { REPORT_ERRNO = LDL_REPORT_ERRNO, REPORT_LAST_ERROR = LDL_REPORT_LAST_ERROR };

typedef struct ldl_report {
  int err, last;
} ldl_report;

static inline __attribute__((always_inline)) void report_before(int report) {
  if (report & REPORT_ERRNO) dl_os_set_errno(0);
}

static inline __attribute__((always_inline)) void
report_after(int report, ldl_report *r) {
  r->last = (report & REPORT_LAST_ERROR) ? dl_os_last_error() : 0;
  r->err = (report & REPORT_ERRNO) ? dl_os_errno() : 0;
}

static int push_report(lua_State *L, int report, const ldl_report *r) {
  int n = 0;
  if (report & REPORT_ERRNO) lua_pushinteger(L, r->err), n++;
  if (report & REPORT_LAST_ERROR) lua_pushinteger(L, r->last), n++;
  return n;
}

/* Through libffi, with what `report` asks for after the result (a
 * constant in each entry). with_state: pointer arguments, as on the fast
 * path (a thread-local costs a call to __tls_get_addr in a shared object). */
static inline __attribute__((always_inline)) int
ffi_body(lua_State *L, int report, int with_state) {
  ldl_fn *f = (ldl_fn *)fn_of(L);
  if (!f->lib->open) return closed_error(L, f);
  int n = lua_gettop(L);
  if (n != f->nargs) return count_error(L, n);
  for (int i = 0; i < n; i++) conv_slot(L, i + 1, f, &f->slots[i]);
  dl_ffi_ret r;
  ldl_report rep;
  if (with_state) {
    STATE_ENTER(L);
    report_before(report);
    dl_call_ffi(&f->call, f->avalue, &r);
    report_after(report, &rep);
    STATE_LEAVE();
  } else {
    report_before(report);
    dl_call_ffi(&f->call, f->avalue, &r);
    report_after(report, &rep);
  }
  CB_CHECK(L);
  int pushed = push_ffi_ret(L, f, &r);
  return report ? pushed + push_report(L, report, &rep) : pushed;
}

static int call_ffi(lua_State *L) { return ffi_body(L, 0, 0); }
static int call_ffi_state(lua_State *L) { return ffi_body(L, 0, 1); }
/* One entry for any report: reading a field costs nothing next to the
 * errno calls. */
static int call_report(lua_State *L) {
  const ldl_fn *f = (const ldl_fn *)fn_of(L);
  return ffi_body(L, f->report, 1);
}

/* The C type a variadic argument travels as, from its Lua value, as C
 * would pass the same value written in the call:
 * - an integer as C types an integer constant (the hexadecimal rule), with
 *   long as the narrowest type: long when it fits, else unsigned long, else
 *   long long. So printf's %d, %u, %x, %ld, %lu, %zu read it whole on every
 *   target: where long has 32 bits (i686, Win64) it has int's width, and on
 *   LP64 targets a long fills the 64-bit slot an int would occupy anyway
 *   (x86-64 and AArch64 pass variadic integers in whole registers or 8-byte
 *   stack slots, and an int read takes the low half). Always using 64 bits
 *   would push two words for each %d where long has 32 bits and shift every
 *   later argument; an int would leave the upper half of the slot undefined
 *   on LP64 for a %ld. As in C, a %lld wants a value past long's range or a
 *   64-bit long (42 is no long long in C either: declare the parameter).
 * - a float number as double (the default argument promotion);
 * - a boolean as int (as bool promotes), a string as const char *, nil and
 *   userdata as pointers (a buffer as its data, a callback as its code, as
 *   for declared pointer parameters). */
static void variadic_type(lua_State *L, int i, const ldl_fn *f, dl_type *t,
                          dl_value *v) {
  memset(t, 0, sizeof *t);
  switch (lua_type(L, i)) {
    case LUA_TNUMBER:
      if (lua_isinteger(L, i)) {
        lua_Integer x = lua_tointeger(L, i);
        if (x >= LONG_MIN && x <= LONG_MAX)
          t->kind = DL_SINT, t->size = sizeof(long);
        else if (x > 0 && (uint64_t)x <= ULONG_MAX)
          t->kind = DL_UINT, t->size = sizeof(long);
        else
          t->kind = DL_SINT, t->size = 8;
        v->i = (int64_t)x;
      } else {
        t->kind = DL_DOUBLE, t->size = 8;
        v->d = (double)lua_tonumber(L, i);
      }
      return;
    case LUA_TSTRING:
      t->kind = DL_STRING, t->size = sizeof(void *);
      v->u = (uintptr_t)lua_tostring(L, i);
      return;
    case LUA_TBOOLEAN:
      t->kind = DL_SINT, t->size = 4;
      v->i = lua_toboolean(L, i);
      return;
    case LUA_TNIL:
    case LUA_TLIGHTUSERDATA:
    case LUA_TUSERDATA: /* as declared pointer parameters take them */
      if (ldl_variadic_cdata(L, i, f->sig.name, t, v)) return; /* typed */
      t->kind = DL_PTR, t->size = sizeof(void *);
      v->u = (uintptr_t)other_pointer(L, i, &f->sig);
      return;
    default:
      type_error(L, i, &f->sig, "number, string, boolean, pointer or nil");
  }
}

/* A variadic function: the declared arguments are checked as usual, the
 * extra ones typed from their values; the call is prepared per call. */
static int call_variadic(lua_State *L) {
  const ldl_fn *f = fn_of(L);
  if (!f->lib->open) return closed_error(L, f);
  int n = lua_gettop(L);
  if (n < f->nargs)
    return luaL_error(L, "wrong number of arguments to '%s' (at least %d "
                         "expected, got %d)",
                      f->sig.name, f->nargs, n);
  if (n > DL_MAX_ARGS)
    return luaL_error(L, "too many arguments to '%s' (at most %d)",
                      f->sig.name, DL_MAX_ARGS);
  dl_type types[DL_MAX_ARGS];
  dl_value args[DL_MAX_ARGS];
  for (int i = 0; i < n; i++) {
    if (i < f->nargs) {
      types[i] = f->sig.args[i];
      conv_arg(L, i + 1, f, &args[i]);
    } else {
      variadic_type(L, i + 1, f, &types[i], &args[i]);
    }
  }
  dl_value r;
  char msg[200];
  ldl_report rep;
  STATE_ENTER(L);
  report_before(f->report);
  int rc = dl_call_variadic(&f->call, n, types, args, &r, msg, sizeof msg);
  report_after(f->report, &rep);
  STATE_LEAVE();
  if (rc != 0) return luaL_error(L, "dynlib: %s", msg);
  CB_CHECK(L);
  int pushed = push_result(L, f, &r);
  return pushed + push_report(L, f->report, &rep);
}

/* ---- making functions -------------------------------------------------- */

/* The parsed signature for (name, proto), from this state's cache (weak
 * values: unused signatures are collected), left on the stack so it stays
 * alive while the caller copies it. NULL with the message in err (nothing
 * left on the stack) for a prototype the scalar parser does not take. */
static const dl_sig *cached_sig(lua_State *L, const char *name,
                                const char *proto, char *err, size_t errsize) {
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &SIGCACHE_KEY) != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_newtable(L);
    lua_pushliteral(L, "v");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &SIGCACHE_KEY);
  }
  lua_pushfstring(L, "%s\n%s", name ? name : "", proto);
  lua_pushvalue(L, -1);
  if (lua_rawget(L, -3) == LUA_TUSERDATA) {
    const dl_sig *sig = lua_touserdata(L, -1);
    lua_replace(L, -3); /* [sig, key] */
    lua_pop(L, 1);
    return sig;
  }
  lua_pop(L, 1);
  dl_sig *sig = lua_newuserdatauv(L, sizeof *sig, 0);
  if (dl_sig_parse(proto, name, sig, err, errsize) != 0) {
    lua_pop(L, 3);
    return NULL;
  }
  if (sig->name[0] == '\0')
    luaL_error(L, "dynlib: prototype '%s' does not name the function", proto);
  lua_pushvalue(L, -2);
  lua_pushvalue(L, -2);
  lua_rawset(L, -5); /* cache[key] = sig; stack: [cache, key, sig] */
  lua_replace(L, -3);
  lua_pop(L, 1);
  return sig;
}

static int force_ffi(lua_State *L) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &FORCE_FFI_KEY);
  int on = lua_toboolean(L, -1);
  lua_pop(L, 1);
  return on;
}

static lua_CFunction pick_entry(const ldl_fn *f);
static int func_from_sig(lua_State *L, int lib_idx, const dl_sig *sig,
                         const char *symbol, int report, int ffi_only);

/* A boolean option of lib:func (nil is false; anything else raises). */
static int opt_bool(lua_State *L, int opts, const char *name) {
  int t = lua_getfield(L, opts, name);
  if (t != LUA_TNIL && t != LUA_TBOOLEAN)
    luaL_error(L, "bad option '%s' to 'func' (boolean expected, got %s)", name,
               lua_typename(L, t));
  int on = lua_toboolean(L, -1);
  lua_pop(L, 1);
  return on;
}

/* lib:func(prototype [, opts]) or lib:func(name, prototype [, opts]) */
static int lib_func(lua_State *L) {
  ldl_checklib(L, 1);
  const char *name = NULL, *proto;
  int opts = 3;
  if (lua_type(L, 3) == LUA_TSTRING) {
    name = ldl_checkcstr(L, 2);
    proto = ldl_checkcstr(L, 3);
    opts = 4;
  } else {
    proto = ldl_checkcstr(L, 2);
  }
  int ffi_only = force_ffi(L), report = 0;
  if (!lua_isnoneornil(L, opts)) {
    static const char *const valid[] = {"errno", "ffi", "last_error", NULL};
    luaL_checktype(L, opts, LUA_TTABLE);
    ldl_check_options(L, opts, "func", valid);
    ffi_only = opt_bool(L, opts, "ffi") || ffi_only;
    if (opt_bool(L, opts, "errno")) report |= REPORT_ERRNO;
    if (opt_bool(L, opts, "last_error")) report |= REPORT_LAST_ERROR;
    if ((report & REPORT_LAST_ERROR) && strcmp(dl_os_name(), "windows") != 0)
      return luaL_error(L, "dynlib: the last_error option is for Windows' GetLastError "
                           "(dynlib.os is \"%s\")", dl_os_name());
  }
  /* A bare name: a function declared by cdef (cfunc.c makes those that
   * are no scalar shape, and hands the others back). */
  ldl_cfunc_sig decl;
  if (name == NULL && strchr(proto, '(') == NULL) {
    int pushed = ldl_cfunc_declared(L, 1, proto, report, &decl);
    if (pushed > 0) return pushed;
    return func_from_sig(L, 1, &decl.sig, decl.symbol, report, ffi_only);
  }
  char msg[300];
  const dl_sig *sig = cached_sig(L, name, proto, msg, sizeof msg);
  if (sig == NULL) { /* declared types (typedefs, structs, enums)? */
    int pushed = ldl_cfunc_proto(L, 1, name, proto, report, &decl);
    if (pushed > 0) return pushed;
    if (pushed < 0) return luaL_error(L, "dynlib: %s", msg);
    return func_from_sig(L, 1, &decl.sig, decl.symbol, report, ffi_only);
  }
  return func_from_sig(L, 1, sig, NULL, report, ffi_only);
}

/* Pushes the function for a scalar signature, resolved in the library at
 * lib_idx as `symbol` (NULL: sig->name), or nil, message, code. */
static int func_from_sig(lua_State *L, int lib_idx, const dl_sig *sig,
                         const char *symbol, int report, int ffi_only) {
  ldl_lib *lib = ldl_checklib(L, lib_idx);
  dynlib_error err;
  void *fn = dynlib_sym(lib->h, symbol ? symbol : sig->name, &err);
  if (fn == NULL) return ldl_fail(L, &err);
  ldl_fn *f = lua_newuserdatauv(L, sizeof *f, 1);
  f->lib = lib;
  f->report = report;
  f->sig = *sig;
  f->nargs = sig->nargs;
  f->ret_kind = sig->ret.kind;
  f->ret_size = sig->ret.size;
  f->ret_class = ret_class(sig->ret.kind, sig->ret.size);
  for (int i = 0; i < sig->nargs; i++) {
    f->kind[i] = sig->args[i].kind;
    f->size[i] = sig->args[i].size;
    int64_t lo, hi;
    dl_type_range(&sig->args[i], &lo, &hi);
    f->lo[i] = (lua_Integer)lo;
    f->hi[i] = (lua_Integer)hi;
    f->fclass[i] = slot_class(&sig->args[i]);
    f->avalue[i] = &f->slots[i];
  }
  char msg[200];
  if (dl_call_prepare(&f->call, &f->sig, fn, ffi_only, msg, sizeof msg) != 0)
    return luaL_error(L, "dynlib: %s", msg);
  f->fn = f->call.fn;
  luaL_setmetatable(L, FN_MT);
  lua_pushvalue(L, lib_idx);
  lua_setiuservalue(L, -2, 1); /* the function keeps its library handle */
  track_fn(L, lib_idx, -1); /* ... which disarms it at close */
  lua_pushlightuserdata(L, f);
  lua_insert(L, -2);
  lua_pushcclosure(L, pick_entry(f), 2); /* FN_LIGHT, FN_BOX */
  return 1;
}

/* The cheapest correct entry for a function's shape. */
static lua_CFunction pick_entry(const ldl_fn *f) {
  if (f->sig.variadic) return call_variadic;
  if (f->report) return call_report;
  int any_ptr = 0;
  for (int i = 0; i < f->nargs; i++) any_ptr |= f->kind[i] == DL_PTR;
  lua_CFunction ffi = any_ptr ? call_ffi_state : call_ffi;
#if !DL_HAVE_FAST_PATH
  return ffi; /* dl_call_prepare chose libffi for every call */
#else
  if (f->call.path == DL_PATH_FFI) return ffi;
  if (f->call.path == DL_PATH_INT && !f->call.ret_fp) return int_entry(f);
  int all_double = f->ret_kind == DL_DOUBLE && f->nargs <= 4;
  for (int i = 0; i < f->nargs; i++) all_double &= f->kind[i] == DL_DOUBLE;
  return all_double ? double_entries[f->nargs] : call_fast;
#endif
}

/* dynlib.force_ffi(on): functions made from now on use libffi only. */
static int l_force_ffi(lua_State *L) {
  luaL_checktype(L, 1, LUA_TBOOLEAN);
  lua_pushboolean(L, lua_toboolean(L, 1));
  lua_rawsetp(L, LUA_REGISTRYINDEX, &FORCE_FFI_KEY);
  return 0;
}

/* dynlib.call_path(f): "fast" or "ffi", for the specs and the curious. */
static int l_call_path(lua_State *L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  if (lua_getupvalue(L, 1, 1) != NULL && luaL_testudata(L, -1, "dynlib.cfunction")) {
    lua_pushliteral(L, "ffi"); /* declared types: always libffi (cfunc.c) */
    return 1;
  }
  lua_settop(L, 1);
  if (lua_getupvalue(L, 1, FN_BOX) == NULL || !luaL_testudata(L, -1, FN_MT))
    return luaL_argerror(L, 1, "not a dynlib function");
  const ldl_fn *f = lua_touserdata(L, -1);
  lua_pushstring(L, f->call.path == DL_PATH_FFI ? "ffi" : "fast");
  return 1;
}

static const char *kind_name(int kind) {
  static const char *const names[] = {"void",  "bool",   "int",    "uint",
                                      "float", "double", "string", "pointer"};
  return names[kind];
}

static void push_type(lua_State *L, const dl_type *t) {
  lua_createtable(L, 0, 3);
  lua_pushstring(L, t->name);
  lua_setfield(L, -2, "name");
  lua_pushstring(L, kind_name(t->kind));
  lua_setfield(L, -2, "kind");
  lua_pushinteger(L, t->size);
  lua_setfield(L, -2, "size");
}

/* dynlib.signature(prototype [, name]): the parse, as a table. */
static int l_signature(lua_State *L) {
  const char *proto = ldl_checkcstr(L, 1);
  const char *name = lua_isnoneornil(L, 2) ? NULL : ldl_checkcstr(L, 2);
  dl_sig sig;
  char err[300];
  if (dl_sig_parse(proto, name, &sig, err, sizeof err) != 0)
    return luaL_error(L, "dynlib: %s", err);
  lua_createtable(L, 0, 4);
  lua_pushstring(L, sig.name);
  lua_setfield(L, -2, "name");
  push_type(L, &sig.ret);
  lua_setfield(L, -2, "ret");
  lua_pushboolean(L, sig.variadic);
  lua_setfield(L, -2, "variadic");
  lua_createtable(L, sig.nargs, 0);
  for (int i = 0; i < sig.nargs; i++) {
    push_type(L, &sig.args[i]);
    lua_rawseti(L, -2, i + 1);
  }
  lua_setfield(L, -2, "args");
  return 1;
}

void ldl_open_call(lua_State *L) {
  luaL_newmetatable(L, FN_MT);
  lua_pop(L, 1);
  static const luaL_Reg methods[] = {{"func", lib_func}, {NULL, NULL}};
  ldl_add_lib_methods(L, methods);
  static const luaL_Reg funcs[] = {{"force_ffi", l_force_ffi},
                                   {"call_path", l_call_path},
                                   {"signature", l_signature},
                                   {NULL, NULL}};
  luaL_setfuncs(L, funcs, 0);
  lua_pushlightuserdata(L, NULL);
  lua_setfield(L, -2, "null");
}
