/*
 * callback.c - Lua functions callable from C: dynlib.callback(prototype,
 * fn) makes a libffi closure whose code pointer C can call (qsort's
 * comparator, an event handler).
 *
 * Rules (docs/design.md section 6):
 * - A callback runs on the Lua thread (coroutine) making the outer dynlib
 *   call when that call passes pointers (how callbacks reach C), else on
 *   the thread that created it; and only on the OS thread that created it:
 *   a call from another OS thread returns a zero value without touching
 *   Lua.
 * - A Lua error inside the callback is caught (it must never unwind through
 *   C frames): the callback returns a zero value, later invocations return
 *   zero at once, and the error is raised when the outer dynlib call
 *   returns to Lua.
 * - A callback is anchored in the registry until cb:free(): garbage
 *   collection never frees code C may still hold. Calling a freed callback
 *   from C is the C side's bug, as with any dangling function pointer.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "calls/call.h"
#include "binding/callback.h"
#include "binding/cdata.h"
#include "binding/ctypes.h"
#include "binding/module.h"
#include "binding/util.h"
#include "calls/ffi_struct.h"
#include "calls/sig.h"
#include "os/os.h"


static const char ANCHOR_KEY = 'a'; /* registry: {[cb userdata] = true} */
static const char ERROR_KEY = 'e';  /* registry: the pending error */

/* Errors of failed callbacks not raised yet, over all Lua states: every
 * dynlib call looks at it after its C call (one load while it is zero). */
unsigned ldl_callback_errors;

_Thread_local lua_State *ldl_current_L;

/* How one argument reaches Lua, decided once when the callback is made:
 * the hot path is a switch on this, never on C type names. */
typedef enum push_kind {
  PK_BOOL, PK_I8, PK_U8, PK_I16, PK_U16, PK_I32, PK_U32, PK_I64,
  PK_FLOAT, PK_DOUBLE,
  PK_LIGHT,   /* untyped pointer: light userdata, nil for NULL */
  PK_ALLOC,   /* from here on pushing allocates (may raise): run protected */
  PK_STRING = PK_ALLOC, /* const char *: a Lua string, nil for NULL */
  PK_TYPED,   /* T *: a typed pointer (reused from the state's cache, else
                 a new one), nil for NULL */
  PK_VALUE    /* struct or union by value: a new object holding a copy */
} push_kind;

/* How the Lua result goes back to C. */
typedef enum ret_kind {
  RK_VOID, RK_BOOL, RK_SINT, RK_UINT, RK_FLOAT, RK_DOUBLE, RK_PTR,
  RK_AGG /* a struct or union: the typed values' store writes it */
} ret_kind;

typedef struct ldl_cb {
  ldl_cb_head head;      /* first: what cbptr.c reads (code, fptype) */
  ffi_closure *closure;  /* libffi's, or NULL for an entry of the pool */
  int slot;              /* the pool entry it has, or -1 */
  lua_State *L;
  dl_os_thread_id owner;
  int fn_ref;            /* the Lua function, by integer in the registry */
  int nargs;
  int direct;            /* every push is allocation-free: pcall fn itself */
  int reuse;             /* allocation-free too when every typed pointer is
                            found cached (push_reused) */
  int failed;            /* an error is pending: return zero at once */
  unsigned rejected;     /* calls refused: from another thread */
  uint8_t ret_kind;
  uint32_t ret_size;
  int64_t ret_lo, ret_hi; /* RK_SINT, RK_UINT: the values that fit */
  uint8_t push[DL_MAX_ARGS];
  dl_ctid ctid[DL_MAX_ARGS]; /* PK_TYPED: the pointer type; PK_VALUE: the
                                 struct or union */
  ffi_type *agg[DL_MAX_ARGS]; /* PK_VALUE: its libffi type (in ffi_cache) */
  dl_ctid ret_ctid;       /* RK_AGG: the struct or union */
  ffi_type *ret_agg;      /* RK_AGG: its libffi type (in ffi_cache) */
  char ret_what[DL_NAME_MAX + 24]; /* RK_AGG: "result of callback 'f'" */
  dl_ffi_cache *ffi_cache; /* made for struct arguments, else NULL */
  const void *model[DL_MAX_ARGS]; /* PK_TYPED: a typed pointer to copy */
  int mt_ref;            /* the models' metatable, LUA_NOREF without */
  ldl_ptrcache *pcache;  /* the state's reused typed pointers (reuse) */
  int pc_ref;            /* the table anchoring them, in the registry */
  ffi_cif cif;
  ffi_type *types[DL_MAX_ARGS];
  dl_sig sig;
} ldl_cb;

/* ---- C -> Lua ---------------------------------------------------------- */

