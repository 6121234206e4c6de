/*
 * library.c - library handles (open, sym, close, __gc, __close), names and
 * search, load hooks and the store listing.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "binding/func.h"
#include "binding/module.h"
#include "binding/util.h"
#include "core/check.h"
#include "core/trust.h"

/* A library name: a C string that is not empty. */
static const char *check_name(lua_State *L, int idx) {
  const char *s = ldl_checkcstr(L, idx);
  if (s[0] == '\0') luaL_argerror(L, idx, "empty library name");
  return s;
}

/* ---- options ----------------------------------------------------------- */

/* A version option: an integer (>= 0) or a dotted string of digits. The
 * result lives in buf or on the Lua stack (as the option's own string). */
static const char *opt_version(lua_State *L, int idx, const char *fname,
                               char *buf, size_t n) {
  const char *v = NULL;
  lua_getfield(L, idx, "version");
  if (lua_isinteger(L, -1)) {
    lua_Integer i = lua_tointeger(L, -1);
    if (i < 0) luaL_error(L, "bad option 'version' to '%s' (negative)", fname);
    snprintf(buf, n, "%lld", (long long)i);
    v = buf;
  } else if (lua_type(L, -1) == LUA_TSTRING) {
    v = lua_tostring(L, -1);
    size_t len = lua_rawlen(L, -1);
    if (len == 0 || len >= n || strspn(v, "0123456789.") != len ||
        v[0] == '.' || v[len - 1] == '.' || strstr(v, ".."))
      luaL_error(L, "bad option 'version' to '%s' (digits and dots expected, "
                    "got '%s')", fname, v);
    memcpy(buf, v, len + 1);
    v = buf;
  } else if (!lua_isnil(L, -1)) {
    luaL_error(L, "bad option 'version' to '%s' (integer or string expected, "
                  "got %s)", fname, luaL_typename(L, -1));
  }
  lua_pop(L, 1);
  return v;
}

static int opt_flag(lua_State *L, int idx, const char *fname, const char *name) {
  lua_getfield(L, idx, name);
  int t = lua_type(L, -1);
  if (t != LUA_TNIL && t != LUA_TBOOLEAN)
    luaL_error(L, "bad option '%s' to '%s' (boolean expected, got %s)", name,
               fname, lua_typename(L, t));
  int on = lua_toboolean(L, -1);
  lua_pop(L, 1);
  return on;
}

/* opts.trusted: an array of directories, into dirs (NULL-terminated;
 * the strings stay on the Lua stack, in the options table). */
#define MAX_TRUSTED 32
static const char **opt_trusted(lua_State *L, int idx, const char *fname,
                                const char **dirs) {
  lua_getfield(L, idx, "trusted");
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    return NULL;
  }
  if (!lua_istable(L, -1))
    luaL_error(L, "bad option 'trusted' to '%s' (table of directories expected, "
                  "got %s)", fname, luaL_typename(L, -1));
  lua_Integer n = luaL_len(L, -1);
  if (n < 1 || n > MAX_TRUSTED)
    luaL_error(L, "bad option 'trusted' to '%s' (1 to %d directories expected)",
               fname, MAX_TRUSTED);
  const char *what = lua_pushfstring(L, "option 'trusted' to '%s'", fname);
  ldl_check_list(L, -2, what);
  lua_pop(L, 1);
  for (lua_Integer i = 1; i <= n; i++) {
    size_t len = 0;
    /* a string, not a number: a converted copy would not be kept alive */
    const char *d = lua_rawgeti(L, -1, i) == LUA_TSTRING ? lua_tolstring(L, -1, &len)
                                                          : NULL;
    if (d == NULL || len == 0 || strlen(d) != len)
      luaL_error(L, "bad option 'trusted' to '%s' (entry %d is not a directory "
                    "name)", fname, (int)i);
    dirs[i - 1] = d; /* kept alive by the table, itself held by opts */
    lua_pop(L, 1);
  }
  dirs[n] = NULL;
  lua_pop(L, 1);
  return dirs;
}

