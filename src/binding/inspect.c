/*
 * inspect.c - dynlib.inspect and dynlib.section: what an ELF or PE file is,
 * as Lua tables, read without loading the file (formats/inspect.c,
 * formats/pe_inspect.c). The format is told by the first bytes.
 */
#define _GNU_SOURCE
#include <string.h>

#include "formats/elf_defs.h"
#include "base/file.h"
#include "formats/format.h"
#include "formats/inspect.h"
#include "formats/pe_inspect.h"
#include "binding/module.h"
#include "binding/util.h"
#include "base/internal.h"

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
    char f[4], *q = f; /* readelf's letters: W write, A alloc, X execute */
    if (s->flags & SHF_WRITE) *q++ = 'W';
    if (s->flags & SHF_ALLOC) *q++ = 'A';
    if (s->flags & SHF_EXECINSTR) *q++ = 'X';
    lua_pushlstring(L, f, (size_t)(q - f));
    lua_setfield(L, -2, "flags");
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
  lua_createtable(L, 0, 17);
  lua_pushliteral(L, "elf");
  lua_setfield(L, -2, "format");
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

/* ---- PE ----------------------------------------------------------------- */

static void push_pe_subsystem(lua_State *L, unsigned s) {
  static const char *const names[] = {
      NULL, "native", "windows_gui", "windows_cui", NULL, "os2_cui", NULL,
      "posix_cui", "native_windows", "windows_ce_gui", "efi_application",
      "efi_boot_service_driver", "efi_runtime_driver", "efi_rom", "xbox", NULL,
      "windows_boot_application"};
  if (s < sizeof names / sizeof *names && names[s]) lua_pushstring(L, names[s]);
  else lua_pushinteger(L, s);
}

static void set_bool(lua_State *L, const char *key, int v) {
  lua_pushboolean(L, v);
  lua_setfield(L, -2, key);
}

/* Sections as the ELF ones: name, size (in memory), offset and addr (the
 * RVA), type (nobits for uninitialised data without file bytes), flags in
 * readelf's letters (A unless discardable, W, X), and the raw
 * characteristics and file size. */
