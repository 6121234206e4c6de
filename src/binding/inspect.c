/*
 * inspect.c - dynlib.inspect and dynlib.section: what an ELF or PE file is,
 * as Lua tables, read without loading the file. inspect is the C API's
 * dynlib_inspect (core/info.c) turned into tables; section reads the bytes
 * through the format readers. The format is told by the first bytes.
 */
#define _GNU_SOURCE
#include <string.h>

#include "base/file.h"
#include "formats/format.h"
#include "formats/inspect.h"
#include "formats/pe_inspect.h"
#include "binding/module.h"
#include "binding/util.h"
#include "base/internal.h"

#define SECTION_MAX (64u << 20)

/* A list of strings as an array. */
static void push_strings(lua_State *L, const char *const *v, size_t n) {
  lua_createtable(L, n > INT32_MAX ? 0 : (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    lua_pushstring(L, v[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
}

static void set_string(lua_State *L, const char *key, const char *v) {
  if (v == NULL) return;
  lua_pushstring(L, v);
  lua_setfield(L, -2, key);
}

static void set_integer(lua_State *L, const char *key, lua_Integer v) {
  lua_pushinteger(L, v);
  lua_setfield(L, -2, key);
}

static void set_bool(lua_State *L, const char *key, int v) {
  lua_pushboolean(L, v);
  lua_setfield(L, -2, key);
}

/* A name, or the number when the name is unknown (machine, subsystem). */
static void set_name_or_number(lua_State *L, const char *key, const char *name,
                               unsigned number) {
  if (name) lua_pushstring(L, name);
  else lua_pushinteger(L, number);
  lua_setfield(L, -2, key);
}

/* ELF sections: name, type, size, offset, addr, flags; PE ones add the
 * raw (file) size and the characteristics, addr being the RVA. */
static void push_sections(lua_State *L, const dynlib_inspection *in, int pe) {
  lua_createtable(L, in->nsections > INT32_MAX ? 0 : (int)in->nsections, 0);
  for (size_t i = 0; i < in->nsections; i++) {
    const dynlib_section *s = in->sections[i];
    lua_createtable(L, 0, pe ? 8 : 6);
    lua_pushstring(L, s->name);
    lua_setfield(L, -2, "name");
    lua_pushstring(L, s->type);
    lua_setfield(L, -2, "type");
    set_integer(L, "size", (lua_Integer)s->size);
    if (pe) set_integer(L, "raw_size", (lua_Integer)s->raw_size);
    set_integer(L, "offset", (lua_Integer)s->offset);
    set_integer(L, "addr", (lua_Integer)s->addr);
    lua_pushstring(L, s->flags);
    lua_setfield(L, -2, "flags");
    if (pe) set_integer(L, "characteristics", (lua_Integer)s->characteristics);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
}

/* ELF exports: {name =, kind =} and, when versioned, version = and
 * default =. The keys, the kind names (one string per kind in the C API,
 * told apart by pointer) and the current version string are pushed once
 * and reused: a large library has thousands of exports and few distinct
 * strings besides names. */
enum { K_NAME, K_KIND, K_VERSION, K_DEFAULT, K_KINDS, NKINDS = 6,
       NCONST = K_KINDS + NKINDS };

static void push_elf_exports(lua_State *L, const dynlib_inspection *in) {
  static const char *const keys[] = {"name", "kind", "version", "default"};
  luaL_checkstack(L, NCONST + 8, "inspect");
  int base = lua_gettop(L) + 1;
  for (int k = 0; k < K_KINDS; k++) lua_pushstring(L, keys[k]);
  for (int k = 0; k < NKINDS; k++) lua_pushnil(L); /* kinds, as met */
  lua_pushnil(L); /* base + NCONST: the last version string */
  const char *kinds[NKINDS] = {NULL};
  const char *last_version = NULL;
  lua_createtable(L, in->nexports > INT32_MAX ? 0 : (int)in->nexports, 0);
  for (size_t i = 0; i < in->nexports; i++) {
    const dynlib_export *x = in->exports[i];
    if (x->version && x->version != last_version) {
      lua_pushstring(L, x->version);
      lua_replace(L, base + NCONST);
      last_version = x->version;
    }
    int k = 0;
    while (k < NKINDS - 1 && kinds[k] != NULL && kinds[k] != x->kind) k++;
    if (kinds[k] != x->kind) { /* new (the last slot is replaced) */
      kinds[k] = x->kind;
      lua_pushstring(L, x->kind);
      lua_replace(L, base + K_KINDS + k);
    }
    lua_createtable(L, 0, x->version ? 4 : 2);
    lua_pushvalue(L, base + K_NAME);
    lua_pushstring(L, x->name);
    lua_rawset(L, -3);
    lua_pushvalue(L, base + K_KIND);
    lua_pushvalue(L, base + K_KINDS + k);
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

static void push_elf(lua_State *L, const dynlib_inspection *in) {
  lua_createtable(L, 0, 17);
  lua_pushliteral(L, "elf");
  lua_setfield(L, -2, "format");
  set_integer(L, "class", in->bits);
  set_string(L, "endian", in->endian);
  set_name_or_number(L, "machine", in->machine, in->machine_number);
  set_string(L, "type", in->type);
  set_integer(L, "osabi", in->osabi);
  set_bool(L, "compatible", in->compatible);
  set_bool(L, "pie", in->pie);
  set_string(L, "soname", in->soname);
  set_string(L, "interp", in->interp);
  set_string(L, "build_id", in->build_id);
  push_strings(L, in->needed, in->nneeded);
  lua_setfield(L, -2, "needed");
  push_strings(L, in->rpath, in->nrpath);
  lua_setfield(L, -2, "rpath");
  push_strings(L, in->runpath, in->nrunpath);
  lua_setfield(L, -2, "runpath");
  push_sections(L, in, 0);
  lua_setfield(L, -2, "sections");
  push_elf_exports(L, in);
  lua_setfield(L, -2, "exports");
}

/* PE exports: {name =, ordinal =, kind = "func"|"object"} or, for a
 * forwarder, {name =, ordinal =, kind = "forward", forward = "DLL.name"};
 * name is absent for an export by ordinal only. */
static void push_pe_exports(lua_State *L, const dynlib_inspection *in) {
  lua_createtable(L, in->nexports > INT32_MAX ? 0 : (int)in->nexports, 0);
  for (size_t i = 0; i < in->nexports; i++) {
    const dynlib_export *x = in->exports[i];
    lua_createtable(L, 0, 4);
    set_string(L, "name", x->name);
    set_integer(L, "ordinal", x->ordinal);
    set_string(L, "forward", x->forward);
    set_string(L, "kind", x->kind);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
}

static void push_pe(lua_State *L, const dynlib_inspection *in) {
  lua_createtable(L, 0, 16);
  lua_pushliteral(L, "pe");
  lua_setfield(L, -2, "format");
  set_integer(L, "class", in->bits);
  set_string(L, "endian", in->endian);
  set_name_or_number(L, "machine", in->machine, in->machine_number);
  set_string(L, "type", in->type);
  set_bool(L, "compatible", in->compatible);
  set_bool(L, "aslr", in->aslr);
  set_bool(L, "dep", in->dep);
  set_bool(L, "high_entropy_va", in->high_entropy_va);
  set_bool(L, "guard_cf", in->guard_cf);
  set_integer(L, "dll_characteristics", in->dll_characteristics);
  set_name_or_number(L, "subsystem", in->subsystem, in->subsystem_number);
  set_integer(L, "image_base", (lua_Integer)in->image_base);
  set_string(L, "dll_name", in->dll_name);
  push_strings(L, in->needed, in->nneeded);
  lua_setfield(L, -2, "needed");
  push_sections(L, in, 1);
  lua_setfield(L, -2, "sections");
  push_pe_exports(L, in);
  lua_setfield(L, -2, "exports");
}

/* The C API's inspection lives in a userdata whose __gc frees it: a Lua
 * error while the tables are built (out of memory) leaks nothing. */
#define INSPECTION_MT "dynlib.inspection"

static int inspection_gc(lua_State *L) {
  dynlib_inspection **p = luaL_checkudata(L, 1, INSPECTION_MT);
  dynlib_inspect_free(*p);
  *p = NULL;
  return 0;
}

/* dynlib.inspect(path) -> table | nil, msg, code: dynlib_inspect's facts
 * (the C API) as tables. */
static int l_inspect(lua_State *L) {
  const char *path = ldl_checkcstr(L, 1);
  dynlib_inspection **p = lua_newuserdatauv(L, sizeof *p, 0);
  *p = NULL;
  luaL_setmetatable(L, INSPECTION_MT);
  dynlib_error err;
  if (dynlib_inspect(path, p, &err) != 0) return ldl_fail(L, &err);
  if (strcmp((*p)->format, "pe") == 0) push_pe(L, *p);
  else push_elf(L, *p);
  dynlib_inspect_free(*p);
  *p = NULL;
  return 1;
}

/* dynlib.section's open file lives in a userdata whose __gc closes it: a
 * Lua error while the bytes are read (out of memory) leaks no
 * descriptor. */
#define READER_MT "dynlib.elf_reader"

typedef struct reader {
  dl_file f;
  int file_open;
  dl_format format;
  union { /* the opened file's reader */
    dl_elf elf;
    dl_pe pe;
  } u;
} reader;

static void reader_release(reader *r) {
  if (r->file_open) dl_file_close(&r->f);
  r->file_open = 0;
}

static int reader_gc(lua_State *L) {
  reader_release(luaL_checkudata(L, 1, READER_MT));
  return 0;
}

/* Opens path as ELF or PE (by its first bytes; anything else is read as
 * ELF, whose reader says why it is not one) into a new reader left on the
 * stack: 0, or pushes nil, msg, code and returns 3. */
static int open_file(lua_State *L, const char *path, reader **out) {
  reader *r = lua_newuserdatauv(L, sizeof *r, 0);
  r->file_open = 0;
  luaL_setmetatable(L, READER_MT);
  *out = r;
  dynlib_error err;
  if (dl_file_open(&r->f, path, &err) != 0) return ldl_fail(L, &err);
  r->file_open = 1;
  unsigned char head[4];
  size_t n = r->f.size < sizeof head ? (size_t)r->f.size : sizeof head;
  r->format = dl_file_read_at(&r->f, 0, head, n) == 0 ? dl_format_sniff(head, n)
                                                       : DL_FORMAT_UNKNOWN;
  int rc = r->format == DL_FORMAT_PE
               ? dl_pe_open(&r->u.pe, dl_file_read_at, &r->f, r->f.size, path, &err)
               : dl_elf_open(&r->u.elf, dl_file_read_at, &r->f, r->f.size, path,
                             &err);
  if (rc != 0) {
    reader_release(r);
    return ldl_fail(L, &err);
  }
  return 0;
}

/* The file bytes of a named section: 0, or -1 with err (not_found, io). */
static int find_section(reader *r, const char *name, uint64_t *off,
                        uint64_t *size, dynlib_error *err) {
  if (r->format != DL_FORMAT_PE) {
    dl_elf_shdr sh;
    if (dl_section_lookup(&r->u.elf, name, SECTION_MAX, &sh, err) != 0) return -1;
    *off = sh.offset;
    *size = sh.size;
    return 0;
  }
  const dl_pe *p = &r->u.pe;
  int i = dl_pe_section_by_name(p, name);
  if (i < 0)
    return dl_seterr(err, DYNLIB_E_NOT_FOUND, "%s: no section named %s", p->name,
                     name);
  dl_pe_section_bytes(p, (unsigned)i, off, size);
  if (*size > SECTION_MAX)
    return dl_seterr(err, DYNLIB_E_IO, "%s: section %s is larger than %u bytes",
                     p->name, name, SECTION_MAX);
  return 0; /* dl_pe_open checked it against the file */
}

/* dynlib.section(path, name) -> bytes | nil, msg, code. The bytes are read
 * straight into a Lua buffer of the section's size (checked first). */
static int l_section(lua_State *L) {
  const char *path = ldl_checkcstr(L, 1);
  const char *name = ldl_checkcstr(L, 2);
  reader *r;
  int n = open_file(L, path, &r);
  if (n) return n;
  uint64_t off, size;
  dynlib_error err;
  if (find_section(r, name, &off, &size, &err) != 0) {
    reader_release(r);
    return ldl_fail(L, &err);
  }
  luaL_Buffer b;
  char *p = luaL_buffinitsize(L, &b, (size_t)size);
  int rc = size == 0 || dl_file_read_at(&r->f, off, p, (size_t)size) == 0
               ? 0
               : dl_seterr(&err, DYNLIB_E_IO, "%s: cannot read section %s", path,
                           name);
  reader_release(r);
  if (rc != 0) return ldl_fail(L, &err);
  luaL_pushresultsize(&b, (size_t)size);
  return 1;
}

void ldl_open_inspect(lua_State *L) {
  static const luaL_Reg funcs[] = {{"inspect", l_inspect},
                                   {"section", l_section},
                                   {NULL, NULL}};
  if (luaL_newmetatable(L, READER_MT)) {
    lua_pushcfunction(L, reader_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_pop(L, 1);
  if (luaL_newmetatable(L, INSPECTION_MT)) {
    lua_pushcfunction(L, inspection_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_pop(L, 1);
  luaL_setfuncs(L, funcs, 0);
}