static unsigned opt_hints(lua_State *L, int idx, const char *fname) {
  unsigned hints = 0;
  if (opt_flag(L, idx, fname, "lazy")) hints |= DYNLIB_LAZY;
  if (opt_flag(L, idx, fname, "global")) hints |= DYNLIB_GLOBAL;
  if (opt_flag(L, idx, fname, "nodelete")) hints |= DYNLIB_NODELETE;
  if (opt_flag(L, idx, fname, "deepbind")) hints |= DYNLIB_DEEPBIND;
  return hints;
}

/* The options each call takes (plugin.lua's and init.lua's lists for
 * dynlib.plugin and dynlib.resolve build on OPEN_OPTS). */
static const char *const OPEN_OPTS[] = {"version", "lazy", "global", "nodelete",
                                        "deepbind", "trusted", NULL};
static const char *const VERSION_OPTS[] = {"version", NULL};
static const char *const CHECK_OPTS[] = {"version", "trusted", NULL};

/* The options table at idx (absent or nil means defaults): a table whose
 * every key is one of valid, or this raises. */
static int check_opts(lua_State *L, int idx, const char *fname,
                      const char *const valid[]) {
  if (lua_isnoneornil(L, idx)) return 0;
  luaL_checktype(L, idx, LUA_TTABLE);
  ldl_check_options(L, idx, fname, valid);
  return 1;
}

/* ---- load hooks ------------------------------------------------------- */

/* Hooks are per Lua state (registry table HOOKS_KEY: {load = {fn...},
 * unload = {fn...}}) and told of the real loads and unloads this state's
 * handles cause. They run protected: a failing hook gives a warning, since
 * an unload can happen inside __gc where errors cannot propagate. */
static const char HOOKS_KEY = 'h';

static void push_hooks(lua_State *L, const char *event) {
  ldl_registry_table(L, &HOOKS_KEY);
  if (lua_getfield(L, -1, event) != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, event);
  }
  lua_remove(L, -2);
}

static void run_hooks(lua_State *L, const char *event, const char *path) {
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &HOOKS_KEY) != LUA_TTABLE) {
    lua_pop(L, 1);
    return; /* no hook was ever set: the common case stays cheap */
  }
  lua_pop(L, 1);
  push_hooks(L, event);
  lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
  for (lua_Integer i = 1; i <= n; i++) {
    lua_rawgeti(L, -1, i);
    lua_pushstring(L, event);
    lua_pushstring(L, path);
    if (lua_pcall(L, 2, 0, 0) != LUA_OK) {
      lua_warning(L, "dynlib: error in ", 1);
      lua_warning(L, event, 1);
      lua_warning(L, " hook: ", 1);
      lua_warning(L, lua_tostring(L, -1) ? lua_tostring(L, -1) : "?", 0);
      lua_pop(L, 1);
    }
  }
  lua_pop(L, 1);
}

/* The remover returned by on_load/on_unload: upvalues event, fn. */
static int remove_hook(lua_State *L) {
  push_hooks(L, lua_tostring(L, lua_upvalueindex(1)));
  lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
  for (lua_Integer i = 1; i <= n; i++) {
    lua_rawgeti(L, -1, i);
    int same = lua_rawequal(L, -1, lua_upvalueindex(2));
    lua_pop(L, 1);
    if (!same) continue;
    for (; i < n; i++) { /* shift the rest down */
      lua_rawgeti(L, -1, i + 1);
      lua_rawseti(L, -2, i);
    }
    lua_pushnil(L);
    lua_rawseti(L, -2, n);
    break;
  }
  return 0;
}

static int add_hook(lua_State *L, const char *event) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  push_hooks(L, event);
  lua_pushvalue(L, 1);
  lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
  lua_pushstring(L, event);
  lua_pushvalue(L, 1);
  lua_pushcclosure(L, remove_hook, 2);
  return 1;
}

static int l_on_load(lua_State *L) { return add_hook(L, "load"); }
static int l_on_unload(lua_State *L) { return add_hook(L, "unload"); }

/* Closes the handle at idx, telling the unload hooks when it was the last
 * one (the handle keeps its path until freed). */
