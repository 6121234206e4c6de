/*
 * lua_elf.c - dynlib.inspect and dynlib.section: ELF facts as Lua tables,
 * read without loading the file (inspect.c).
 */
#define _GNU_SOURCE
#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "inspect.h"
#include "lua_dynlib.h"

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

static void push_exports(lua_State *L, const dl_inspection *in) {
  lua_createtable(L, (int)in->nexports, 0);
  for (size_t i = 0; i < in->nexports; i++) {
    const dl_export *x = &in->exports[i];
    lua_createtable(L, 0, 4);
    lua_pushstring(L, x->name);
    lua_setfield(L, -2, "name");
    lua_pushstring(L, kind_name(x->kind));
    lua_setfield(L, -2, "kind");
    if (x->version) {
      lua_pushstring(L, x->version);
      lua_setfield(L, -2, "version");
      lua_pushboolean(L, x->is_default);
      lua_setfield(L, -2, "default");
    }
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
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

/* Opens path as ELF; 0, or pushes nil, msg, code and returns 3. */
static int open_elf(lua_State *L, const char *path, dl_file *f, dl_elf *e) {
  dynlib_error err;
  if (dl_file_open(f, path, &err) != 0) return ldl_fail(L, &err);
  if (dl_elf_open(e, dl_file_read_at, f, f->size, path, &err) != 0) {
    dl_file_close(f);
    return ldl_fail(L, &err);
  }
  return 0;
}

/* dynlib.inspect(path) -> table | nil, msg, code */
static int l_inspect(lua_State *L) {
  const char *path = ldl_checkcstr(L, 1);
  dl_file *f = lua_newuserdatauv(L, sizeof *f, 0); /* freed by the GC */
  dl_elf e;
  int r = open_elf(L, path, f, &e);
  if (r) return r;
  dl_inspection in;
  dynlib_error err;
  int rc = dl_inspect(&e, &in, &err);
  dl_file_close(f);
  if (rc != 0) return ldl_fail(L, &err);
  /* Known gap: a Lua memory error while pushing leaks the inspection. */
  push_inspection(L, &in);
  dl_inspect_free(&in);
  return 1;
}

/* dynlib.section(path, name) -> bytes | nil, msg, code */
static int l_section(lua_State *L) {
  const char *path = ldl_checkcstr(L, 1);
  const char *name = ldl_checkcstr(L, 2);
  dl_file *f = lua_newuserdatauv(L, sizeof *f, 0);
  dl_elf e;
  int r = open_elf(L, path, f, &e);
  if (r) return r;
  char *bytes;
  size_t len;
  dynlib_error err;
  int rc = dl_section_bytes(&e, name, SECTION_MAX, &bytes, &len, &err);
  dl_file_close(f);
  if (rc != 0) return ldl_fail(L, &err);
  lua_pushlstring(L, bytes, len);
  free(bytes);
  return 1;
}

void ldl_open_elf(lua_State *L) {
  static const luaL_Reg funcs[] = {{"inspect", l_inspect},
                                   {"section", l_section},
                                   {NULL, NULL}};
  luaL_setfuncs(L, funcs, 0);
}
