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
#include "binding/module.h"
#include "binding/util.h"
#include "calls/sig.h"
#include "os/os.h"

#define CB_MT "dynlib.callback"

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
  PK_STRING = PK_ALLOC /* const char *: a Lua string, nil for NULL */
} push_kind;

/* How the Lua result goes back to C. */
typedef enum ret_kind { RK_VOID, RK_BOOL, RK_SINT, RK_UINT, RK_FLOAT, RK_DOUBLE, RK_PTR } ret_kind;

typedef struct ldl_cb {
  void *code;            /* what C calls; NULL once freed */
  ffi_closure *closure;
  lua_State *L;
  dl_os_thread_id owner;
  int fn_ref;            /* the Lua function, by integer in the registry */
  int nargs;
  int direct;            /* every push is allocation-free: pcall fn itself */
  int failed;            /* an error is pending: return zero at once */
  unsigned rejected;     /* calls refused: from another thread */
  uint8_t ret_kind;
  uint8_t ret_size;
  int64_t ret_lo, ret_hi; /* RK_SINT, RK_UINT: the values that fit */
  uint8_t push[DL_MAX_ARGS];
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

static void push_arg(lua_State *L, int kind, const void *p) {
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
    case RK_PTR:
      /* A string's bytes live only while Lua keeps the string: pointers
       * come back as light userdata or nil only. */
      if (!lua_isnil(L, -1) && !lua_islightuserdata(L, -1)) return -1;
      *(void **)ret = lua_touserdata(L, -1);
      return 0;
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

static void zero_result(const ldl_cb *cb, void *ret) {
  if (cb->ret_kind != RK_VOID)
    memset(ret, 0, cb->ret_size < sizeof(ffi_arg) ? sizeof(ffi_arg) : cb->ret_size);
}

/* One invocation, for the protected functions below. */
typedef struct cb_frame {
  ldl_cb *cb;
  void **args;
} cb_frame;

/* Pushes the function and its arguments, calls it (in protected mode:
 * pushing strings and typed values allocates, which may raise). */
static int run_lua(lua_State *L) {
  cb_frame *f = lua_touserdata(L, 1);
  ldl_cb *cb = f->cb;
  lua_rawgeti(L, LUA_REGISTRYINDEX, cb->fn_ref);
  for (int i = 0; i < cb->nargs; i++) push_arg(L, cb->push[i], f->args[i]);
  lua_call(L, cb->nargs, 1);
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

static void handler(ffi_cif *cif, void *ret, void **args, void *ud) {
  (void)cif;
  ldl_cb *cb = ud;
  /* The thread first: nothing else of cb is touched from another one. */
  if (!dl_os_thread_same(cb->owner, dl_os_thread_self())) {
    __atomic_add_fetch(&cb->rejected, 1, __ATOMIC_RELAXED);
    zero_result(cb, ret);
    return;
  }
  lua_State *L = run_state(cb);
  if (cb->failed || !lua_checkstack(L, cb->nargs + 4)) {
    zero_result(cb, ret);
    return;
  }
  int top = lua_gettop(L), st;
  if (cb->direct) {
    /* Integers, numbers, booleans, light userdata: nothing to allocate,
     * so only the Lua function itself runs protected. */
    lua_rawgeti(L, LUA_REGISTRYINDEX, cb->fn_ref);
    for (int i = 0; i < cb->nargs; i++) push_arg(L, cb->push[i], args[i]);
    st = lua_pcall(L, cb->nargs, 1, 0);
  } else {
    cb_frame f = {cb, args};
    lua_pushcfunction(L, run_lua);
    lua_pushlightuserdata(L, &f);
    st = lua_pcall(L, 1, 1, 0);
  }
  if (st == LUA_OK) {
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
  return (ldl_cb *)luaL_checkudata(L, 1, CB_MT);
}

/* Decides once how each argument and the result convert. */
static void plan(ldl_cb *cb) {
  cb->nargs = cb->sig.nargs;
  cb->direct = 1;
  for (int i = 0; i < cb->nargs; i++) {
    cb->push[i] = (uint8_t)push_kind_of(&cb->sig.args[i]);
    if (cb->push[i] >= PK_ALLOC) cb->direct = 0;
  }
  cb->ret_kind = (uint8_t)ret_kind_of(&cb->sig.ret);
  cb->ret_size = cb->sig.ret.size;
  dl_type_range(&cb->sig.ret, &cb->ret_lo, &cb->ret_hi);
}

/* Makes the libffi closure whose code C calls; raises on failure. */
static void make_closure(lua_State *L, ldl_cb *cb, const char *proto) {
  for (int i = 0; i < cb->sig.nargs; i++) cb->types[i] = dl_ffi_type(&cb->sig.args[i]);
  if (ffi_prep_cif(&cb->cif, FFI_DEFAULT_ABI, (unsigned)cb->sig.nargs,
                   dl_ffi_type(&cb->sig.ret), cb->types) != FFI_OK)
    luaL_error(L, "dynlib: libffi cannot prepare callback '%s'", proto);
  cb->closure = ffi_closure_alloc(sizeof(ffi_closure), &cb->code);
  if (cb->closure == NULL) luaL_error(L, "dynlib: out of memory");
  if (ffi_prep_closure_loc(cb->closure, &cb->cif, handler, cb, cb->code) != FFI_OK) {
    ffi_closure_free(cb->closure);
    cb->closure = NULL;
    cb->code = NULL;
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
  luaL_setmetatable(L, CB_MT);
  char err[300];
  if (dl_sig_parse(proto, NULL, &cb->sig, err, sizeof err) != 0)
    return luaL_error(L, "dynlib: %s", err);
  if (cb->sig.variadic)
    return luaL_error(L, "dynlib: a callback cannot be variadic");
  plan(cb);
  make_closure(L, cb, proto);
  cb->L = L;
  cb->owner = dl_os_thread_self();
  /* Anchored: C may hold the code pointer for as long as it likes. The
   * function sits in the registry's array part: one indexed load a call. */
  lua_pushvalue(L, 2);
  cb->fn_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  ldl_registry_table(L, &ANCHOR_KEY);
  lua_pushvalue(L, -2);
  lua_pushboolean(L, 1);
  lua_rawset(L, -3); /* anchor[userdata] = true: the userdata itself */
  lua_pop(L, 1);
  return 1;
}

static int cb_free(lua_State *L) {
  ldl_cb *cb = check_cb(L);
  if (cb->closure == NULL) return 0;
  ffi_closure_free(cb->closure);
  cb->closure = NULL;
  cb->code = NULL;
  luaL_unref(L, LUA_REGISTRYINDEX, cb->fn_ref);
  cb->fn_ref = LUA_NOREF;
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
  ldl_cb *cb = check_cb(L);
  if (cb->closure) ffi_closure_free(cb->closure);
  cb->closure = NULL;
  cb->code = NULL;
  return 0;
}

static int cb_index(lua_State *L) {
  ldl_cb *cb = check_cb(L);
  const char *key = luaL_checkstring(L, 2);
  if (strcmp(key, "ptr") == 0) {
    if (cb->code) lua_pushlightuserdata(L, cb->code);
    else lua_pushnil(L);
  } else if (strcmp(key, "free") == 0) {
    lua_pushcfunction(L, cb_free);
  } else if (strcmp(key, "freed") == 0) {
    lua_pushboolean(L, cb->code == NULL);
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
                  cb->code ? "" : ", freed");
  return 1;
}

/* The code pointer of the callback at idx, or NULL when idx is not one
 * (used by pointer arguments: a callback passes as its code). */
void *ldl_callback_code(lua_State *L, int idx, int *is_cb) {
  ldl_cb *cb = luaL_testudata(L, idx, CB_MT);
  *is_cb = cb != NULL;
  if (cb && cb->code == NULL) luaL_error(L, "dynlib: callback used after free()");
  return cb ? cb->code : NULL;
}

void ldl_open_callback(lua_State *L) {
  luaL_newmetatable(L, CB_MT);
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
