/*
 * meta.c - plugin support in the binding: metadata as Lua tables
 * (built straight from the text by formats/json.c's reader: integers stay
 * integers, depth bounded), plugin instances and Lua-facing entry points,
 * and folder scans (dir.c).
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "dynlib_plugin.h"
#include "binding/module.h"
#include "binding/util.h"
#include "core/copy.h"
#include "core/dir.h"
#include "formats/json.h"
#include "os/os.h"

/* Deeper metadata than this is refused: a hostile file must not make the
 * conversion recurse without bound. */
#define MAX_DEPTH 32

static const char PINNED_KEY = 'p';

/* ---- JSON -> Lua ------------------------------------------------------- */

/* The sink of formats/json.c that builds Lua values on the stack as the
 * text is read: containers are tables, each value goes into the table
 * below it as soon as it is complete. JSON null is dynlib.null (a NULL
 * light userdata) so arrays keep their length. */
/* Short strings seen before (keys above all: every plugin's metadata says
 * "name", "version", "iid"...), kept per Lua state so that pushing one
 * again skips Lua's hashing and interning: a direct-mapped table of the
 * bytes, the Lua strings in the cache's user value (a table, at the
 * slot's index, which keeps them alive). */
#define STR_SLOTS 64 /* a bit each in builder.keys */
#define STR_MAX 40 /* LUAI_MAXSHORTLEN: longer strings are not interned anyway */
typedef struct str_cache {
  unsigned char len[STR_SLOTS]; /* 255: empty */
  char bytes[STR_SLOTS][STR_MAX];
} str_cache;
static const char STR_CACHE_KEY = 's';

/* Pushes the cache's string table; *out the cache. Once per call of the
 * module (a scan fetches it once for all its files). */
static void str_cache_get(lua_State *L, str_cache **out) {
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &STR_CACHE_KEY) == LUA_TNIL) {
    lua_pop(L, 1);
    str_cache *c = lua_newuserdatauv(L, sizeof *c, 1);
    memset(c->len, 255, sizeof c->len);
    lua_createtable(L, STR_SLOTS, 0);
    lua_setiuservalue(L, -2, 1);
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &STR_CACHE_KEY);
  }
  *out = lua_touserdata(L, -1);
  lua_getiuservalue(L, -1, 1);
  lua_remove(L, -2);
}

typedef struct builder {
  lua_State *L;
  str_cache *cache;
  int strings;               /* stack index of the cache's strings */
  int level;                 /* open containers */
  unsigned char obj[MAX_DEPTH + 1];
  lua_Integer n[MAX_DEPTH + 1]; /* items so far, per open array */
  uint64_t keys[MAX_DEPTH + 1]; /* cache slots of the keys so far, per object */
} builder;

/* The string's slot in the cache (its bytes decide it), or -1 when it is
 * too long to be cached. */
static int str_slot(const char *s, size_t n) {
  if (n > STR_MAX) return -1;
  unsigned h = (unsigned)n * 31u;
  if (n > 0)
    h += (unsigned char)s[0] * 7u + (unsigned char)s[n / 2] * 3u + (unsigned char)s[n - 1];
  return (int)(h % STR_SLOTS);
}

static void push_str(builder *b, const char *s, size_t n, int h) {
  lua_State *L = b->L;
  if (h < 0) {
    lua_pushlstring(L, s, n);
    return;
  }
  str_cache *c = b->cache;
  if (c->len[h] == n && memcmp(c->bytes[h], s, n) == 0) {
    lua_rawgeti(L, b->strings, (lua_Integer)h + 1);
    return;
  }
  lua_pushlstring(L, s, n);
  lua_pushvalue(L, -1);
  lua_rawseti(L, b->strings, (lua_Integer)h + 1); /* the array part: no allocation */
  memcpy(c->bytes[h], s, n);
  c->len[h] = (unsigned char)n;
}

/* A complete value on the stack top: into its container (the top value
 * stays). */
static const char *place(builder *b) {
  if (b->level == 0) return NULL;
  if (b->obj[b->level - 1]) lua_rawset(b->L, -3);
  else lua_rawseti(b->L, -2, ++b->n[b->level - 1]);
  return NULL;
}

/* The builder's refusal of a value deeper than MAX_DEPTH (the top value
 * is at depth 1): told apart from errors in the text by its address. */
static const char DEEP[] = "nested too deep";