static push_kind push_kind_of(const dl_type *t) {
  switch (t->kind) {
    case DL_BOOL: return PK_BOOL;
    case DL_FLOAT: return PK_FLOAT;
    case DL_DOUBLE: return PK_DOUBLE;
    case DL_STRING: return PK_STRING;
    case DL_PTR: return PK_LIGHT;
    default: break;
  }
  int u = t->kind == DL_UINT;
  switch (t->size) {
    case 1: return u ? PK_U8 : PK_I8;
    case 2: return u ? PK_U16 : PK_I16;
    case 4: return u ? PK_U32 : PK_I32;
    default: return PK_I64; /* 64-bit unsigned: two's complement, as calls */
  }
}

static ret_kind ret_kind_of(const dl_type *t) {
  switch (t->kind) {
    case DL_VOID: return RK_VOID;
    case DL_BOOL: return RK_BOOL;
    case DL_SINT: return RK_SINT;
    case DL_UINT: return RK_UINT;
    case DL_FLOAT: return RK_FLOAT;
    case DL_DOUBLE: return RK_DOUBLE;
    default: return RK_PTR;
  }
}

static void push_arg(lua_State *L, int kind, dl_ctid ctid, const void *p) {
  switch (kind) {
    case PK_BOOL: lua_pushboolean(L, *(const uint8_t *)p != 0); return;
    case PK_I8: lua_pushinteger(L, *(const int8_t *)p); return;
    case PK_U8: lua_pushinteger(L, *(const uint8_t *)p); return;
    case PK_I16: lua_pushinteger(L, *(const int16_t *)p); return;
    case PK_U16: lua_pushinteger(L, *(const uint16_t *)p); return;
    case PK_I32: lua_pushinteger(L, *(const int32_t *)p); return;
    case PK_U32: lua_pushinteger(L, (lua_Integer) * (const uint32_t *)p); return;
    case PK_I64: lua_pushinteger(L, *(const lua_Integer *)p); return;
    case PK_FLOAT: lua_pushnumber(L, *(const float *)p); return;
    case PK_DOUBLE: lua_pushnumber(L, *(const double *)p); return;
    case PK_STRING: {
      const char *s = *(const char *const *)p;
      if (s) lua_pushstring(L, s);
      else lua_pushnil(L);
      return;
    }
    case PK_VALUE: ldl_cdata_push_value(L, ctid, p); return;
    case PK_TYPED: /* without a model (see make_models) */
      ldl_cdata_push_pointer(L, ctid, *(void *const *)p);
      return;
    default: {
      void *q = *(void *const *)p;
      if (q) lua_pushlightuserdata(L, q);
      else lua_pushnil(L);
      return;
    }
  }
}

/* Stores the Lua result at the top of L into ret (libffi widens narrow
 * integer results to ffi_arg). 0, or -1 when it does not fit the type. */
static int store_result(lua_State *L, const ldl_cb *cb, void *ret) {
  switch (cb->ret_kind) {
    case RK_VOID: return 0;
    case RK_BOOL: *(ffi_arg *)ret = (ffi_arg)lua_toboolean(L, -1); return 0;
    case RK_FLOAT:
    case RK_DOUBLE: {
      int ok;
      lua_Number n = lua_tonumberx(L, -1, &ok);
      if (!ok) return -1;
      if (cb->ret_kind == RK_FLOAT) *(float *)ret = (float)n;
      else *(double *)ret = (double)n;
      return 0;
    }
    case RK_PTR: {
      /* A string's bytes live only while Lua keeps the string: pointers
       * come back as nil, light userdata or typed values (an object as
       * its address: what keeps it alive is the Lua side's business). */
      void *addr = NULL;
      dl_ctid type;
      int is_object;
      if (lua_isnil(L, -1) || lua_islightuserdata(L, -1)) addr = lua_touserdata(L, -1);
      else if (!ldl_cdata_get(L, -1, &addr, &type, &is_object)) return -1;
      *(void **)ret = addr;
      return 0;
    }
    default: break;
  }
  int ok;
  lua_Integer x = lua_tointegerx(L, -1, &ok);
  if (!ok || x < cb->ret_lo || x > cb->ret_hi) return -1;
  if (cb->ret_kind == RK_SINT) *(ffi_sarg *)ret = (ffi_sarg)x;
  else *(ffi_arg *)ret = (ffi_arg)x;
  return 0;
}

/* Moves the error message on top of L into the registry (the first error
 * of an outer call wins) and flags the callback. */
