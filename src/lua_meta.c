/*
 * lua_meta.c - plugin support in the binding: metadata as Lua tables
 * (jansson: integers stay integers, depth bounded), plugin instances and
 * Lua-facing entry points, and the folder listing dynlib.scan needs.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dynlib_plugin.h"
#include "lua_dynlib.h"
#include "meta.h"
#include "os.h"

/* Deeper metadata than this is refused: a hostile file must not make the
 * conversion recurse without bound. */
#define MAX_DEPTH 32

static const char PINNED_KEY = 'p';

/* ---- JSON -> Lua ------------------------------------------------------- */

/* Pushes v; returns 0, or -1 when nested deeper than MAX_DEPTH. JSON null
 * is dynlib.null (a NULL light userdata) so arrays keep their length. */
static int push_json(lua_State *L, json_t *v, int depth) {
  if (depth > MAX_DEPTH) return -1;
  luaL_checkstack(L, 4, "metadata nested too deep");
  switch (json_typeof(v)) {
    case JSON_OBJECT: {
      lua_createtable(L, 0, (int)json_object_size(v));
      const char *key;
      json_t *val;
      json_object_foreach(v, key, val) {
        if (push_json(L, val, depth + 1) != 0) return -1;
        lua_setfield(L, -2, key);
      }
      return 0;
    }
    case JSON_ARRAY: {
      size_t n = json_array_size(v);
      lua_createtable(L, n > 1000000 ? 0 : (int)n, 0);
      for (size_t i = 0; i < n; i++) {
        if (push_json(L, json_array_get(v, i), depth + 1) != 0) return -1;
        lua_rawseti(L, -2, (lua_Integer)i + 1);
      }
      return 0;
    }
    case JSON_STRING:
      lua_pushlstring(L, json_string_value(v), json_string_length(v));
      return 0;
    case JSON_INTEGER:
      lua_pushinteger(L, (lua_Integer)json_integer_value(v));
      return 0;
    case JSON_REAL:
      lua_pushnumber(L, (lua_Number)json_real_value(v));
      return 0;
    case JSON_TRUE: lua_pushboolean(L, 1); return 0;
    case JSON_FALSE: lua_pushboolean(L, 0); return 0;
    default: lua_pushlightuserdata(L, NULL); return 0;
  }
}

static int bad_metadata(lua_State *L, const char *path, const char *why) {
  luaL_pushfail(L);
  lua_pushfstring(L, "%s: bad metadata: %s", path, why);
  lua_pushliteral(L, "bad_metadata");
  return 3;
}

static const char *source_name(int source) {
  switch (source) {
    case DL_META_NOTE: return "note";
    case DL_META_SECTION: return "section";
    default: return "search";
  }
}

/* dynlib.metadata(path) -> meta, info | nil, msg, code.
 * info = {format =, abi =, source = "note"|"section"|"search", json =}. */
static int l_metadata(lua_State *L) {
  const char *path = ldl_checkcstr(L, 1);
  dl_meta m;
  dynlib_error err;
  if (dl_meta_read(path, &m, &err) != 0) return ldl_fail(L, &err);
  json_error_t jerr;
  json_t *root = json_loadb(m.json, m.length, JSON_REJECT_DUPLICATES, &jerr);
  if (root == NULL) {
    dl_meta_free(&m);
    char why[220];
    snprintf(why, sizeof why, "invalid JSON at line %d column %d: %s",
             jerr.line, jerr.column, jerr.text);
    return bad_metadata(L, path, why);
  }
  if (!json_is_object(root)) {
    json_decref(root);
    dl_meta_free(&m);
    return bad_metadata(L, path, "the JSON is not an object");
  }
  int top = lua_gettop(L);
  int deep = push_json(L, root, 1);
  json_decref(root);
  if (deep != 0) {
    dl_meta_free(&m);
    lua_settop(L, top);
    return bad_metadata(L, path, "nested deeper than 32 levels");
  }
  lua_createtable(L, 0, 4);
  lua_pushinteger(L, m.format);
  lua_setfield(L, -2, "format");
  lua_pushinteger(L, m.abi);
  lua_setfield(L, -2, "abi");
  lua_pushstring(L, source_name(m.source));
  lua_setfield(L, -2, "source");
  lua_pushlstring(L, m.json, m.length);
  lua_setfield(L, -2, "json");
  dl_meta_free(&m);
  return 2;
}

/* ---- instances and Lua-facing plugins ---------------------------------- */

/* core.instance(lib) -> light userdata (nil for a NULL instance) | nil,
 * msg, code. Runs dynlib_plugin_instance once per loaded library. */
static int l_instance(lua_State *L) {
  ldl_lib *lib = ldl_checklib(L, 1);
  dynlib_error err;
  void *inst = dynlib_instance(lib->h, &err);
  if (inst == NULL && err.code != DYNLIB_OK) return ldl_fail(L, &err);
  if (inst) lua_pushlightuserdata(L, inst);
  else lua_pushnil(L);
  return 1;
}

