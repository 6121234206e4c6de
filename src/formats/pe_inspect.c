/*
 * pe_inspect.c - PE inspection without loading (pe_inspect.h): the header's
 * facts, the sections, the import directory and the export directory. Each
 * table's count is checked against the bytes its section holds before it
 * is read, so memory grows only with what the file really contains.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "formats/pe_inspect.h"
#include "base/internal.h"

#define BAD(...) dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY, __VA_ARGS__)
#define IMPORT_DESC 20
#define EXPORT_DIR 40

static uint16_t u16(const unsigned char *b) { return (uint16_t)(b[0] | b[1] << 8); }
static uint32_t u32(const unsigned char *b) {
  return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
         (uint32_t)b[3] << 24;
}

static int oom(const dl_pe *p, dynlib_error *err) {
  return dl_seterr(err, DYNLIB_E_IO, "%s: out of memory", p->name);
}

static const dl_pe_dir *dir(const dl_pe *p, unsigned i) {
  if (i >= p->ndirs || p->dirs[i].rva == 0 || p->dirs[i].size == 0) return NULL;
  return &p->dirs[i];
}

/* A table of count entries of entsize bytes at rva, whole inside one
 * section's bytes, read into a new buffer (count was bounded by the
 * caller). */
static int read_table(const dl_pe *p, uint32_t rva, uint64_t count,
                      size_t entsize, const char *what, unsigned char **out,
                      dynlib_error *err) {
  *out = NULL;
  if (count == 0) return 0;
  uint64_t off, avail;
  if (!dl_pe_rva_to_offset(p, rva, &off, &avail))
    return BAD("%s: %s at RVA 0x%x is outside every section", p->name, what,
               (unsigned)rva);
  if (count > avail / entsize)
    return BAD("%s: %s (%llu entries) extends past its section", p->name, what,
               (unsigned long long)count);
  *out = malloc((size_t)count * entsize);
  if (*out == NULL) return oom(p, err);
  if (dl_pe_read(p, off, *out, (size_t)count * entsize, what, err) != 0) {
    free(*out);
    *out = NULL;
    return -1;
  }
  return 0;
}

/* ---- sections ----------------------------------------------------------- */

static int read_sections(const dl_pe *p, dl_pe_inspection *in,
                         dynlib_error *err) {
  in->sections = calloc(p->nsections, sizeof *in->sections);
  if (in->sections == NULL) return oom(p, err);
  for (unsigned i = 0; i < p->nsections; i++) {
    const dl_pe_section *s = &p->sections[i];
    dl_pe_section_info *o = &in->sections[i];
    char name[256];
    dl_pe_section_name(p, i, name, sizeof name);
    o->name = strdup(name);
    if (o->name == NULL) return oom(p, err);
    in->nsections++;
    o->vsize = s->vsize;
    o->rva = s->rva;
    o->raw_size = s->raw_size;
    o->raw_off = s->raw_off;
    o->flags = s->flags;
  }
  return 0;
}

/* ---- imports ------------------------------------------------------------ */

int dl_pe_imports(const dl_pe *p, dl_pe_inspection *in, dynlib_error *err) {
  const dl_pe_dir *d = dir(p, DL_PE_DIR_IMPORT);
  if (d == NULL) return 0;
  uint64_t off, avail;
  if (!dl_pe_rva_to_offset(p, d->rva, &off, &avail))
    return BAD("%s: the import directory at RVA 0x%x is outside every section",
               p->name, (unsigned)d->rva);
  /* Descriptors up to the all-zero one; their number is bounded by the
   * section's bytes, and the list grows by doubling. */
  uint64_t max = avail / IMPORT_DESC;
  if (max > DL_PE_MAX_IMPORTS) max = DL_PE_MAX_IMPORTS;
  size_t cap = 0;
  for (uint64_t k = 0;; k++) {
    if (k == max)
      return BAD("%s: the import directory is not terminated within its "
                 "section",
                 p->name);
    unsigned char b[IMPORT_DESC];
    if (dl_pe_read(p, off + k * IMPORT_DESC, b, sizeof b, "import directory",
                   err) != 0)
      return -1;
    uint32_t name = u32(b + 12), thunk = u32(b + 16);
    if (name == 0 && thunk == 0) return 0; /* the terminator */
    if (name == 0)
      return BAD("%s: import descriptor %llu has no DLL name", p->name,
                 (unsigned long long)k);
    if (in->nneeded == cap) {
      size_t ncap = cap ? cap * 2 : 8;
      char **nn = realloc(in->needed, ncap * sizeof *nn);
      if (nn == NULL) return oom(p, err);
      in->needed = nn;
      cap = ncap;
    }
    if (dl_pe_strdup_rva(p, name, DL_PE_MAX_NAME, &in->needed[in->nneeded],
                         "imported DLL name", err) != 0)
      return -1;
    in->nneeded++;
  }
}

/* ---- exports ------------------------------------------------------------ */

static int rva_is_code(const dl_pe *p, uint32_t rva) {
  for (unsigned i = 0; i < p->nsections; i++) {
    const dl_pe_section *s = &p->sections[i];
    uint32_t span = s->vsize ? s->vsize : s->raw_size;
    if (rva >= s->rva && rva - s->rva < span)
      return (s->flags & (DL_PE_SCN_MEM_EXECUTE | DL_PE_SCN_CNT_CODE)) != 0;
  }
  return 0;
}