static void record_error(lua_State *L, ldl_cb *cb) {
  cb->failed = 1;
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &ERROR_KEY) != LUA_TNIL) {
    lua_pop(L, 2); /* one is pending already */
    return;
  }
  lua_pop(L, 1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &ERROR_KEY);
  __atomic_add_fetch(&ldl_callback_errors, 1, __ATOMIC_RELAXED);
}

/* A scalar result fills a whole ffi_arg; a struct's memory may be the
 * caller's, of its exact size. */
static void zero_result(const ldl_cb *cb, void *ret) {
  if (cb->ret_kind == RK_AGG) memset(ret, 0, cb->ret_size);
  else if (cb->ret_kind != RK_VOID)
    memset(ret, 0, cb->ret_size < sizeof(ffi_arg) ? sizeof(ffi_arg) : cb->ret_size);
}

/* A struct or union result (at 3) into ret (2) by the typed values' store:
 * a table or an object of the type. Protected: a bad value raises. */
static int store_agg(lua_State *L) {
  const ldl_cb *cb = lua_touserdata(L, 1);
  ldl_cdata_store(L, 3, cb->ret_ctid, lua_touserdata(L, 2), cb->ret_what);
  return 0;
}

/* One invocation, for the protected functions below. */
typedef struct cb_frame {
  ldl_cb *cb;
  void **args;
} cb_frame;

/* Pushes the function and its arguments, calls it (in protected mode:
 * pushing strings and typed values allocates, which may raise). Typed
 * pointers are reused from the state's cache when there, else made and
 * entered: a new object only for an address not seen lately. */
static int run_lua(lua_State *L) {
  cb_frame *f = lua_touserdata(L, 1);
  ldl_cb *cb = f->cb;
  int mt = 0, anchor = 0;
  if (!lua_checkstack(L, cb->nargs + 3)) return luaL_error(L, "dynlib: stack overflow");
  if (cb->mt_ref != LUA_NOREF) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, cb->mt_ref);
    lua_rawgeti(L, LUA_REGISTRYINDEX, cb->pc_ref);
    anchor = lua_gettop(L);
    mt = anchor - 1;
  }
  lua_rawgeti(L, LUA_REGISTRYINDEX, cb->fn_ref);
  for (int i = 0; i < cb->nargs; i++) {
    if (cb->model[i])
      ldl_cdata_push_like(L, cb->model[i], mt, cb->pcache, anchor, *(void **)f->args[i]);
    else push_arg(L, cb->push[i], cb->ctid[i], f->args[i]);
  }
  lua_call(L, cb->nargs, 1);
  return 1;
}

/* Pushes the function and its arguments without allocating (so with
 * nothing to protect): 1, or 0 (the stack as it was) when a typed
 * pointer is not cached. The cache's table lies below the function. */
static int push_reused(lua_State *L, const ldl_cb *cb, void **args) {
  lua_rawgeti(L, LUA_REGISTRYINDEX, cb->pc_ref);
  int anchor = lua_gettop(L);
  lua_rawgeti(L, LUA_REGISTRYINDEX, cb->fn_ref);
  for (int i = 0; i < cb->nargs; i++) {
    if (cb->push[i] != PK_TYPED) {
      push_arg(L, cb->push[i], 0, args[i]);
    } else if (!ldl_cdata_reuse(L, cb->pcache, anchor, cb->model[i], *(void **)args[i])) {
      lua_settop(L, anchor - 1);
      return 0;
    }
  }
  return 1;
}

/* The message for a result of the wrong type at the top of L (protected:
 * formatting allocates). */
static int bad_result(lua_State *L) {
  ldl_cb *cb = lua_touserdata(L, 1);
  return luaL_error(L, "callback '%s' returned %s, not a %s",
                    cb->sig.name[0] ? cb->sig.name : "?", luaL_typename(L, 2),
                    cb->sig.ret.name);
}

/* The Lua state to run on: the coroutine making the outer call if it
 * belongs to the callback's Lua state, else the one that made it. */
static lua_State *run_state(const ldl_cb *cb) {
  lua_State *cur = ldl_current_L;
  if (cur == NULL || cur == cb->L) return cb->L;
  if (lua_topointer(cur, LUA_REGISTRYINDEX) == lua_topointer(cb->L, LUA_REGISTRYINDEX))
    return cur;
  return cb->L;
}

/* One call from C: args[i] points at argument i, the result goes to ret
 * (an ffi_arg for integer-class results). */
