/*
 * elf.c - dynlib.inspect and dynlib.section: ELF facts as Lua tables,
 * read without loading the file (inspect.c).
 */
#define _GNU_SOURCE
#include <string.h>

#include "formats/elf_defs.h"
#include "base/file.h"
#include "formats/inspect.h"
#include "binding/module.h"
#include "binding/util.h"

#define SECTION_MAX (64u << 20)

static const char *type_name(unsigned t) {
  switch (t) {
    case ET_DYN: return "dyn";
    case ET_EXEC: return "exec";
    case ET_REL: return "rel";
    case ET_CORE: return "core";
    default: return "unknown";
  }
}

static const char *kind_name(int k) {
  static const char *const names[] = {"func", "object", "tls", "ifunc", "other"};
  return names[k];
}

static const char *section_type(uint32_t t) {
  switch (t) {
    case SHT_NULL: return "null";
    case SHT_PROGBITS: return "progbits";
    case SHT_SYMTAB: return "symtab";
    case SHT_STRTAB: return "strtab";
    case SHT_RELA: return "rela";
    case SHT_HASH: return "hash";
    case SHT_DYNAMIC: return "dynamic";
    case SHT_NOTE: return "note";
    case SHT_NOBITS: return "nobits";
    case SHT_REL: return "rel";
    case SHT_DYNSYM: return "dynsym";
    case SHT_INIT_ARRAY: return "init_array";
    case SHT_FINI_ARRAY: return "fini_array";
    case SHT_GNU_HASH: return "gnu_hash";
    case SHT_GNU_versym: return "gnu_versym";
    case SHT_GNU_verdef: return "gnu_verdef";
    case SHT_GNU_verneed: return "gnu_verneed";
    default: return "other";
  }
}

/* A ':'-separated search path as an array (empty when absent). */
static void push_pathlist(lua_State *L, const char *s) {
  lua_newtable(L);
  if (s == NULL) return;
  lua_Integer n = 0;
  while (*s) {
    size_t len = strcspn(s, ":");
    lua_pushlstring(L, s, len);
    lua_rawseti(L, -2, ++n);
    s += len;
    if (*s == ':') s++;
  }
}

static void set_string(lua_State *L, const char *key, const char *v) {
  if (v == NULL) return;
  lua_pushstring(L, v);
  lua_setfield(L, -2, key);
}

