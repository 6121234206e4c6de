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

static const char ANCHOR_KEY = 'a'; /* registry: {[cb userdata] = fn} */
static const char ERROR_KEY = 'e';  /* registry: the pending error */

/* Errors of failed callbacks not raised yet, over all Lua states: every
 * dynlib call looks at it after its C call (one load while it is zero). */
unsigned ldl_callback_errors;

_Thread_local lua_State *ldl_current_L;

typedef struct ldl_cb {
  void *code;            /* what C calls; NULL once freed */
  ffi_closure *closure;
  ffi_cif cif;
  ffi_type *types[DL_MAX_ARGS];
  dl_sig sig;
  lua_State *L;
  dl_os_thread_id owner;
  int failed;            /* an error is pending: return zero at once */
  unsigned rejected;     /* calls refused: from another thread */
} ldl_cb;

/* ---- C -> Lua ---------------------------------------------------------- */

static void push_arg(lua_State *L, const dl_type *t, void *p) {
  switch (t->kind) {
    case DL_BOOL: lua_pushboolean(L, *(uint8_t *)p != 0); return;
    case DL_FLOAT: lua_pushnumber(L, *(float *)p); return;
    case DL_DOUBLE: lua_pushnumber(L, *(double *)p); return;
    case DL_STRING: {
      const char *s = *(const char **)p;
      if (s) lua_pushstring(L, s);
      else lua_pushnil(L);
      return;
    }
    case DL_PTR: {
      void *q = *(void **)p;
      if (q) lua_pushlightuserdata(L, q);
      else lua_pushnil(L);
      return;
    }
    default: break;
  }
  int s = t->kind == DL_SINT;
  switch (t->size) {
    case 1: lua_pushinteger(L, s ? (lua_Integer)*(int8_t *)p : (lua_Integer)*(uint8_t *)p); return;
    case 2: lua_pushinteger(L, s ? (lua_Integer)*(int16_t *)p : (lua_Integer)*(uint16_t *)p); return;
    case 4: lua_pushinteger(L, s ? (lua_Integer)*(int32_t *)p : (lua_Integer)*(uint32_t *)p); return;
    default: lua_pushinteger(L, *(lua_Integer *)p); return;
  }
}

/* Stores the Lua result at idx into ret (libffi widens narrow integer
 * results to ffi_arg). Returns 0, or -1 when it does not fit the type. */
static int store_result(lua_State *L, int idx, const dl_type *t, void *ret) {
  switch (t->kind) {
    case DL_VOID: return 0;
    case DL_BOOL: *(ffi_arg *)ret = (ffi_arg)lua_toboolean(L, idx); return 0;
    case DL_FLOAT:
    case DL_DOUBLE: {
      int ok;
      lua_Number n = lua_tonumberx(L, idx, &ok);
      if (!ok) return -1;
      if (t->kind == DL_FLOAT) *(float *)ret = (float)n;
      else *(double *)ret = (double)n;
      return 0;
    }
    case DL_STRING:
    case DL_PTR:
      /* A string's bytes live only while Lua keeps the string: pointers
       * come back as light userdata or nil only. */
      if (!lua_isnil(L, idx) && !lua_islightuserdata(L, idx)) return -1;
      *(void **)ret = lua_touserdata(L, idx);
      return 0;
    default: break;
  }
  int ok;
  lua_Integer x = lua_tointegerx(L, idx, &ok);
  if (!ok) return -1;
  int64_t lo, hi;
  dl_type_range(t, &lo, &hi);
  if (x < lo || x > hi) return -1;
  if (t->kind == DL_SINT) *(ffi_sarg *)ret = (ffi_sarg)x;
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

static void zero_result(const dl_type *t, void *ret) {
  if (t->kind != DL_VOID) memset(ret, 0, t->size < sizeof(ffi_arg) ? sizeof(ffi_arg) : t->size);
}

/* Runs the Lua function in protected mode (the handler). */
static int run_lua(lua_State *L) {
  ldl_cb *cb = lua_touserdata(L, 1);
  void **args = lua_touserdata(L, 2);
  void *ret = lua_touserdata(L, 3);
  lua_settop(L, 0);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &ANCHOR_KEY);
  lua_pushlightuserdata(L, cb);
  lua_rawget(L, -2);
  for (int i = 0; i < cb->sig.nargs; i++) push_arg(L, &cb->sig.args[i], args[i]);
  lua_call(L, cb->sig.nargs, 1);
  if (store_result(L, -1, &cb->sig.ret, ret) != 0)
    return luaL_error(L, "callback '%s' returned %s, not a %s",
                      cb->sig.name[0] ? cb->sig.name : "?", luaL_typename(L, -1),
                      cb->sig.ret.name);
  return 0;
}