static void dispatch(ldl_cb *cb, void *ret, void **args) {
  /* The thread first: nothing else of cb is touched from another one. */
  if (!dl_os_thread_same(cb->owner, dl_os_thread_self())) {
    __atomic_add_fetch(&cb->rejected, 1, __ATOMIC_RELAXED);
    zero_result(cb, ret);
    return;
  }
  lua_State *L = run_state(cb);
  if (cb->failed || !lua_checkstack(L, cb->nargs + 5)) {
    zero_result(cb, ret);
    return;
  }
  int top = lua_gettop(L), st;
  if (cb->direct) {
    /* Integers, numbers, booleans, light userdata: nothing to allocate,
     * so only the Lua function itself runs protected. */
    lua_rawgeti(L, LUA_REGISTRYINDEX, cb->fn_ref);
    for (int i = 0; i < cb->nargs; i++) push_arg(L, cb->push[i], 0, args[i]);
    st = lua_pcall(L, cb->nargs, 1, 0);
  } else if (cb->reuse && push_reused(L, cb, args)) {
    st = lua_pcall(L, cb->nargs, 1, 0); /* typed pointers seen before */
  } else {
    cb_frame f = {cb, args};
    lua_pushcfunction(L, run_lua);
    lua_pushlightuserdata(L, &f);
    st = lua_pcall(L, 1, 1, 0);
  }
  if (st == LUA_OK && cb->ret_kind == RK_AGG) {
    lua_pushcfunction(L, store_agg);
    lua_pushlightuserdata(L, cb);
    lua_pushlightuserdata(L, ret);
    lua_pushvalue(L, -4);
    if (lua_pcall(L, 3, 0, 0) == LUA_OK) {
      lua_settop(L, top);
      return;
    }
  } else if (st == LUA_OK) {
    if (store_result(L, cb, ret) == 0) {
      lua_settop(L, top);
      return;
    }
    lua_pushcfunction(L, bad_result);
    lua_pushlightuserdata(L, cb);
    lua_pushvalue(L, -3);
    lua_pcall(L, 2, 1, 0);
  }
  zero_result(cb, ret);
  record_error(L, cb);
  lua_settop(L, top);
}

/* libffi's entry: any signature, any ABI. */
static void handler(ffi_cif *cif, void *ret, void **args, void *ud) {
  (void)cif;
  dispatch(ud, ret, args);
}

/* ---- the entry pool ---------------------------------------------------- */
/*
 * libffi's closure entry decodes every argument from its cif on every call
 * (about 300 instructions: a third of a comparator's cost). Where each
 * register class is assigned on its own (DL_FAST_MIXED: x86-64 System V,
 * little-endian AArch64; not Win64, where the entries' fifth and sixth
 * parameters would be stack slots the caller may not have written), a
 * callback whose arguments are all integer-class
 * (at most 6) and whose result is too takes instead one of a fixed pool of
 * compiled entries: entry k reads the six integer argument registers (those
 * the caller did not set are read, never used) and calls slot k's callback.
 * No executable memory is made; with the pool full, libffi serves.
 */
#if DL_FAST_MIXED && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define CB_POOL 128

static ldl_cb *pool[CB_POOL]; /* atomic: claimed and released by any state */

/* Entry k's body: the registers as 64-bit values, each argument read from
 * the low bytes of its own (narrow ones leave the high bits undefined). */
static uint64_t enter(int k, uint64_t *r) {
  ldl_cb *cb = __atomic_load_n(&pool[k], __ATOMIC_ACQUIRE);
  uint64_t ret = 0;
  if (cb == NULL) return 0; /* released: a dangling pointer's call */
  void *args[6] = {&r[0], &r[1], &r[2], &r[3], &r[4], &r[5]};
  dispatch(cb, &ret, args);
  return ret;
}

typedef uint64_t u64;
#define ENTRY(name, k) \
  static u64 entry_##name(u64 a, u64 b, u64 c, u64 d, u64 e, u64 f) { \
    u64 r[6] = {a, b, c, d, e, f}; \
    return enter(k, r); \
  }
