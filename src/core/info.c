/*
 * info.c - the C API's reading without loading (dynlib.h): a plugin's
 * metadata as its JSON text, what an ELF or PE file is as plain C
 * structures, and folder scans. The Lua binding builds its tables from the
 * same functions, so C and Lua report the same facts.
 *
 * The public structures point into the readers' own results (names,
 * version strings, the import list): nothing is copied but the lists of
 * pointers, made in one allocation each.
 */
#define _GNU_SOURCE /* strdup */
#include <stdlib.h>
#include <string.h>

#include "core/dir.h"
#include "base/file.h"
#include "base/internal.h"
#include "formats/elf_defs.h"
#include "formats/format.h"
#include "formats/inspect.h"
#include "formats/meta.h"
#include "formats/pe_inspect.h"

static int oom(const char *path, dynlib_error *err) {
  return dl_seterr(err, DYNLIB_E_IO, "%s: out of memory", path);
}

static int bad_arg(const char *what, dynlib_error *err) {
  return dl_seterr(err, DYNLIB_E_INVALID, "%s", what);
}

/* ---- metadata ------------------------------------------------------------ */

static const char *source_name(int source) {
  switch (source) {
    case DL_META_NOTE: return "note";
    case DL_META_SECTION: return "section";
    default: return "search";
  }
}

int dynlib_metadata(const char *path, char **json, size_t *len,
                    dynlib_error *err) {
  if (json) *json = NULL;
  if (len) *len = 0;
  if (path == NULL || json == NULL)
    return bad_arg("dynlib_metadata: path and json must not be NULL", err);
  dl_meta m;
  if (dl_meta_read(path, &m, err) != 0) return -1;
  *json = m.json; /* the reader checked its size, NUL bytes and UTF-8 */
  if (len) *len = m.length;
  return 0;
}

int dynlib_metadata_record(const char *path, dynlib_meta **out,
                           dynlib_error *err) {
  if (out) *out = NULL;
  if (path == NULL || out == NULL)
    return bad_arg("dynlib_metadata_record: path and out must not be NULL", err);
  dynlib_meta *r = calloc(1, sizeof *r);
  if (r == NULL) return oom(path, err);
  dl_meta m;
  if (dl_meta_read(path, &m, err) != 0) {
    free(r);
    return -1;
  }
  r->struct_size = sizeof *r;
  r->json = m.json;
  r->length = m.length;
  r->format = m.format;
  r->abi = m.abi;
  r->source = source_name(m.source);
  *out = r;
  return 0;
}

void dynlib_meta_free(dynlib_meta *m) {
  if (m == NULL) return;
  free(m->json);
  free(m);
}

/* ---- inspection ---------------------------------------------------------- */

typedef struct section_box {
  dynlib_section pub;
  char flags[4]; /* readelf's letters, NUL-terminated */
} section_box;

/* The public result and what it points into. pub comes first: the
 * caller's pointer is the box's. */
typedef struct inspect_box {
  dynlib_inspection pub;
  int is_pe;
  dl_inspection elf;
  dl_pe_inspection pe;
  section_box *sections;
  const dynlib_section **section_ptrs;
  dynlib_export *exports;
  const dynlib_export **export_ptrs;
  char *rpath_text, *runpath_text; /* copies cut at ':' */
  const char **rpath, **runpath;
  const char **needed;             /* NULL-terminated copy of the list */
} inspect_box;

static const char *elf_type_name(unsigned t) {
  switch (t) {
    case ET_DYN: return "dyn";
    case ET_EXEC: return "exec";
    case ET_REL: return "rel";
    case ET_CORE: return "core";
    default: return "unknown";
  }
}