static void push_pe_sections(lua_State *L, const dl_pe_inspection *in) {
  lua_createtable(L, (int)in->nsections, 0);
  for (size_t i = 0; i < in->nsections; i++) {
    const dl_pe_section_info *s = &in->sections[i];
    lua_createtable(L, 0, 8);
    lua_pushstring(L, s->name);
    lua_setfield(L, -2, "name");
    lua_pushstring(L, s->raw_size == 0 ? "nobits" : "progbits");
    lua_setfield(L, -2, "type");
    lua_pushinteger(L, (lua_Integer)(s->vsize ? s->vsize : s->raw_size));
    lua_setfield(L, -2, "size");
    lua_pushinteger(L, (lua_Integer)s->raw_size);
    lua_setfield(L, -2, "raw_size");
    lua_pushinteger(L, (lua_Integer)s->raw_off);
    lua_setfield(L, -2, "offset");
    lua_pushinteger(L, (lua_Integer)s->rva);
    lua_setfield(L, -2, "addr");
    char f[4], *q = f;
    if (s->flags & DL_PE_SCN_MEM_WRITE) *q++ = 'W';
    if (!(s->flags & DL_PE_SCN_MEM_DISCARDABLE)) *q++ = 'A';
    if (s->flags & DL_PE_SCN_MEM_EXECUTE) *q++ = 'X';
    lua_pushlstring(L, f, (size_t)(q - f));
    lua_setfield(L, -2, "flags");
    lua_pushinteger(L, (lua_Integer)s->flags);
    lua_setfield(L, -2, "characteristics");
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
}

/* Exports: {name =, ordinal =, kind = "func"|"object"} or, for a
 * forwarder, {name =, ordinal =, kind = "forward", forward = "DLL.name"};
 * name is absent for an export by ordinal only. */
static void push_pe_exports(lua_State *L, const dl_pe_inspection *in) {
  lua_createtable(L, (int)in->nexports, 0);
  for (size_t i = 0; i < in->nexports; i++) {
    const dl_pe_export *x = &in->exports[i];
    lua_createtable(L, 0, 4);
    if (x->name) {
      lua_pushstring(L, x->name);
      lua_setfield(L, -2, "name");
    }
    lua_pushinteger(L, x->ordinal);
    lua_setfield(L, -2, "ordinal");
    if (x->forward) {
      lua_pushstring(L, x->forward);
      lua_setfield(L, -2, "forward");
    }
    lua_pushstring(L, x->forward ? "forward" : x->code ? "func" : "object");
    lua_setfield(L, -2, "kind");
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
}

static void push_pe_inspection(lua_State *L, const dl_pe_inspection *in) {
  lua_createtable(L, 0, 16);
  lua_pushliteral(L, "pe");
  lua_setfield(L, -2, "format");
  lua_pushinteger(L, in->is64 ? 64 : 32);
  lua_setfield(L, -2, "class");
  lua_pushliteral(L, "little");
  lua_setfield(L, -2, "endian");
  const char *m = dl_pe_machine_name(in->machine);
  if (m) lua_pushstring(L, m);
  else lua_pushinteger(L, in->machine);
  lua_setfield(L, -2, "machine");
  lua_pushstring(L, in->dll ? "dll" : "exe");
  lua_setfield(L, -2, "type");
  set_bool(L, "compatible", in->compatible);
  unsigned dc = in->dll_characteristics;
  set_bool(L, "aslr", (dc & DL_PE_DLL_DYNAMIC_BASE) != 0);
  set_bool(L, "dep", (dc & DL_PE_DLL_NX_COMPAT) != 0);
  set_bool(L, "high_entropy_va", (dc & DL_PE_DLL_HIGH_ENTROPY_VA) != 0);
  set_bool(L, "guard_cf", (dc & DL_PE_DLL_GUARD_CF) != 0);
  lua_pushinteger(L, dc);
  lua_setfield(L, -2, "dll_characteristics");
  push_pe_subsystem(L, in->subsystem);
  lua_setfield(L, -2, "subsystem");
  lua_pushinteger(L, (lua_Integer)in->image_base);
  lua_setfield(L, -2, "image_base");
  set_string(L, "dll_name", in->dll_name);
  lua_createtable(L, (int)in->nneeded, 0);
  for (size_t i = 0; i < in->nneeded; i++) {
    lua_pushstring(L, in->needed[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  lua_setfield(L, -2, "needed");
  push_pe_sections(L, in);
  lua_setfield(L, -2, "sections");
  push_pe_exports(L, in);
  lua_setfield(L, -2, "exports");
}

/* The open file and the inspection live in a userdata whose __gc releases
 * them: a Lua error while the result tables are built (out of memory)
 * leaks neither the descriptor nor the C strings. */
#define READER_MT "dynlib.elf_reader"

typedef struct reader {
  dl_file f;
  int file_open, has_inspection, has_pe;
  dl_inspection in;
  dl_pe_inspection pin;
  dl_format format;
  union { /* the opened file's reader */
    dl_elf elf;
    dl_pe pe;
  } u;
} reader;

static void reader_release(reader *r) {
  if (r->file_open) dl_file_close(&r->f);
  if (r->has_inspection) dl_inspect_free(&r->in);
  if (r->has_pe) dl_pe_inspect_free(&r->pin);
  r->file_open = r->has_inspection = r->has_pe = 0;
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
  r->file_open = r->has_inspection = r->has_pe = 0;
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

/* dynlib.inspect(path) -> table | nil, msg, code */
static int l_inspect(lua_State *L) {
  const char *path = ldl_checkcstr(L, 1);
  reader *r;
  int n = open_file(L, path, &r);
  if (n) return n;
  dynlib_error err;
  int rc;
  if (r->format == DL_FORMAT_PE) {
    rc = dl_pe_inspect(&r->u.pe, &r->pin, &err);
    r->has_pe = rc == 0;
  } else {
    rc = dl_inspect(&r->u.elf, &r->in, &err);
    r->has_inspection = rc == 0;
  }
  dl_file_close(&r->f); /* everything is read: close before building */
  r->file_open = 0;
  if (rc != 0) return ldl_fail(L, &err);
  if (r->format == DL_FORMAT_PE) push_pe_inspection(L, &r->pin);
  else push_inspection(L, &r->in);
  reader_release(r);
  return 1;
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
  luaL_setfuncs(L, funcs, 0);
}