/* Eight entries, named entry_<p>0 .. entry_<p>7, for slots n .. n + 7. */
#define ENTRY8(p, n) ENTRY(p##0, n) ENTRY(p##1, n + 1) ENTRY(p##2, n + 2) \
  ENTRY(p##3, n + 3) ENTRY(p##4, n + 4) ENTRY(p##5, n + 5) ENTRY(p##6, n + 6) \
  ENTRY(p##7, n + 7)
#define NAME8(p) entry_##p##0, entry_##p##1, entry_##p##2, entry_##p##3, \
                 entry_##p##4, entry_##p##5, entry_##p##6, entry_##p##7
ENTRY8(a, 0) ENTRY8(b, 8) ENTRY8(c, 16) ENTRY8(d, 24) ENTRY8(e, 32) ENTRY8(f, 40)
ENTRY8(g, 48) ENTRY8(h, 56) ENTRY8(i, 64) ENTRY8(j, 72) ENTRY8(k, 80) ENTRY8(l, 88)
ENTRY8(m, 96) ENTRY8(n, 104) ENTRY8(o, 112) ENTRY8(p, 120)

typedef u64 (*entry_fn)(u64, u64, u64, u64, u64, u64);
static const entry_fn entries[CB_POOL] = {
    NAME8(a), NAME8(b), NAME8(c), NAME8(d), NAME8(e), NAME8(f), NAME8(g), NAME8(h),
    NAME8(i), NAME8(j), NAME8(k), NAME8(l), NAME8(m), NAME8(n), NAME8(o), NAME8(p)};

/* Whether the signature fits an entry: integer-class arguments and result. */
static int fits_pool(const ldl_cb *cb) {
  if (cb->nargs > 6 || cb->ret_kind == RK_FLOAT || cb->ret_kind == RK_DOUBLE ||
      cb->ret_kind == RK_AGG)
    return 0;
  for (int i = 0; i < cb->nargs; i++)
    if (cb->push[i] == PK_FLOAT || cb->push[i] == PK_DOUBLE || cb->push[i] == PK_VALUE)
      return 0;
  return 1;
}

/* Claims a free entry for cb: 0, or -1 when none is free. */
static int pool_claim(ldl_cb *cb) {
  if (!fits_pool(cb)) return -1;
  for (int k = 0; k < CB_POOL; k++) {
    ldl_cb *none = NULL;
    if (__atomic_compare_exchange_n(&pool[k], &none, cb, 0, __ATOMIC_ACQ_REL,
                                    __ATOMIC_RELAXED)) {
      cb->slot = k;
      entry_fn f = entries[k];
      memcpy(&cb->head.code, &f, sizeof cb->head.code); /* function to object pointer */
      return 0;
    }
  }
  return -1;
}

static void pool_release(ldl_cb *cb) {
  if (cb->slot >= 0) __atomic_store_n(&pool[cb->slot], NULL, __ATOMIC_RELEASE);
  cb->slot = -1;
}
#else
static int pool_claim(ldl_cb *cb) {
  (void)cb;
  return -1;
}
static void pool_release(ldl_cb *cb) { (void)cb; }
#endif

/* ---- the outer call's side --------------------------------------------- */

/* Called by a dynlib function after its C call while errors are pending:
 * raises this state's (if it has one) and lets every callback of this
 * state run again. */
void ldl_raise_callback_error(lua_State *L) {
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &ERROR_KEY) == LUA_TNIL) {
    lua_pop(L, 1);
    return; /* another state's error */
  }
  lua_pushnil(L);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &ERROR_KEY);
  __atomic_sub_fetch(&ldl_callback_errors, 1, __ATOMIC_RELAXED);
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &ANCHOR_KEY) == LUA_TTABLE) {
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      lua_pop(L, 1);
      ((ldl_cb *)lua_touserdata(L, -1))->failed = 0;
    }
  }
  lua_pop(L, 1);
  lua_error(L); /* the message */
}

/* ---- Lua API ----------------------------------------------------------- */

static ldl_cb *check_cb(lua_State *L) {
  return (ldl_cb *)luaL_checkudata(L, 1, LDL_CB_MT);
}

/* ---- typed prototypes (the declaration parser) -------------------------- */

static int is_ident_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '_';
}

/* Whether the word [s, e) right before a prototype's '(' is the function's
 * name ("int cmp(") rather than the end of its result type ("uint32_t(",
 * "struct tm(", "unsigned("). */
static int is_name(const char *proto, const char *s, const char *e) {
  static const char *const words[] = {"void", "char", "short", "int", "long", "float",
                                      "double", "signed", "unsigned", "bool", "_Bool",
                                      "const", "volatile", NULL};
  if (s == e) return 0;
  for (int i = 0; words[i]; i++)
    if (strlen(words[i]) == (size_t)(e - s) && memcmp(words[i], s, (size_t)(e - s)) == 0) return 0;
  const char *q = s;
  while (q > proto && (q[-1] == ' ' || q[-1] == '\t')) q--;
  if (q == proto) return 0;          /* the word is the whole result type */
  if (q[-1] == '*') return 1;        /* "char *name(" */
  const char *w = q;
  while (w > proto && is_ident_char(w[-1])) w--;
  static const char *const tags[] = {"struct", "union", "enum", "const", "volatile", NULL};
  for (int i = 0; tags[i]; i++)
    if (strlen(tags[i]) == (size_t)(q - w) && memcmp(tags[i], w, (size_t)(q - w)) == 0) return 0;
  return w < q;
}