static void handler(ffi_cif *cif, void *ret, void **args, void *ud) {
  (void)cif;
  ldl_cb *cb = ud;
  zero_result(&cb->sig.ret, ret);
  /* The thread first: nothing else of cb is touched from another one. */
  if (!dl_os_thread_same(cb->owner, dl_os_thread_self())) {
    __atomic_add_fetch(&cb->rejected, 1, __ATOMIC_RELAXED);
    return;
  }
  if (cb->failed) return;
  /* The coroutine making the outer call, if it belongs to the callback's
   * Lua state; else the thread that created the callback. */
  lua_State *L = cb->L, *cur = ldl_current_L;
  if (cur && cur != L &&
      lua_topointer(cur, LUA_REGISTRYINDEX) == lua_topointer(L, LUA_REGISTRYINDEX))
    L = cur;
  int top = lua_gettop(L);
  if (!lua_checkstack(L, cb->sig.nargs + 8)) return;
  lua_pushcfunction(L, run_lua);
  lua_pushlightuserdata(L, cb);
  lua_pushlightuserdata(L, args);
  lua_pushlightuserdata(L, ret);
  if (lua_pcall(L, 3, 0, 0) != LUA_OK) {
    zero_result(&cb->sig.ret, ret);
    record_error(L, cb);
  }
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

/* dynlib.callback(prototype, fn) -> callback */
static int l_callback(lua_State *L) {
  const char *proto = ldl_checkcstr(L, 1);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  ldl_cb *cb = lua_newuserdatauv(L, sizeof *cb, 0);
  memset(cb, 0, sizeof *cb);
  luaL_setmetatable(L, CB_MT);
  char err[300];
  if (dl_sig_parse(proto, NULL, &cb->sig, err, sizeof err) != 0)
    return luaL_error(L, "dynlib: %s", err);
  if (cb->sig.variadic)
    return luaL_error(L, "dynlib: a callback cannot be variadic");
  for (int i = 0; i < cb->sig.nargs; i++) cb->types[i] = dl_ffi_type(&cb->sig.args[i]);
  if (ffi_prep_cif(&cb->cif, FFI_DEFAULT_ABI, (unsigned)cb->sig.nargs,
                   dl_ffi_type(&cb->sig.ret), cb->types) != FFI_OK)
    return luaL_error(L, "dynlib: libffi cannot prepare callback '%s'", proto);
  cb->closure = ffi_closure_alloc(sizeof(ffi_closure), &cb->code);
  if (cb->closure == NULL) return luaL_error(L, "dynlib: out of memory");
  if (ffi_prep_closure_loc(cb->closure, &cb->cif, handler, cb, cb->code) != FFI_OK) {
    ffi_closure_free(cb->closure);
    cb->closure = NULL;
    cb->code = NULL;
    return luaL_error(L, "dynlib: libffi cannot make callback '%s'", proto);
  }
  cb->L = L;
  cb->owner = dl_os_thread_self();
  /* Anchored: C may hold the code pointer for as long as it likes. */
  ldl_registry_table(L, &ANCHOR_KEY);
  lua_pushlightuserdata(L, cb);
  lua_pushvalue(L, 2);
  lua_rawset(L, -3); /* anchor[cb] = fn: the function, by the callback's address */
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
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &ANCHOR_KEY) == LUA_TTABLE) {
    lua_pushlightuserdata(L, cb);
    lua_pushnil(L);
    lua_rawset(L, -3);
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