/* Fills x for the function at index i of the address table. */
static int export_target(const dl_pe *p, const dl_pe_dir *d,
                         const unsigned char *funcs, uint32_t i,
                         uint32_t base, dl_pe_export *x, dynlib_error *err) {
  x->rva = u32(funcs + 4 * (size_t)i);
  x->ordinal = base + i;
  /* An RVA inside the export directory is a forwarder's "DLL.name". */
  if (x->rva >= d->rva && x->rva - d->rva < d->size)
    return dl_pe_strdup_rva(p, x->rva, DL_PE_MAX_NAME, &x->forward,
                            "export forwarder", err);
  x->code = rva_is_code(p, x->rva);
  return 0;
}

static int read_exports(const dl_pe *p, dl_pe_inspection *in,
                        dynlib_error *err) {
  const dl_pe_dir *d = dir(p, DL_PE_DIR_EXPORT);
  if (d == NULL) return 0;
  unsigned char h[EXPORT_DIR];
  if (dl_pe_read_rva(p, d->rva, h, sizeof h, "export directory", err) != 0)
    return -1;
  uint32_t name = u32(h + 12), base = u32(h + 16);
  uint32_t nfuncs = u32(h + 20), nnames = u32(h + 24);
  uint32_t funcs_rva = u32(h + 28), names_rva = u32(h + 32);
  uint32_t ords_rva = u32(h + 36);
  if (nfuncs > DL_PE_MAX_EXPORTS)
    return BAD("%s: the export address table (%u entries) is absurd", p->name,
               (unsigned)nfuncs);
  if (nnames > nfuncs)
    return BAD("%s: more exported names (%u) than exported functions (%u)",
               p->name, (unsigned)nnames, (unsigned)nfuncs);
  if (name != 0 &&
      dl_pe_strdup_rva(p, name, DL_PE_MAX_NAME, &in->dll_name,
                       "export directory name", err) != 0)
    return -1;
  unsigned char *funcs = NULL, *names = NULL, *ords = NULL, *named = NULL;
  int rc = read_table(p, funcs_rva, nfuncs, 4, "export address table", &funcs,
                      err);
  if (rc == 0)
    rc = read_table(p, names_rva, nnames, 4, "export name table", &names, err);
  if (rc == 0)
    rc = read_table(p, ords_rva, nnames, 2, "export ordinal table", &ords, err);
  if (rc == 0 && nfuncs) {
    named = calloc(nfuncs, 1);
    in->exports = calloc((size_t)nfuncs + nnames, sizeof *in->exports);
    if (named == NULL || in->exports == NULL) rc = oom(p, err);
  }
  for (uint32_t j = 0; rc == 0 && j < nnames; j++) {
    uint16_t i = u16(ords + 2 * (size_t)j);
    if (i >= nfuncs) {
      rc = BAD("%s: exported name %u refers to function %u of %u", p->name,
               (unsigned)j, (unsigned)i, (unsigned)nfuncs);
      break;
    }
    dl_pe_export *x = &in->exports[in->nexports++];
    named[i] = 1;
    rc = dl_pe_strdup_rva(p, u32(names + 4 * (size_t)j), DL_PE_MAX_NAME,
                          &x->name, "exported name", err);
    if (rc == 0) rc = export_target(p, d, funcs, i, base, x, err);
  }
  /* Functions exported by ordinal only (an RVA of 0 is an unused slot). */
  for (uint32_t i = 0; rc == 0 && i < nfuncs; i++) {
    if (named[i] || u32(funcs + 4 * (size_t)i) == 0) continue;
    rc = export_target(p, d, funcs, i, base, &in->exports[in->nexports++], err);
  }
  free(funcs);
  free(names);
  free(ords);
  free(named);
  return rc;
}

/* ---- entry points ------------------------------------------------------- */

int dl_pe_inspect(const dl_pe *p, dl_pe_inspection *in, dynlib_error *err) {
  memset(in, 0, sizeof *in);
  in->is64 = p->is64;
  in->dll = dl_pe_is_dll(p);
  in->compatible = dl_pe_compatible(p);
  in->machine = p->machine;
  in->characteristics = p->characteristics;
  in->subsystem = p->subsystem;
  in->dll_characteristics = p->dll_characteristics;
  in->image_base = p->image_base;
  if (read_sections(p, in, err) != 0 || dl_pe_imports(p, in, err) != 0 ||
      read_exports(p, in, err) != 0) {
    dl_pe_inspect_free(in);
    return -1;
  }
  return 0;
}

void dl_pe_inspect_free(dl_pe_inspection *in) {
  free(in->dll_name);
  for (size_t i = 0; i < in->nneeded; i++) free(in->needed[i]);
  free(in->needed);
  for (size_t i = 0; i < in->nexports; i++) {
    free(in->exports[i].name);
    free(in->exports[i].forward);
  }
  free(in->exports);
  for (size_t i = 0; i < in->nsections; i++) free(in->sections[i].name);
  free(in->sections);
  memset(in, 0, sizeof *in);
}

void dl_pe_inspect_fuzz(const dl_pe *p) {
  dl_pe_inspection in;
  dynlib_error err;
  if (dl_pe_inspect(p, &in, &err) == 0) dl_pe_inspect_free(&in);
}