/* Rewrites "int cmp(const void *a, const void *b)" as the type name
 * "int (*)(const void *a, const void *b)" and copies out its name ("cmp").
 * A prototype already written as a function pointer type stays as it is.
 * 0, or -1 when it has no parameter list or does not fit. */
static int pointer_text(const char *proto, char *name, size_t nsize, char *out,
                        size_t osize) {
  name[0] = '\0';
  const char *open = strchr(proto, '(');
  if (open == NULL) return -1;
  const char *q = open + 1;
  while (*q == ' ') q++;
  if (*q == '*') return snprintf(out, osize, "%s", proto) < (int)osize ? 0 : -1;
  const char *e = open;
  while (e > proto && (e[-1] == ' ' || e[-1] == '\t')) e--;
  const char *s = e;
  while (s > proto && is_ident_char(s[-1])) s--;
  const char *cut = open;
  if (is_name(proto, s, e)) {
    if ((size_t)(e - s) >= nsize) return -1;
    memcpy(name, s, (size_t)(e - s));
    name[e - s] = '\0';
    cut = s;
  }
  int n = snprintf(out, osize, "%.*s(*)%s", (int)(cut - proto), proto, open);
  return n >= 0 && n < (int)osize ? 0 : -1;
}

/* The scalar dynlib type of a declared type, for libffi and the pushes;
 * *ctid is set for pointers that arrive as typed pointers. 0, or -1 when
 * a callback cannot take or give it (by value: structs, arrays). */
static int scalar_of(dl_creg *reg, dl_ctid id, dl_type *t, dl_ctid *ctid) {
  const dl_ctype *ct = dl_creg_type(reg, id);
  *ctid = 0;
  memset(t, 0, sizeof *t);
  dl_ctype_name(reg, id, t->name, sizeof t->name);
  if (ct->kind == DL_C_ENUM) ct = dl_creg_type(reg, ct->base);
  t->size = (uint8_t)ct->size;
  switch (ct->kind) {
    case DL_C_VOID: t->kind = DL_VOID; return 0;
    case DL_C_BOOL: t->kind = DL_BOOL; return 0;
    case DL_C_INT: t->kind = ct->flags & DL_CF_UNSIGNED ? DL_UINT : DL_SINT; return 0;
    case DL_C_FLOAT: t->kind = DL_FLOAT; return 0;
    case DL_C_DOUBLE: t->kind = DL_DOUBLE; return 0;
    case DL_C_PTR: break;
    default: return -1;
  }
  t->size = sizeof(void *);
  const dl_ctype *to = dl_creg_type(reg, ct->base);
  t->kind = DL_PTR;
  if (to->kind == DL_C_INT && to->size == 1 && (to->flags & DL_CF_CONST) &&
      dl_ctype_qualified(reg, ct->base, 0) == dl_creg_builtin(reg, "char"))
    t->kind = DL_STRING; /* exactly const char *: a Lua string */
  else if (to->kind != DL_C_VOID)
    *ctid = id;
  return 0;
}

/* The libffi type of a struct or union by value, from a cache the callback
 * owns (freed with it); NULL when it cannot be one. */
static ffi_type *struct_type(ldl_cb *cb, dl_creg *reg, dl_ctid id) {
  uint8_t kind = dl_creg_type(reg, id)->kind;
  char err[200];
  if (kind != DL_C_STRUCT && kind != DL_C_UNION) return NULL;
  if (cb->ffi_cache == NULL && (cb->ffi_cache = dl_ffi_cache_new()) == NULL) return NULL;
  return dl_ffi_ctype(cb->ffi_cache, reg, id, err, sizeof err);
}

/* A struct or union parameter by value: 0, or -1 when it cannot be one. */
static int struct_arg(ldl_cb *cb, dl_creg *reg, dl_ctid id, int i) {
  if ((cb->agg[i] = struct_type(cb, reg, id)) == NULL) return -1;
  cb->ctid[i] = id;
  cb->sig.args[i].kind = DL_PTR; /* never read: agg[i] is its libffi type */
  cb->sig.args[i].size = sizeof(void *);
  return 0;
}

/* A struct or union result by value: 0, or -1 when it cannot be one. */
static int struct_result(ldl_cb *cb, dl_creg *reg, dl_ctid id) {
  if ((cb->ret_agg = struct_type(cb, reg, id)) == NULL) return -1;
  cb->ret_ctid = id;
  snprintf(cb->ret_what, sizeof cb->ret_what, "result of callback '%s'",
           cb->sig.name[0] ? cb->sig.name : "?");
  return 0;
}

/* Reads the prototype with the declaration parser into cb: 0, or -1 when
 * the parser does not read it (the scalar parser then has its say). Raises
 * on what it reads but a callback cannot do. */
