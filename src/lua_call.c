/*
 * lua_call.c - typed calls from Lua: lib:func(prototype) returns a C
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
#include <math.h>
#include <string.h>

#include "call.h"
#include "lua_dynlib.h"
#include "sig.h"

#define FN_MT "dynlib.function"

typedef struct ldl_fn {
  dl_sig sig;
  dl_callable call; /* points at sig above: the userdata never moves */
} ldl_fn;

static const char SIGCACHE_KEY = 's';
static const char FORCE_FFI_KEY = 'f';

/* ---- argument conversion ----------------------------------------------- */

static int arg_error(lua_State *L, int i, const dl_sig *sig, const char *msg) {
  return luaL_error(L, "bad argument #%d to '%s' (%s)", i, sig->name, msg);
}

static int type_error(lua_State *L, int i, const dl_sig *sig,
                      const char *expected) {
  const char *msg = lua_pushfstring(L, "%s expected, got %s", expected,
                                    luaL_typename(L, i));
  return arg_error(L, i, sig, msg);
}

static int range_error(lua_State *L, int i, const dl_sig *sig,
                       const dl_type *t) {
  const char *msg = lua_pushfstring(L, "value out of range for %s", t->name);
  return arg_error(L, i, sig, msg);
}

static lua_Integer to_integer(lua_State *L, int i, const dl_sig *sig) {
  int ok;
  lua_Integer x = lua_tointegerx(L, i, &ok);
  if (ok && lua_type(L, i) == LUA_TNUMBER) return x;
  if (lua_type(L, i) == LUA_TNUMBER)
    arg_error(L, i, sig, "number has no integer representation");
  type_error(L, i, sig, "number");
  return 0;
}

/* Signed and unsigned integers narrower than 64 bits are range-checked;
 * 64-bit unsigned ones take negative Lua integers as two's complement. */
static void conv_int(lua_State *L, int i, const dl_sig *sig, const dl_type *t,
                     dl_value *v) {
  lua_Integer x = lua_isinteger(L, i) ? lua_tointeger(L, i)
                                      : to_integer(L, i, sig);
  if (t->size < 8) {
    int bits = t->size * 8;
    if (t->kind == DL_SINT) {
      lua_Integer lim = (lua_Integer)1 << (bits - 1);
      if (x < -lim || x >= lim) range_error(L, i, sig, t);
    } else if (x < 0 || x >= ((lua_Integer)1 << bits)) {
      range_error(L, i, sig, t);
    }
  }
  v->i = (int64_t)x;
}

static void conv_arg(lua_State *L, int i, const dl_sig *sig, const dl_type *t,
                     dl_value *v) {
  switch (t->kind) {
    case DL_SINT:
    case DL_UINT:
      conv_int(L, i, sig, t, v);
      return;
    case DL_DOUBLE:
      if (lua_type(L, i) != LUA_TNUMBER) type_error(L, i, sig, "number");
      v->d = (double)lua_tonumber(L, i);
      return;
    case DL_FLOAT: {
      if (lua_type(L, i) != LUA_TNUMBER) type_error(L, i, sig, "number");
      double d = (double)lua_tonumber(L, i);
      if (isfinite(d) && fabs(d) > FLT_MAX) range_error(L, i, sig, t);
      v->f = (float)d;
      return;
    }
    case DL_BOOL:
      if (lua_type(L, i) != LUA_TBOOLEAN) type_error(L, i, sig, "boolean");
      v->u = (uint64_t)lua_toboolean(L, i);
      return;
    case DL_STRING:
      if (lua_type(L, i) == LUA_TSTRING) v->s = lua_tostring(L, i);
      else if (lua_isnil(L, i)) v->s = NULL;
      else type_error(L, i, sig, "string");
      return;
    default: /* DL_PTR */
      switch (lua_type(L, i)) {
        case LUA_TLIGHTUSERDATA:
        case LUA_TUSERDATA: v->p = lua_touserdata(L, i); return;
        case LUA_TNIL: v->p = NULL; return;
        default: type_error(L, i, sig, "pointer (light userdata)");
      }
  }
}