static const char *elf_section_type(uint32_t t) {
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

/* One string per kind, so callers may compare pointers. */
static const char *const KIND_NAMES[] = {"func", "object", "tls", "ifunc", "other"};
static const char KIND_FORWARD[] = "forward";

static const char *pe_subsystem_name(unsigned s) {
  static const char *const names[] = {
      NULL, "native", "windows_gui", "windows_cui", NULL, "os2_cui", NULL,
      "posix_cui", "native_windows", "windows_ce_gui", "efi_application",
      "efi_boot_service_driver", "efi_runtime_driver", "efi_rom", "xbox", NULL,
      "windows_boot_application"};
  return s < sizeof names / sizeof *names ? names[s] : NULL;
}

/* A ':'-separated list cut into a NULL-terminated array (empty pieces
 * kept, as the Lua list keeps them; nothing for an absent list). */
static int split_path(const char *s, char **text, const char ***list, size_t *n,
                      const char *path, dynlib_error *err) {
  *text = NULL;
  *n = 0;
  size_t count = 0;
  if (s != NULL && *s) {
    count = 1;
    for (const char *p = s; *p; p++) count += *p == ':';
    if (s[strlen(s) - 1] == ':') count--; /* "a:" is one entry, as in Lua */
  }
  *list = calloc(count + 1, sizeof **list);
  if (*list == NULL) return oom(path, err);
  if (count == 0) return 0;
  *text = strdup(s);
  if (*text == NULL) return oom(path, err);
  char *p = *text;
  while (*p) {
    (*list)[(*n)++] = p;
    char *colon = strchr(p, ':');
    if (colon == NULL) break;
    *colon = '\0';
    p = colon + 1;
  }
  return 0;
}

static void section_flags(section_box *b, int w, int a, int x) {
  char *q = b->flags;
  if (w) *q++ = 'W';
  if (a) *q++ = 'A';
  if (x) *q++ = 'X';
  *q = '\0';
  b->pub.flags = b->flags;
}

/* The pointer arrays: n + 1 entries (NULL at the end), made up front. */
static int alloc_lists(inspect_box *b, char *const *needed, size_t nneeded,
                       size_t nsec, size_t nexp, const char *path,
                       dynlib_error *err) {
  b->needed = calloc(nneeded + 1, sizeof *b->needed);
  if (b->needed == NULL) return oom(path, err);
  for (size_t i = 0; i < nneeded; i++) b->needed[i] = needed[i];
  b->pub.needed = b->needed;
  b->pub.nneeded = nneeded;
  b->sections = calloc(nsec ? nsec : 1, sizeof *b->sections);
  b->section_ptrs = calloc(nsec + 1, sizeof *b->section_ptrs);
  b->exports = calloc(nexp ? nexp : 1, sizeof *b->exports);
  b->export_ptrs = calloc(nexp + 1, sizeof *b->export_ptrs);
  if (!b->sections || !b->section_ptrs || !b->exports || !b->export_ptrs)
    return oom(path, err);
  for (size_t i = 0; i < nsec; i++) b->section_ptrs[i] = &b->sections[i].pub;
  for (size_t i = 0; i < nexp; i++) b->export_ptrs[i] = &b->exports[i];
  b->pub.sections = b->section_ptrs;
  b->pub.nsections = nsec;
  b->pub.exports = b->export_ptrs;
  b->pub.nexports = nexp;
  return 0;
}

static int fill_elf(inspect_box *b, const char *path, dynlib_error *err) {
  const dl_inspection *in = &b->elf;
  dynlib_inspection *o = &b->pub;
  o->format = "elf";
  o->bits = in->is64 ? 64 : 32;
  o->endian = in->big_endian ? "big" : "little";
  o->machine = dl_machine_name(in->machine);
  o->machine_number = in->machine;
  o->type = elf_type_name(in->type);
  o->compatible = in->compatible;
  o->soname = in->soname;
  o->interp = in->interp;
  o->build_id = in->build_id;
  o->pie = in->pie;
  o->osabi = in->osabi;
  if (alloc_lists(b, in->needed, in->nneeded, in->nsections, in->nexports, path,
                  err) != 0)
    return -1;
  for (size_t i = 0; i < in->nsections; i++) {
    const dl_section_info *s = &in->sections[i];
    section_box *x = &b->sections[i];
    x->pub.name = s->name;
    x->pub.type = elf_section_type(s->type);
    x->pub.size = s->size;
    x->pub.offset = s->offset;
    x->pub.addr = s->addr;
    x->pub.type_number = s->type;
    x->pub.characteristics = (uint32_t)s->flags;
    section_flags(x, (s->flags & SHF_WRITE) != 0, (s->flags & SHF_ALLOC) != 0,
                  (s->flags & SHF_EXECINSTR) != 0);
  }
  for (size_t i = 0; i < in->nexports; i++) {
    const dl_export *s = &in->exports[i];
    dynlib_export *x = &b->exports[i];
    x->name = s->name;
    x->kind = KIND_NAMES[s->kind < 5 ? s->kind : 4];
    x->version = s->version;
    x->is_default = s->version ? s->is_default : 0;
  }
  if (split_path(in->rpath, &b->rpath_text, &b->rpath, &o->nrpath, path, err) != 0 ||
      split_path(in->runpath, &b->runpath_text, &b->runpath, &o->nrunpath, path,
                 err) != 0)
    return -1;
  o->rpath = b->rpath;
  o->runpath = b->runpath;
  return 0;
}

static int fill_pe(inspect_box *b, const char *path, dynlib_error *err) {
  const dl_pe_inspection *in = &b->pe;
  dynlib_inspection *o = &b->pub;
  o->format = "pe";
  o->bits = in->is64 ? 64 : 32;
  o->endian = "little";
  o->machine = dl_pe_machine_name(in->machine);
  o->machine_number = in->machine;
  o->type = in->dll ? "dll" : "exe";
  o->compatible = in->compatible;
  o->dll_name = in->dll_name;
  o->subsystem = pe_subsystem_name(in->subsystem);
  o->subsystem_number = in->subsystem;
  unsigned dc = in->dll_characteristics;
  o->dll_characteristics = dc;
  o->aslr = (dc & DL_PE_DLL_DYNAMIC_BASE) != 0;
  o->dep = (dc & DL_PE_DLL_NX_COMPAT) != 0;
  o->high_entropy_va = (dc & DL_PE_DLL_HIGH_ENTROPY_VA) != 0;
  o->guard_cf = (dc & DL_PE_DLL_GUARD_CF) != 0;
  o->image_base = in->image_base;
  if (alloc_lists(b, in->needed, in->nneeded, in->nsections, in->nexports, path,
                  err) != 0)
    return -1;
  for (size_t i = 0; i < in->nsections; i++) {
    const dl_pe_section_info *s = &in->sections[i];
    section_box *x = &b->sections[i];
    x->pub.name = s->name;
    x->pub.type = s->raw_size == 0 ? "nobits" : "progbits";
    x->pub.size = s->vsize ? s->vsize : s->raw_size;
    x->pub.raw_size = s->raw_size;
    x->pub.offset = s->raw_off;
    x->pub.addr = s->rva;
    x->pub.characteristics = s->flags;
    section_flags(x, (s->flags & DL_PE_SCN_MEM_WRITE) != 0,
                  !(s->flags & DL_PE_SCN_MEM_DISCARDABLE),
                  (s->flags & DL_PE_SCN_MEM_EXECUTE) != 0);
  }
  for (size_t i = 0; i < in->nexports; i++) {
    const dl_pe_export *s = &in->exports[i];
    dynlib_export *x = &b->exports[i];
    x->name = s->name;
    x->ordinal = s->ordinal;
    x->forward = s->forward;
    x->kind = s->forward ? KIND_FORWARD : s->code ? KIND_NAMES[DL_SYM_FUNC]
                                                  : KIND_NAMES[DL_SYM_OBJECT];
  }
  /* No rpath or runpath in PE: empty lists, never NULL. */
  if (split_path(NULL, &b->rpath_text, &b->rpath, &o->nrpath, path, err) != 0 ||
      split_path(NULL, &b->runpath_text, &b->runpath, &o->nrunpath, path, err) != 0)
    return -1;
  o->rpath = b->rpath;
  o->runpath = b->runpath;
  return 0;
}

/* Reads path as ELF or PE (by its first bytes; anything else is read as
 * ELF, whose reader says why it is not one). The file is closed before
 * the result is built. */
static int read_inspection(inspect_box *b, const char *path, dynlib_error *err) {
  dl_file f;
  if (dl_file_open(&f, path, err) != 0) return -1;
  unsigned char head[4];
  size_t n = f.size < sizeof head ? (size_t)f.size : sizeof head;
  dl_format format = dl_file_read_at(&f, 0, head, n) == 0 ? dl_format_sniff(head, n)
                                                          : DL_FORMAT_UNKNOWN;
  int rc;
  if (format == DL_FORMAT_PE) {
    dl_pe p;
    rc = dl_pe_open(&p, dl_file_read_at, &f, f.size, path, err);
    if (rc == 0) rc = dl_pe_inspect(&p, &b->pe, err);
    b->is_pe = 1;
  } else {
    dl_elf e;
    rc = dl_elf_open(&e, dl_file_read_at, &f, f.size, path, err);
    if (rc == 0) rc = dl_inspect(&e, &b->elf, err);
  }
  dl_file_close(&f);
  return rc;
}

int dynlib_inspect(const char *path, dynlib_inspection **out, dynlib_error *err) {
  if (out) *out = NULL;
  if (path == NULL || out == NULL)
    return bad_arg("dynlib_inspect: path and out must not be NULL", err);
  inspect_box *b = calloc(1, sizeof *b);
  if (b == NULL) return oom(path, err);
  if (read_inspection(b, path, err) != 0) {
    free(b); /* the readers freed their own results */
    return -1;
  }
  b->pub.struct_size = sizeof b->pub;
  int rc = b->is_pe ? fill_pe(b, path, err) : fill_elf(b, path, err);
  if (rc != 0) {
    dynlib_inspect_free(&b->pub);
    return -1;
  }
  *out = &b->pub;
  return 0;
}

void dynlib_inspect_free(dynlib_inspection *in) {
  if (in == NULL) return;
  inspect_box *b = (inspect_box *)in;
  if (b->is_pe) dl_pe_inspect_free(&b->pe);
  else dl_inspect_free(&b->elf);
  free(b->sections);
  free(b->section_ptrs);
  free(b->exports);
  free(b->export_ptrs);
  free(b->rpath_text);
  free(b->runpath_text);
  free(b->rpath);
  free(b->runpath);
  free(b->needed);
  free(b);
}

/* ---- scans --------------------------------------------------------------- */

typedef struct scan_box {
  dynlib_scan_result pub;
  dynlib_scan_item *items;
  const dynlib_scan_item **item_ptrs;
  dl_scan scan; /* owns the paths, messages and JSON texts */
} scan_box;

static const char OOM_MESSAGE[] = "out of memory";

static int scan(const char *dir, const char *const *paths, unsigned flags,
                dynlib_scan_result **out, dynlib_error *err) {
  scan_box *b = calloc(1, sizeof *b);
  if (b == NULL) return oom(dir ? dir : "dynlib_scan", err);
  dl_scan_init(&b->scan);
  unsigned threads = flags & DYNLIB_SCAN_ONE_THREAD ? 1 : 0;
  if (dl_scan_collect(&b->scan, dir, paths, (flags & DYNLIB_SCAN_RECURSIVE) != 0,
                      threads, NULL, NULL, err) != 0) {
    dynlib_scan_free(&b->pub);
    return -1;
  }
  size_t n = b->scan.n;
  b->items = calloc(n ? n : 1, sizeof *b->items);
  b->item_ptrs = calloc(n + 1, sizeof *b->item_ptrs);
  if (b->items == NULL || b->item_ptrs == NULL) {
    dynlib_scan_free(&b->pub);
    return oom(dir ? dir : "dynlib_scan", err);
  }
  for (size_t i = 0; i < n; i++) {
    const dl_scan_item *it = &b->scan.items[i];
    dynlib_scan_item *x = &b->items[i];
    x->path = it->path;
    x->code = it->code;
    if (it->code == DYNLIB_OK) {
      x->json = it->meta.json;
      x->length = it->meta.length;
      x->abi = it->meta.abi;
    } else {
      x->message = it->msg ? it->msg : OOM_MESSAGE;
    }
    b->item_ptrs[i] = x;
  }
  b->pub.struct_size = sizeof b->pub;
  b->pub.items = b->item_ptrs;
  b->pub.count = n;
  *out = &b->pub;
  return 0;
}

int dynlib_scan(const char *dir, unsigned flags, dynlib_scan_result **out,
                dynlib_error *err) {
  if (out) *out = NULL;
  if (dir == NULL || out == NULL)
    return bad_arg("dynlib_scan: dir and out must not be NULL", err);
  return scan(dir, NULL, flags, out, err);
}

int dynlib_scan_paths(const char *const *paths, unsigned flags,
                      dynlib_scan_result **out, dynlib_error *err) {
  if (out) *out = NULL;
  if (paths == NULL || out == NULL)
    return bad_arg("dynlib_scan_paths: paths and out must not be NULL", err);
  return scan(NULL, paths, flags, out, err);
}

void dynlib_scan_free(dynlib_scan_result *r) {
  if (r == NULL) return;
  scan_box *b = (scan_box *)r;
  dl_scan_free(&b->scan, NULL);
  free(b->items);
  free(b->item_ptrs);
  free(b);
}