static int typed_prototype(lua_State *L, ldl_cb *cb, const char *proto) {
  char text[1024];
  dl_ctid id;
  dl_cerr err;
  dl_creg *reg = ldl_creg(L);
  if (pointer_text(proto, cb->sig.name, sizeof cb->sig.name, text, sizeof text) != 0 ||
      dl_ctype_parse(reg, text, strlen(text), &id, &err) != 0)
    return -1;
  const dl_ctype *pt = dl_creg_type(reg, id);
  if (pt->kind != DL_C_PTR || dl_creg_type(reg, pt->base)->kind != DL_C_FUNC) return -1;
  const dl_ctype *ft = dl_creg_type(reg, pt->base);
  if (ft->flags & DL_CF_VARIADIC) luaL_error(L, "dynlib: a callback cannot be variadic");
  if (ft->count > DL_MAX_ARGS) luaL_error(L, "dynlib: too many parameters in '%s'", proto);
  dl_ctid unused;
  if (scalar_of(reg, ft->base, &cb->sig.ret, &unused) != 0 && struct_result(cb, reg, ft->base) != 0)
    luaL_error(L, "dynlib: a callback cannot return %s (in '%s')", cb->sig.ret.name, proto);
  cb->sig.nargs = (int)ft->count;
  for (uint32_t i = 0; i < ft->count; i++) {
    const dl_cmember *m = dl_creg_member(reg, ft->first + i);
    if (scalar_of(reg, m->type, &cb->sig.args[i], &cb->ctid[i]) == 0 &&
        cb->sig.args[i].kind != DL_VOID)
      continue;
    if (struct_arg(cb, reg, m->type, (int)i) != 0)
      luaL_error(L, "dynlib: a callback cannot take %s (parameter %d of '%s')",
                 cb->sig.args[i].name, (int)i + 1, proto);
  }
  cb->head.fptype = id;
  return 0;
}

/* Decides once how each argument and the result convert. */
static void plan(ldl_cb *cb) {
  cb->nargs = cb->sig.nargs;
  cb->direct = 1;
  for (int i = 0; i < cb->nargs; i++) {
    cb->push[i] = (uint8_t)(cb->agg[i] ? PK_VALUE
                            : cb->ctid[i] ? PK_TYPED : push_kind_of(&cb->sig.args[i]));
    if (cb->push[i] >= PK_ALLOC) cb->direct = 0;
  }
  cb->ret_kind = (uint8_t)(cb->ret_agg ? RK_AGG : ret_kind_of(&cb->sig.ret));
  cb->ret_size = cb->ret_agg ? (uint32_t)cb->ret_agg->size : cb->sig.ret.size;
  dl_type_range(&cb->sig.ret, &cb->ret_lo, &cb->ret_hi);
}

/* Typed pointer arguments are pushed as copies of a model made here, one
 * per argument (no lookups per call); leaves the table of models on the
 * stack, for the anchor to keep. A callback whose pushes are all
 * allocation-free but for typed pointers with models may take them from
 * the state's cache unprotected (cb->reuse). */
static void make_models(lua_State *L, ldl_cb *cb) {
  static const char somewhere = 0; /* a model's value: any but NULL */
  lua_createtable(L, cb->nargs, 0);
  cb->pcache = ldl_cdata_ptrcache(L, &cb->pc_ref);
  cb->reuse = !cb->direct;
  for (int i = 0; i < cb->nargs; i++) {
    if (cb->push[i] != PK_TYPED) {
      if (cb->push[i] >= PK_ALLOC) cb->reuse = 0;
      continue;
    }
    ldl_cdata_push_pointer(L, cb->ctid[i], (void *)&somewhere);
    if (lua_type(L, -1) != LUA_TUSERDATA) { /* pushed otherwise */
      lua_pop(L, 1);
      cb->reuse = 0;
      continue;
    }
    cb->model[i] = lua_touserdata(L, -1);
    if (cb->mt_ref == LUA_NOREF && lua_getmetatable(L, -1))
      cb->mt_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_rawseti(L, -2, i + 1);
  }
}

/* Makes the code C calls: an entry of the pool, else a libffi closure;
 * raises on failure. */