static int push_result(lua_State *L, const dl_type *t, const dl_value *r) {
  switch (t->kind) {
    case DL_VOID: return 0;
    case DL_BOOL: lua_pushboolean(L, r->i != 0); return 1;
    case DL_SINT: lua_pushinteger(L, (lua_Integer)r->i); return 1;
    case DL_UINT: lua_pushinteger(L, (lua_Integer)r->u); return 1;
    case DL_FLOAT: lua_pushnumber(L, (lua_Number)r->f); return 1;
    case DL_DOUBLE: lua_pushnumber(L, (lua_Number)r->d); return 1;
    case DL_STRING:
      if (r->s) lua_pushstring(L, r->s);
      else lua_pushnil(L);
      return 1;
    default:
      if (r->p) lua_pushlightuserdata(L, r->p);
      else lua_pushnil(L);
      return 1;
  }
}

/* ---- the call ---------------------------------------------------------- */

static int call_fn(lua_State *L) {
  ldl_fn *f = (ldl_fn *)lua_touserdata(L, lua_upvalueindex(1));
  ldl_lib *lib = (ldl_lib *)lua_touserdata(L, lua_upvalueindex(2));
  const dl_sig *sig = &f->sig;
  if (!dynlib_is_open(lib->h))
    return luaL_error(L, "dynlib: closed: %s: '%s' called after its library "
                         "handle was closed",
                      lib->h ? dynlib_path(lib->h) : "?", sig->name);
  int n = lua_gettop(L);
  if (n != sig->nargs)
    return luaL_error(L, "wrong number of arguments to '%s' (%d expected, got %d)",
                      sig->name, sig->nargs, n);
  dl_value args[DL_MAX_ARGS];
  for (int i = 0; i < n; i++) conv_arg(L, i + 1, sig, &sig->args[i], &args[i]);
  dl_value r;
  dl_call(&f->call, args, &r);
  return push_result(L, &sig->ret, &r);
}

/* ---- making functions -------------------------------------------------- */

/* The parsed signature for (name, proto), from this state's cache (weak
 * values: unused signatures are collected), left on the stack so it stays
 * alive while the caller copies it. Raises on a bad prototype. */
static const dl_sig *cached_sig(lua_State *L, const char *name,
                                const char *proto) {
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
  char err[300];
  if (dl_sig_parse(proto, name, sig, err, sizeof err) != 0)
    luaL_error(L, "dynlib: %s", err);
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

/* lib:func(prototype [, opts]) or lib:func(name, prototype [, opts]) */
static int lib_func(lua_State *L) {
  ldl_lib *lib = ldl_checklib(L, 1);
  const char *name = NULL, *proto;
  int opts = 3;
  if (lua_type(L, 3) == LUA_TSTRING) {
    name = ldl_checkcstr(L, 2);
    proto = ldl_checkcstr(L, 3);
    opts = 4;
  } else {
    proto = ldl_checkcstr(L, 2);
  }
  int ffi_only = force_ffi(L);
  if (!lua_isnoneornil(L, opts)) {
    luaL_checktype(L, opts, LUA_TTABLE);
    lua_getfield(L, opts, "ffi");
    ffi_only = ffi_only || lua_toboolean(L, -1);
    lua_pop(L, 1);
  }
  const dl_sig *sig = cached_sig(L, name, proto);
  dynlib_error err;
  void *fn = dynlib_sym(lib->h, sig->name, &err);
  if (fn == NULL) return ldl_fail(L, &err);
  ldl_fn *f = lua_newuserdatauv(L, sizeof *f, 0);
  f->sig = *sig;
  char msg[200];
  if (dl_call_prepare(&f->call, &f->sig, fn, ffi_only, msg, sizeof msg) != 0)
    return luaL_error(L, "dynlib: %s", msg);
  luaL_setmetatable(L, FN_MT);
  lua_pushvalue(L, 1);
  lua_pushcclosure(L, call_fn, 2);
  return 1;
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
  if (lua_getupvalue(L, 1, 1) == NULL || !luaL_testudata(L, -1, FN_MT))
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