static const char *b_open(void *ctx, int object, size_t count) {
  builder *b = ctx;
  if (b->level >= MAX_DEPTH) return DEEP;
  int n = count > 1000000 ? 0 : (int)count; /* a hint: never a huge table up front */
  lua_createtable(b->L, object ? 0 : n, object ? n : 0);
  b->obj[b->level] = (unsigned char)object;
  b->keys[b->level] = 0;
  b->n[b->level++] = 0;
  return NULL;
}

static const char *b_close(void *ctx, int object) {
  builder *b = ctx;
  (void)object;
  b->level--;
  return place(b);
}

/* A key already in the object is refused. Equal keys share a cache slot:
 * a key whose slot no earlier key of the object took is new, and only
 * the others (and keys too long for the cache) are looked up. */
static const char *b_key(void *ctx, const char *s, size_t n) {
  builder *b = ctx;
  lua_State *L = b->L;
  int h = str_slot(s, n);
  push_str(b, s, n, h);
  if (h >= 0) {
    uint64_t bit = (uint64_t)1 << h, *seen = &b->keys[b->level - 1];
    int fresh = !(*seen & bit);
    *seen |= bit;
    if (fresh) return NULL;
  }
  lua_pushvalue(L, -1);
  if (lua_rawget(L, -3) != LUA_TNIL) return "duplicate object key";
  lua_pop(L, 1);
  return NULL;
}

static const char *b_string(void *ctx, const char *s, size_t n) {
  if (((builder *)ctx)->level >= MAX_DEPTH) return DEEP;
  push_str(ctx, s, n, str_slot(s, n));
  return place(ctx);
}

static const char *b_integer(void *ctx, int64_t v) {
  if (((builder *)ctx)->level >= MAX_DEPTH) return DEEP;
  lua_pushinteger(((builder *)ctx)->L, (lua_Integer)v);
  return place(ctx);
}

/* A real's token as Lua reads it (the locale's decimal point handled);
 * like jansson, an overflow to infinity is refused. */
static const char *b_real(void *ctx, const char *token, size_t n) {
  lua_State *L = ((builder *)ctx)->L;
  char buf[64];
  if (((builder *)ctx)->level >= MAX_DEPTH) return DEEP;
  const char *t = buf;
  if (n < sizeof buf) {
    memcpy(buf, token, n);
    buf[n] = '\0';
  } else {
    t = lua_pushlstring(L, token, n);
  }
  size_t ok = lua_stringtonumber(L, t);
  if (t != buf) lua_remove(L, -2);
  if (ok == 0) return "invalid number";
  lua_Number v = lua_tonumber(L, -1);
  if (v - v != 0) return "real number overflow"; /* inf - inf is NaN */
  return place(ctx);
}

static const char *b_literal(void *ctx, int which) {
  lua_State *L = ((builder *)ctx)->L;
  if (((builder *)ctx)->level >= MAX_DEPTH) return DEEP;
  if (which == DL_JSON_NULL) lua_pushlightuserdata(L, NULL);
  else lua_pushboolean(L, which == DL_JSON_TRUE);
  return place(ctx);
}

static const dl_json_sink LUA_SINK = {b_open, b_close, b_key, b_string,
                                      b_integer, b_real, b_literal};

/* Is a before b in the text? */
static int earlier(const dl_json_result *a, const dl_json_result *b) {
  return a->line < b->line || (a->line == b->line && a->column < b->column);
}

/* The string cache as push_meta takes it: fetched by its caller. */
typedef struct strings {
  str_cache *cache;
  int index; /* stack index of the cache's strings */
} strings;

static void strings_get(lua_State *L, strings *out) {
  str_cache_get(L, &out->cache);
  out->index = lua_gettop(L);
}

/* Pushes the record's JSON as a table; on failure pushes nothing and gives
 * the reason ("path: bad metadata: ..."). One pass builds the tables; only
 * when it fails (or the top is an array) does a checking pass decide what
 * to say, in the order jansson said it: the first error in the text, then
 * "not an object", then the nesting bound. */