/* core.plugin_open(lib) -> true, results of dynlib_plugin_open | false.
 * Runs the entry point once per Lua state and library; the handle given is
 * then pinned in the registry, so the library stays loaded for the life of
 * the state (its C functions know nothing of closed handles). Later calls
 * return false and pin nothing. */
static int l_plugin_open(lua_State *L) {
  ldl_lib *lib = ldl_checklib(L, 1);
  if (!lib->open) return luaL_error(L, "dynlib: plugin_open on a closed handle");
  const char *path = dynlib_path(lib->h);
  ldl_registry_table(L, &PINNED_KEY);
  if (lua_getfield(L, -1, path) != LUA_TNIL) {
    lua_pushboolean(L, 0);
    return 1;
  }
  lua_pop(L, 1);
  dynlib_error err;
  void *sym = dynlib_sym(lib->h, "dynlib_plugin_open", &err);
  if (sym == NULL) return ldl_fail(L, &err);
  lua_pushvalue(L, 1);
  lua_setfield(L, -2, path); /* pinned before the call: it may fail */
  lua_settop(L, 1);
  lua_pushboolean(L, 1);
  lua_CFunction open_fn;
  memcpy(&open_fn, &sym, sizeof open_fn);
  lua_pushcfunction(L, open_fn);
  lua_call(L, 0, LUA_MULTRET);
  return lua_gettop(L) - 1;
}

/* core.is_loaded(path): is a library with this path mapped (RTLD_NOLOAD)?
 * Tells a real unload from a deferred one. */
static int l_is_loaded(lua_State *L) {
  lua_pushboolean(L, dl_os_is_loaded(ldl_checkcstr(L, 1)));
  return 1;
}

/* ---- folders ----------------------------------------------------------- */

/* The kind readdir already knows (d_type), without a system call; NULL
 * when it does not (DT_UNKNOWN) or for links, which need a stat. */
static const char *dirent_kind(unsigned char type) {
  switch (type) {
    case DT_REG: return "file";
    case DT_DIR: return "directory";
    case DT_FIFO: return "fifo";
    case DT_SOCK: return "socket";
    case DT_CHR:
    case DT_BLK: return "device";
    default: return NULL;
  }
}

static const char *kind_of(const char *path) {
  struct stat st;
  if (lstat(path, &st) != 0) return "missing";
  if (S_ISLNK(st.st_mode)) {
    if (stat(path, &st) != 0) return "broken-link";
  }
  if (S_ISREG(st.st_mode)) return "file";
  if (S_ISDIR(st.st_mode)) return "directory";
  if (S_ISFIFO(st.st_mode)) return "fifo";
  if (S_ISSOCK(st.st_mode)) return "socket";
  if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) return "device";
  return "other";
}

/* core.listdir(dir) -> {{name =, kind =, path =}, ...} | nil, msg, code.
 * Nothing is opened but the folder: kinds come from readdir, or lstat/stat
 * for links and file systems that do not say. */
static int l_listdir(lua_State *L) {
  const char *dir = ldl_checkcstr(L, 1);
  DIR *d = opendir(dir);
  if (d == NULL) {
    luaL_pushfail(L);
    lua_pushfstring(L, "%s: %s", dir, strerror(errno));
    lua_pushstring(L, errno == ENOENT ? "not_found" : "io");
    return 3;
  }
  lua_newtable(L);
  lua_Integer n = 0;
  struct dirent *ent;
  luaL_Buffer b;
  while ((ent = readdir(d)) != NULL) {
    if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0) continue;
    luaL_buffinit(L, &b);
    luaL_addstring(&b, dir);
    luaL_addchar(&b, '/');
    luaL_addstring(&b, ent->d_name);
    luaL_pushresult(&b);
    const char *full = lua_tostring(L, -1);
    lua_createtable(L, 0, 3);
    lua_pushstring(L, ent->d_name);
    lua_setfield(L, -2, "name");
    const char *kind = dirent_kind(ent->d_type);
    lua_pushstring(L, kind ? kind : kind_of(full));
    lua_setfield(L, -2, "kind");
    lua_pushvalue(L, -2);
    lua_setfield(L, -2, "path");
    lua_remove(L, -2);
    lua_rawseti(L, -2, ++n);
  }
  closedir(d);
  return 1;
}

void ldl_open_meta(lua_State *L) {
  static const luaL_Reg funcs[] = {{"metadata", l_metadata},
                                   {"instance", l_instance},
                                   {"plugin_open", l_plugin_open},
                                   {"is_loaded", l_is_loaded},
                                   {"listdir", l_listdir},
                                   {NULL, NULL}};
  luaL_setfuncs(L, funcs, 0);
}