static void close_handle(lua_State *L, int idx, int free_it) {
  ldl_lib *lib = ldl_checklib(L, idx);
  if (lib->h == NULL) return;
  lib->open = 0;
  ldl_fn_disarm_all(L, idx);
  if (dynlib_close(lib->h)) run_hooks(L, "unload", dynlib_path(lib->h));
  if (free_it) {
    dynlib_release(lib->h);
    lib->h = NULL;
  }
}

/* ---- library handles --------------------------------------------------- */

static int lib_open(lua_State *L) {
  const char *name = check_name(L, 1);
  dynlib_options opt = {0, NULL, NULL};
  char vbuf[64];
  const char *trusted[MAX_TRUSTED + 1];
  if (check_opts(L, 2, "open", OPEN_OPTS)) {
    opt.version = opt_version(L, 2, "open", vbuf, sizeof vbuf);
    opt.hints = opt_hints(L, 2, "open");
    opt.trusted = opt_trusted(L, 2, "open", trusted);
  }
  /* The handle lives inside the userdata: no allocation per open, and no
   * handle leaks if Lua runs out of memory. */
  ldl_lib *lib = (ldl_lib *)lua_newuserdatauv(
      L, sizeof *lib + dynlib_handle_size(), 1); /* func.c: its typed functions */
  lib->h = NULL;
  lib->open = 0;
  luaL_setmetatable(L, LDL_LIB_MT);
  dynlib_error err;
  lib->h = dynlib_open_in(lib->mem, name, &opt, &err);
  if (lib->h == NULL) return ldl_fail(L, &err);
  lib->open = 1;
  if (dynlib_was_loaded(lib->h)) run_hooks(L, "load", dynlib_path(lib->h));
  return 1; /* run_hooks leaves the stack as it found it */
}

/* core.check_open_values(opts, fname): raises as open would for a bad
 * version, hint or trusted value, naming fname (dynlib.resolve and
 * dynlib.plugin check before they do anything; their own key checks are
 * in Lua). */
static int l_check_open_values(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  const char *fname = luaL_checkstring(L, 2);
  char vbuf[64];
  const char *trusted[MAX_TRUSTED + 1];
  opt_version(L, 1, fname, vbuf, sizeof vbuf);
  opt_hints(L, 1, fname);
  opt_trusted(L, 1, fname, trusted);
  return 0;
}

static int lib_sym(lua_State *L) {
  ldl_lib *lib = ldl_checklib(L, 1);
  const char *name = ldl_checkcstr(L, 2);
  dynlib_error err;
  void *p = dynlib_sym(lib->h, name, &err);
  if (p == NULL) return ldl_fail(L, &err);
  lua_pushlightuserdata(L, p);
  return 1;
}

static int lib_close(lua_State *L) {
  close_handle(L, 1, 0);
  return 0;
}

static int lib_gc(lua_State *L) {
  close_handle(L, 1, 1);
  return 0;
}

static int lib_is_open(lua_State *L) {
  ldl_lib *lib = ldl_checklib(L, 1);
  lua_pushboolean(L, lib->h && dynlib_is_open(lib->h));
  return 1;
}

static int lib_tostring(lua_State *L) {
  ldl_lib *lib = ldl_checklib(L, 1);
  if (lib->h == NULL)
    lua_pushliteral(L, "dynlib.library (failed)");
  else
    lua_pushfstring(L, "dynlib.library (%s%s)", dynlib_path(lib->h),
                    dynlib_is_open(lib->h) ? "" : ", closed");
  return 1;
}

/* lib.path and methods: __index looks in the methods first. */
static int lib_index(lua_State *L) {
  ldl_lib *lib = ldl_checklib(L, 1);
  lua_pushvalue(L, 2);
  if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) return 1;
  const char *key = lua_tostring(L, 2);
  if (key && strcmp(key, "path") == 0 && lib->h) {
    lua_pushstring(L, dynlib_path(lib->h));
    return 1;
  }
  if (key && strcmp(key, "closed") == 0) {
    lua_pushboolean(L, !(lib->h && dynlib_is_open(lib->h)));
    return 1;
  }
  lua_pushnil(L);
  return 1;
}