static int push_meta(lua_State *L, const strings *str, const char *path,
                     const char *json, size_t length, char *why, size_t whysz) {
  int top = lua_gettop(L);
  builder b;
  dl_json_result built, checked;
  b.L = L;
  b.level = 0;
  luaL_checkstack(L, 2 * MAX_DEPTH + 8, "metadata nested too deep");
  b.cache = str->cache;
  b.strings = str->index;
  size_t i = 0;
  while (i < length && (json[i] == ' ' || json[i] == '\n' || json[i] == '\r' || json[i] == '\t'))
    i++;
  int array = i < length && json[i] == '[';
  if (!array && dl_json_parse(json, length, &LUA_SINK, &b, &built) == 0) return 0;
  lua_settop(L, top);
  int bad = dl_json_parse(json, length, NULL, NULL, &checked) != 0;
  int built_bad = !array && built.text != DEEP; /* an error in the text */
  if (bad || built_bad) {
    const dl_json_result *r =
        bad && (!built_bad || earlier(&checked, &built)) ? &checked : &built;
    snprintf(why, whysz, "%s: bad metadata: invalid JSON at line %d column %d: %s",
             path, r->line, r->column, r->text);
  } else if (!checked.top_object) {
    snprintf(why, whysz, "%s: bad metadata: the JSON is not an object", path);
  } else {
    snprintf(why, whysz, "%s: bad metadata: nested deeper than %d levels", path,
             MAX_DEPTH);
  }
  return -1;
}

static int fail_with(lua_State *L, const char *msg, const char *code) {
  luaL_pushfail(L);
  lua_pushstring(L, msg);
  lua_pushstring(L, code);
  return 3;
}

/* dynlib.metadata(path) -> meta, info | nil, msg, code.
 * info = {format =, abi =, source = "note"|"section"|"search", json =}.
 * The record comes from the C API (dynlib_metadata_record), checked for
 * size and UTF-8; the tables are built here from its text. */
static int l_metadata(lua_State *L) {
  const char *path = ldl_checkcstr(L, 1);
  dynlib_meta *m;
  dynlib_error err;
  if (dynlib_metadata_record(path, &m, &err) != 0) return ldl_fail(L, &err);
  char why[DYNLIB_MSG_MAX];
  strings str;
  strings_get(L, &str);
  if (push_meta(L, &str, path, m->json, m->length, why, sizeof why) != 0) {
    dynlib_meta_free(m);
    return fail_with(L, why, "bad_metadata");
  }
  lua_createtable(L, 0, 4);
  lua_pushinteger(L, m->format);
  lua_setfield(L, -2, "format");
  lua_pushinteger(L, m->abi);
  lua_setfield(L, -2, "abi");
  lua_pushstring(L, m->source);
  lua_setfield(L, -2, "source");
  lua_pushlstring(L, m->json, m->length);
  lua_setfield(L, -2, "json");
  dynlib_meta_free(m);
  return 2;
}

/* core.json_decode(text [, name]) -> table | nil, msg, "bad_metadata": the
 * metadata reader alone, on any text (specs, tools). name stands for the
 * path in messages. */
static int l_json_decode(lua_State *L) {
  size_t len;
  const char *text = luaL_checklstring(L, 1, &len);
  const char *name = luaL_optstring(L, 2, "(text)");
  char why[DYNLIB_MSG_MAX];
  strings str;
  strings_get(L, &str);
  if (push_meta(L, &str, name, text, len, why, sizeof why) != 0)
    return fail_with(L, why, "bad_metadata");
  return 1;
}

/* ---- scans ------------------------------------------------------------- */

/* One item as {path =, meta =} or {path =, code =, reason =}. The worker
 * threads only read; the tables are built here, from each record's text.
 * keys: the stack index of the strings "path" and "meta" (the next one),
 * pushed once per scan. */
static void push_item(lua_State *L, const strings *str, int keys, const dl_scan_item *it) {
  char why[DYNLIB_MSG_MAX];
  dynlib_code code = it->code;
  const char *reason = it->msg ? it->msg : "out of memory";
  lua_createtable(L, 0, code == DYNLIB_OK ? 2 : 3);
  lua_pushvalue(L, keys);
  lua_pushstring(L, it->path);
  lua_rawset(L, -3);
  if (code == DYNLIB_OK) {
    lua_pushvalue(L, keys + 1);
    if (push_meta(L, str, it->path, it->meta.json, it->meta.length, why, sizeof why) == 0) {
      lua_rawset(L, -3);
      return;
    }
    lua_pop(L, 1);
    code = DYNLIB_E_BAD_METADATA;
    reason = why;
  }
  lua_pushstring(L, dynlib_code_name(code));
  lua_setfield(L, -2, "code");
  lua_pushstring(L, reason);
  lua_setfield(L, -2, "reason");
}

/* The result table, built in order as the items are read (pcall'd by
 * l_scan_read, with its dl_scan_run). */