static void make_closure(lua_State *L, ldl_cb *cb, const char *proto) {
  if (pool_claim(cb) == 0) return;
  for (int i = 0; i < cb->sig.nargs; i++)
    cb->types[i] = cb->agg[i] ? cb->agg[i] : dl_ffi_type(&cb->sig.args[i]);
  ffi_type *rt = cb->ret_agg ? cb->ret_agg : dl_ffi_type(&cb->sig.ret);
  if (ffi_prep_cif(&cb->cif, FFI_DEFAULT_ABI, (unsigned)cb->sig.nargs, rt, cb->types) != FFI_OK)
    luaL_error(L, "dynlib: libffi cannot prepare callback '%s'", proto);
  cb->closure = ffi_closure_alloc(sizeof(ffi_closure), &cb->head.code);
  if (cb->closure == NULL) luaL_error(L, "dynlib: out of memory");
  if (ffi_prep_closure_loc(cb->closure, &cb->cif, handler, cb, cb->head.code) != FFI_OK) {
    ffi_closure_free(cb->closure);
    cb->closure = NULL;
    cb->head.code = NULL;
    luaL_error(L, "dynlib: libffi cannot make callback '%s'", proto);
  }
}

/* dynlib.callback(prototype, fn) -> callback */
static int l_callback(lua_State *L) {
  const char *proto = ldl_checkcstr(L, 1);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  ldl_cb *cb = lua_newuserdatauv(L, sizeof *cb, 0);
  memset(cb, 0, sizeof *cb);
  cb->fn_ref = LUA_NOREF;
  cb->mt_ref = LUA_NOREF;
  cb->slot = -1;
  luaL_setmetatable(L, LDL_CB_MT);
  char err[300];
  if (typed_prototype(L, cb, proto) != 0) {
    memset(&cb->sig, 0, sizeof cb->sig);
    if (dl_sig_parse(proto, NULL, &cb->sig, err, sizeof err) != 0)
      return luaL_error(L, "dynlib: %s", err);
    if (cb->sig.variadic) return luaL_error(L, "dynlib: a callback cannot be variadic");
  }
  plan(cb);
  cb->L = L;
  cb->owner = dl_os_thread_self();
  make_closure(L, cb, proto);
  /* Anchored: C may hold the code pointer for as long as it likes. The
   * function sits in the registry's array part: one indexed load a call. */
  lua_pushvalue(L, 2);
  cb->fn_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  ldl_registry_table(L, &ANCHOR_KEY);
  lua_pushvalue(L, -2);
  make_models(L, cb);
  lua_rawset(L, -3); /* anchor[userdata] = its models: both kept */
  lua_pop(L, 1);
  return 1;
}

/* Frees the code C calls (the pool entry goes back to the pool). */
static void release(ldl_cb *cb) {
  pool_release(cb);
  if (cb->closure) ffi_closure_free(cb->closure);
  cb->closure = NULL;
  if (cb->ffi_cache) dl_ffi_cache_free(cb->ffi_cache); /* after the closure */
  cb->ffi_cache = NULL;
  cb->head.code = NULL;
}

static int cb_free(lua_State *L) {
  ldl_cb *cb = check_cb(L);
  if (cb->head.code == NULL) return 0;
  release(cb);
  luaL_unref(L, LUA_REGISTRYINDEX, cb->fn_ref);
  luaL_unref(L, LUA_REGISTRYINDEX, cb->mt_ref);
  cb->fn_ref = cb->mt_ref = LUA_NOREF;
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &ANCHOR_KEY) == LUA_TTABLE) {
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    lua_rawset(L, -3);
  }
  return 0;
}

/* Runs only once the callback is unreachable: after free(), or when the
 * Lua state closes (its anchor goes with it). */
static int cb_gc(lua_State *L) {
  release(check_cb(L));
  return 0;
}

static int cb_index(lua_State *L) {
  ldl_cb *cb = check_cb(L);
  const char *key = luaL_checkstring(L, 2);
  if (strcmp(key, "ptr") == 0) {
    if (cb->head.code) lua_pushlightuserdata(L, cb->head.code);
    else lua_pushnil(L);
  } else if (strcmp(key, "free") == 0) {
    lua_pushcfunction(L, cb_free);
  } else if (strcmp(key, "freed") == 0) {
    lua_pushboolean(L, cb->head.code == NULL);
  } else if (strcmp(key, "rejected") == 0) {
    lua_pushinteger(L, cb->rejected);
  } else {
    lua_pushnil(L);
  }
  return 1;
}

static int cb_tostring(lua_State *L) {
  ldl_cb *cb = check_cb(L);
  lua_pushfstring(L, "dynlib.callback (%s%s)", cb->sig.ret.name,
                  cb->head.code ? "" : ", freed");
  return 1;
}

void ldl_open_callback(lua_State *L) {
  luaL_newmetatable(L, LDL_CB_MT);
  lua_pushcfunction(L, cb_index);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, cb_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pushcfunction(L, cb_gc);
  lua_setfield(L, -2, "__gc");
  lua_pop(L, 1);
  lua_pushcfunction(L, l_callback);
  lua_setfield(L, -2, "callback");
}