static const luaL_Reg lib_methods[] = {
    {"sym", lib_sym},
    {"close", lib_close},
    {"is_open", lib_is_open},
    {NULL, NULL}};

static void create_lib_meta(lua_State *L) {
  ldl_add_lib_methods(L, lib_methods);
  luaL_getmetatable(L, LDL_LIB_MT); /* __name set by luaL_newmetatable */
  lua_getfield(L, -1, "__methods");
  lua_pushcclosure(L, lib_index, 1); /* upvalue: the methods table */
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, lib_gc);
  lua_setfield(L, -2, "__gc");
  lua_pushcfunction(L, lib_close);
  lua_setfield(L, -2, "__close");
  lua_pushcfunction(L, lib_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pushliteral(L, "dynlib.library");
  lua_setfield(L, -2, "__metatable");
  lua_pop(L, 1);
}

/* ---- names and search -------------------------------------------------- */

static void push_strv(lua_State *L, dynlib_strv v) {
  lua_newtable(L);
  for (int i = 0; v && v[i]; i++) {
    lua_pushstring(L, v[i]);
    lua_rawseti(L, -2, i + 1);
  }
}

static int l_candidates(lua_State *L) {
  const char *name = check_name(L, 1);
  char vbuf[64];
  const char *version = check_opts(L, 2, "candidates", VERSION_OPTS)
                            ? opt_version(L, 2, "candidates", vbuf, sizeof vbuf)
                            : NULL;
  dynlib_strv v = dynlib_candidates(name, version);
  if (v == NULL) return luaL_error(L, "dynlib: out of memory");
  push_strv(L, v);
  free(v);
  return 1;
}

static int l_find(lua_State *L) {
  const char *name = check_name(L, 1);
  char vbuf[64];
  const char *version = check_opts(L, 2, "find", VERSION_OPTS)
                            ? opt_version(L, 2, "find", vbuf, sizeof vbuf)
                            : NULL;
  dynlib_error err;
  char *path = dynlib_find(name, version, &err);
  if (path == NULL) return ldl_fail(L, &err);
  lua_pushstring(L, path);
  free(path);
  return 1;
}

/* check(name [, opts]): what open checks before loading (the file found,
 * its kind, format and machine, trusted mode), without loading it: the
 * real path, or nil, msg, code. Missing symbols show only at load. */
static int l_check(lua_State *L) {
  const char *name = check_name(L, 1);
  char vbuf[64];
  const char *dirs[MAX_TRUSTED + 1];
  const char *version = NULL;
  const char *const *trusted = NULL;
  if (check_opts(L, 2, "check", CHECK_OPTS)) {
    version = opt_version(L, 2, "check", vbuf, sizeof vbuf);
    trusted = opt_trusted(L, 2, "check", dirs);
  }
  dynlib_error err;
  char *path = dynlib_find(name, version, &err);
  if (path == NULL) return ldl_fail(L, &err);
  unsigned long long dev, ino;
  int rc = dl_check_library(path, &dev, &ino, &err);
  if (rc == 0 && trusted) rc = dl_check_trusted(path, trusted, &err);
  if (rc == 0 && trusted) rc = dl_check_search_paths(path, trusted, &err);
  if (rc != 0) {
    free(path);
    return ldl_fail(L, &err);
  }
  lua_pushstring(L, path);
  free(path);
  return 1;
}

static int l_is_library(lua_State *L) {
  lua_pushboolean(L, dynlib_is_library(ldl_checkcstr(L, 1)));
  return 1;
}

static int l_get_path(lua_State *L) {
  char *p = dynlib_get_path();
  if (p == NULL) return luaL_error(L, "dynlib: out of memory");
  lua_pushstring(L, p);
  free(p);
  return 1;
}

static int l_set_path(lua_State *L) {
  const char *p = lua_isnoneornil(L, 1) ? NULL : ldl_checkcstr(L, 1);
  if (dynlib_set_path(p) != 0) return luaL_error(L, "dynlib: out of memory");
  return 0;
}