static int build_items(lua_State *L) {
  dl_scan_run *run = lua_touserdata(L, 1);
  dl_scan *s = run->s;
  strings str;
  strings_get(L, &str);
  lua_pushliteral(L, "path");
  lua_pushliteral(L, "meta");
  int keys = lua_gettop(L) - 1;
  lua_createtable(L, s->n > INT32_MAX ? 0 : (int)s->n, 0);
  for (size_t i = 0; i < s->n; i++) {
    dl_scan_wait(run, i);
    push_item(L, &str, keys, &s->items[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  return 1;
}

/* The scan's state lives in a userdata whose __gc frees it, so an error
 * while building the result (out of memory) leaks nothing. */
static int scan_gc(lua_State *L) {
  dl_scan *s = lua_touserdata(L, 1);
  dl_scan_free(s, NULL);
  return 0;
}

/* core.scan_read(dir_or_list, recursive, threads) -> items | nil, msg,
 * code. items: every entry sorted by path, {path =, meta =} for a plugin,
 * {path =, code =, reason =} for anything else. Loads nothing. */
static int l_scan_read(lua_State *L) {
  int recursive = lua_toboolean(L, 2);
  lua_Integer threads = luaL_optinteger(L, 3, 0);
  luaL_argcheck(L, threads >= 0, 3, "threads must be 0 (automatic) or more");
  dl_scan *s = lua_newuserdatauv(L, sizeof *s, 0);
  dl_scan_init(s);
  if (luaL_newmetatable(L, "dynlib.scan")) {
    lua_pushcfunction(L, scan_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  dynlib_error err;
  const char *dir = NULL;
  const char **paths = NULL;
  if (lua_type(L, 1) == LUA_TTABLE) {
    lua_Integer n = luaL_len(L, 1);
    if (n < 0 || (lua_Unsigned)n >= SIZE_MAX / sizeof *paths)
      return luaL_error(L, "dynlib: out of memory");
    /* The list in a userdata: the strings stay in the argument table. */
    paths = lua_newuserdatauv(L, ((size_t)n + 1) * sizeof *paths, 0);
    for (lua_Integer i = 1; i <= n; i++) {
      size_t len;
      lua_geti(L, 1, i);
      const char *p = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &len) : NULL;
      if (p == NULL || strlen(p) != len)
        return luaL_error(L, "bad argument #1 to 'scan' (entry %d is not a path)", (int)i);
      paths[i - 1] = p;
      lua_pop(L, 1);
    }
    paths[n] = NULL;
  } else {
    dir = ldl_checkcstr(L, 1);
  }
  /* The same listing and sorting as dynlib_scan (the C API); then the
   * tables are built here, in order, while worker threads read ahead. */
  if (dl_scan_gather(s, dir, paths, recursive, &err) != 0) {
    if (err.code == DYNLIB_E_IO && strcmp(err.msg, "out of memory") == 0)
      return luaL_error(L, "dynlib: out of memory");
    return ldl_fail(L, &err);
  }
  dl_scan_run run;
  dl_scan_start(&run, s, (unsigned)(threads > 64 ? 64 : threads), NULL, NULL);
  /* Protected: the workers must be joined before any error goes on. */
  lua_pushcfunction(L, build_items);
  lua_pushlightuserdata(L, &run);
  int rc = lua_pcall(L, 1, 1, 0);
  dl_scan_finish(&run);
  if (rc != LUA_OK) return lua_error(L);
  dl_scan_free(s, NULL); /* now: __gc covers only an error above */
  return 1;
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

/* core.remove_copy(copy): removes a copy (and its private folder). */
static int l_remove_copy(lua_State *L) {
  dl_private_copy_remove(ldl_checkcstr(L, 1));
  return 0;
}

/* core.private_copy(path) -> copy | nil, msg, code: the file copied beside
 * itself or into a private folder (copy.h), for a plugin that must not run
 * from its own file. The caller removes it with core.remove_copy. */
static int l_private_copy(lua_State *L) {
  char *copy;
  dynlib_error err;
  if (dl_private_copy(ldl_checkcstr(L, 1), &copy, &err) != 0) return ldl_fail(L, &err);
  lua_pushstring(L, copy);
  free(copy);
  return 1;
}

void ldl_open_meta(lua_State *L) {
  static const luaL_Reg funcs[] = {{"metadata", l_metadata},
                                   {"instance", l_instance},
                                   {"plugin_open", l_plugin_open},
                                   {"is_loaded", l_is_loaded},
                                   {"scan_read", l_scan_read},
                                   {"private_copy", l_private_copy},
                                   {"remove_copy", l_remove_copy},
                                   {"json_decode", l_json_decode},
                                   {NULL, NULL}};
  luaL_setfuncs(L, funcs, 0);
}