static void push_sections(lua_State *L, const dl_inspection *in) {
  lua_createtable(L, (int)in->nsections, 0);
  for (size_t i = 0; i < in->nsections; i++) {
    const dl_section_info *s = &in->sections[i];
    lua_createtable(L, 0, 5);
    lua_pushstring(L, s->name);
    lua_setfield(L, -2, "name");
    lua_pushstring(L, section_type(s->type));
    lua_setfield(L, -2, "type");
    lua_pushinteger(L, (lua_Integer)s->size);
    lua_setfield(L, -2, "size");
    lua_pushinteger(L, (lua_Integer)s->offset);
    lua_setfield(L, -2, "offset");
    lua_pushinteger(L, (lua_Integer)s->addr);
    lua_setfield(L, -2, "addr");
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
}

/* The exports: keys, kind names and the current version string are pushed
 * once and reused (rawset with a value already on the stack): a large
 * library has thousands of exports and few distinct strings besides names. */
enum { K_NAME, K_KIND, K_VERSION, K_DEFAULT, K_KINDS, NCONST = K_KINDS + 5 };

static void push_exports(lua_State *L, const dl_inspection *in) {
  static const char *const keys[] = {"name", "kind", "version", "default"};
  luaL_checkstack(L, NCONST + 8, "inspect");
  int base = lua_gettop(L) + 1;
  for (int k = 0; k < K_KINDS; k++) lua_pushstring(L, keys[k]);
  for (int k = 0; k < 5; k++) lua_pushstring(L, kind_name(k));
  lua_pushnil(L); /* base + NCONST: the last version string */
  const char *last_version = NULL;
  lua_createtable(L, (int)in->nexports, 0);
  for (size_t i = 0; i < in->nexports; i++) {
    const dl_export *x = &in->exports[i];
    if (x->version && x->version != last_version) {
      lua_pushstring(L, x->version);
      lua_replace(L, base + NCONST);
      last_version = x->version;
    }
    lua_createtable(L, 0, x->version ? 4 : 2);
    lua_pushvalue(L, base + K_NAME);
    lua_pushstring(L, x->name);
    lua_rawset(L, -3);
    lua_pushvalue(L, base + K_KIND);
    lua_pushvalue(L, base + K_KINDS + (x->kind < 5 ? x->kind : 4));
    lua_rawset(L, -3);
    if (x->version) {
      lua_pushvalue(L, base + K_VERSION);
      lua_pushvalue(L, base + NCONST);
      lua_rawset(L, -3);
      lua_pushvalue(L, base + K_DEFAULT);
      lua_pushboolean(L, x->is_default);
      lua_rawset(L, -3);
    }
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  lua_replace(L, base); /* the list in place of the constants */
  lua_settop(L, base);
}

static void push_inspection(lua_State *L, const dl_inspection *in) {
  lua_createtable(L, 0, 16);
  lua_pushinteger(L, in->is64 ? 64 : 32);
  lua_setfield(L, -2, "class");
  lua_pushstring(L, in->big_endian ? "big" : "little");
  lua_setfield(L, -2, "endian");
  const char *m = dl_machine_name(in->machine);
  if (m) lua_pushstring(L, m);
  else lua_pushinteger(L, in->machine);
  lua_setfield(L, -2, "machine");
  lua_pushstring(L, type_name(in->type));
  lua_setfield(L, -2, "type");
  lua_pushinteger(L, in->osabi);
  lua_setfield(L, -2, "osabi");
  lua_pushboolean(L, in->compatible);
  lua_setfield(L, -2, "compatible");
  lua_pushboolean(L, in->pie);
  lua_setfield(L, -2, "pie");
  set_string(L, "soname", in->soname);
  set_string(L, "interp", in->interp);
  set_string(L, "build_id", in->build_id);
  lua_createtable(L, (int)in->nneeded, 0);
  for (size_t i = 0; i < in->nneeded; i++) {
    lua_pushstring(L, in->needed[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  lua_setfield(L, -2, "needed");
  push_pathlist(L, in->rpath);
  lua_setfield(L, -2, "rpath");
  push_pathlist(L, in->runpath);
  lua_setfield(L, -2, "runpath");
  push_sections(L, in);
  lua_setfield(L, -2, "sections");
  push_exports(L, in);
  lua_setfield(L, -2, "exports");
}

/* The open file and the inspection live in a userdata whose __gc releases
 * them: a Lua error while the result tables are built (out of memory)
 * leaks neither the descriptor nor the C strings. */
#define READER_MT "dynlib.elf_reader"

typedef struct reader {
  dl_file f;
  int file_open, has_inspection;
  dl_inspection in;
} reader;

static void reader_release(reader *r) {
  if (r->file_open) dl_file_close(&r->f);
  if (r->has_inspection) dl_inspect_free(&r->in);
  r->file_open = r->has_inspection = 0;
}

static int reader_gc(lua_State *L) {
  reader_release(luaL_checkudata(L, 1, READER_MT));
  return 0;
}

/* Opens path as ELF into a new reader left on the stack: 0, or pushes
 * nil, msg, code and returns 3. */
static int open_elf(lua_State *L, const char *path, reader **out, dl_elf *e) {
  reader *r = lua_newuserdatauv(L, sizeof *r, 0);
  r->file_open = r->has_inspection = 0;
  luaL_setmetatable(L, READER_MT);
  *out = r;
  dynlib_error err;
  if (dl_file_open(&r->f, path, &err) != 0) return ldl_fail(L, &err);
  r->file_open = 1;
  if (dl_elf_open(e, dl_file_read_at, &r->f, r->f.size, path, &err) != 0) {
    reader_release(r);
    return ldl_fail(L, &err);
  }
  return 0;
}

/* dynlib.inspect(path) -> table | nil, msg, code */
static int l_inspect(lua_State *L) {
  const char *path = ldl_checkcstr(L, 1);
  reader *r;
  dl_elf e;
  int n = open_elf(L, path, &r, &e);
  if (n) return n;
  dynlib_error err;
  int rc = dl_inspect(&e, &r->in, &err);
  r->has_inspection = rc == 0;
  dl_file_close(&r->f); /* everything is read: close before building */
  r->file_open = 0;
  if (rc != 0) return ldl_fail(L, &err);
  push_inspection(L, &r->in);
  reader_release(r);
  return 1;
}

/* dynlib.section(path, name) -> bytes | nil, msg, code. The bytes are read
 * straight into a Lua buffer of the section's size (checked first). */
static int l_section(lua_State *L) {
  const char *path = ldl_checkcstr(L, 1);
  const char *name = ldl_checkcstr(L, 2);
  reader *r;
  dl_elf e;
  int n = open_elf(L, path, &r, &e);
  if (n) return n;
  dl_elf_shdr sh;
  dynlib_error err;
  if (dl_section_lookup(&e, name, SECTION_MAX, &sh, &err) != 0) {
    reader_release(r);
    return ldl_fail(L, &err);
  }
  luaL_Buffer b;
  char *p = luaL_buffinitsize(L, &b, (size_t)sh.size);
  int rc = dl_elf_read(&e, sh.offset, p, (size_t)sh.size, "section", &err);
  reader_release(r);
  if (rc != 0) return ldl_fail(L, &err);
  luaL_pushresultsize(&b, (size_t)sh.size);
  return 1;
}

void ldl_open_elf(lua_State *L) {
  static const luaL_Reg funcs[] = {{"inspect", l_inspect},
                                   {"section", l_section},
                                   {NULL, NULL}};
  if (luaL_newmetatable(L, READER_MT)) {
    lua_pushcfunction(L, reader_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_pop(L, 1);
  luaL_setfuncs(L, funcs, 0);
}