static int l_search_dirs(lua_State *L) {
  dynlib_strv v = dynlib_search_dirs();
  if (v == NULL) return luaL_error(L, "dynlib: out of memory");
  push_strv(L, v);
  free(v);
  return 1;
}

/* ---- the store --------------------------------------------------------- */

/* Entries are copied out under the store lock and turned into Lua tables
 * after it is released: a Lua allocation error must never unwind while the
 * lock is held. */
typedef struct listing {
  dynlib_entry_info *v;
  size_t n, cap;
  int oom;
} listing;

static void collect(const dynlib_entry_info *info, void *ud) {
  listing *l = ud;
  if (l->oom) return;
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 16;
    dynlib_entry_info *v = realloc(l->v, cap * sizeof *v);
    if (v == NULL) {
      l->oom = 1;
      return;
    }
    l->v = v;
    l->cap = cap;
  }
  l->v[l->n] = *info;
  l->v[l->n].path = strdup(info->path);
  if (l->v[l->n].path == NULL) l->oom = 1;
  else l->n++;
}

static void push_entry(lua_State *L, const dynlib_entry_info *e) {
  lua_createtable(L, 0, 8);
  lua_pushstring(L, e->path);
  lua_setfield(L, -2, "path");
  lua_pushinteger(L, e->refs);
  lua_setfield(L, -2, "refs");
  lua_pushinteger(L, (lua_Integer)e->dev);
  lua_setfield(L, -2, "dev");
  lua_pushinteger(L, (lua_Integer)e->ino);
  lua_setfield(L, -2, "ino");
  static const struct { unsigned bit; const char *name; } hints[] = {
      {DYNLIB_LAZY, "lazy"}, {DYNLIB_GLOBAL, "global"},
      {DYNLIB_NODELETE, "nodelete"}, {DYNLIB_DEEPBIND, "deepbind"}};
  for (size_t i = 0; i < sizeof hints / sizeof hints[0]; i++) {
    lua_pushboolean(L, (e->hints & hints[i].bit) != 0);
    lua_setfield(L, -2, hints[i].name);
  }
  lua_pushboolean(L, e->has_instance);
  lua_setfield(L, -2, "instance");
}

static void free_listing(listing *l) {
  for (size_t i = 0; i < l->n; i++) free((char *)l->v[i].path);
  free(l->v);
}

static int l_loaded(lua_State *L) {
  listing l = {NULL, 0, 0, 0};
  dynlib_store_foreach(collect, &l);
  if (l.oom) {
    free_listing(&l);
    return luaL_error(L, "dynlib: out of memory");
  }
  /* Known gap: a Lua memory error while pushing leaks this small copy. */
  lua_createtable(L, (int)l.n, 0);
  for (size_t i = 0; i < l.n; i++) {
    push_entry(L, &l.v[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  free_listing(&l);
  return 1;
}

static int l_code_name(lua_State *L) {
  lua_pushstring(L, dynlib_code_name((dynlib_code)luaL_checkinteger(L, 1)));
  return 1;
}

static const luaL_Reg module_funcs[] = {
    {"open", lib_open},
    {"candidates", l_candidates},
    {"find", l_find},
    {"check", l_check},
    {"is_library", l_is_library},
    {"get_path", l_get_path},
    {"set_path", l_set_path},
    {"search_dirs", l_search_dirs},
    {"loaded", l_loaded},
    {"code_name", l_code_name},
    {"on_load", l_on_load},
    {"on_unload", l_on_unload},
    {"check_open_values", l_check_open_values},
    {NULL, NULL}};

void ldl_open_library(lua_State *L) {
  create_lib_meta(L);
  luaL_setfuncs(L, module_funcs, 0);
  /* open's option names, for the Lua layer's checks (resolve, plugin) */
  lua_newtable(L);
  for (int i = 0; OPEN_OPTS[i]; i++) {
    lua_pushstring(L, OPEN_OPTS[i]);
    lua_rawseti(L, -2, i + 1);
  }
  lua_setfield(L, -2, "open_options");
}
