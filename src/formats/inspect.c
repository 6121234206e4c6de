/*
 * inspect.c - ELF inspection without loading (see inspect.h): the header's
 * facts, the section list, the dynamic table (elf_dynamic.c), the build ID
 * note (elf_notes.c) and the exports (elf_symbols.c), each read with
 * bounded, checked reads.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "formats/elf_defs.h"
#include "formats/elf_dynamic.h"
#include "formats/elf_notes.h"
#include "formats/inspect.h"
#include "base/internal.h"

const char *dl_machine_name(unsigned m) {
  switch (m) {
    case EM_386: return "i386";
    case EM_X86_64: return "x86_64";
    case EM_AARCH64: return "aarch64";
    case EM_ARM: return "arm";
    case EM_RISCV: return "riscv";
    case EM_PPC: return "ppc";
    case EM_PPC64: return "ppc64";
    case EM_S390: return "s390";
    case EM_MIPS: return "mips";
    case EM_SPARC: return "sparc";
    case EM_SPARCV9: return "sparcv9";
    case EM_IA_64: return "ia64";
    case 258: return "loongarch"; /* EM_LOONGARCH: newer than some elf.h */
    default: return NULL;
  }
}

static int oom(const dl_elf *e, dynlib_error *err) {
  return dl_seterr(err, DYNLIB_E_IO, "%s: out of memory", e->name);
}

/* ---- sections ---------------------------------------------------------- */

static int read_section(const dl_elf *e, unsigned i, const dl_elf_shdr *names,
                        dl_section_info *s, dynlib_error *err) {
  dl_elf_shdr sh;
  if (dl_elf_shdr_get(e, i, &sh, err) != 0) return -1;
  s->type = sh.type;
  s->flags = sh.flags;
  s->addr = sh.addr;
  s->offset = sh.offset;
  s->size = sh.size;
  if (i == 0 || names->size == 0) { /* the null section has no name */
    s->name = strdup("");
    return s->name ? 0 : oom(e, err);
  }
  if (sh.name >= names->size)
    return dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY,
                     "%s: the name of section %u is past the end of its table",
                     e->name, i);
  return dl_elf_strdup(e, names->offset, names->size, sh.name, &s->name, err);
}

static int read_sections(const dl_elf *e, dl_inspection *in, dynlib_error *err) {
  if (dl_elf_sections_check(e, err) != 0) return -1;
  if (e->shnum == 0) return 0; /* stripped: nothing to list */
  dl_elf_shdr names;
  if (dl_elf_shdr_get(e, e->shstrndx, &names, err) != 0) return -1;
  if (names.type == SHT_NOBITS)
    return dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY,
                     "%s: section name table has no bytes", e->name);
  /* shnum was checked against the file: the list is bounded by its size. */
  in->sections = calloc(e->shnum, sizeof *in->sections);
  if (in->sections == NULL) return oom(e, err);
  for (unsigned i = 0; i < e->shnum; i++) {
    if (read_section(e, i, &names, &in->sections[i], err) != 0) return -1;
    in->nsections++;
  }
  return 0;
}

/* ---- the dynamic table ------------------------------------------------- */

/* PT_INTERP: the program interpreter an executable (or libc) names. */
static int read_interp(const dl_elf *e, dl_inspection *in, dynlib_error *err) {
  dl_elf_phdr ph;
  int r = dl_elf_phdr_find(e, PT_INTERP, &ph, err);
  if (r <= 0 || ph.filesz == 0 || !dl_elf_in_file(e, ph.offset, ph.filesz))
    return r < 0 ? -1 : 0;
  return dl_elf_strdup(e, ph.offset, ph.filesz, 0, &in->interp, err);
}

static int read_dynamic(const dl_elf *e, dl_inspection *in, dynlib_error *err) {
  if (read_interp(e, in, err) != 0) return -1;
  dl_elf_dynamic d;
  if (dl_elf_dynamic_read(e, &d, err) != 0) return -1;
  in->pie = (d.flags_1 & DF_1_PIE) != 0;
  int rc = 0;
  if (d.has_soname) rc = dl_elf_dynamic_string(e, &d, d.soname, &in->soname, err);
  if (rc == 0 && d.has_rpath)
    rc = dl_elf_dynamic_string(e, &d, d.rpath, &in->rpath, err);
  if (rc == 0 && d.has_runpath)
    rc = dl_elf_dynamic_string(e, &d, d.runpath, &in->runpath, err);
  if (rc == 0 && d.nneeded) {
    in->needed = calloc(d.nneeded, sizeof *in->needed);
    if (in->needed == NULL) rc = oom(e, err);
    for (size_t i = 0; rc == 0 && i < d.nneeded; i++, in->nneeded++)
      rc = dl_elf_dynamic_string(e, &d, d.needed[i], &in->needed[i], err);
  }
  dl_elf_dynamic_free(&d);
  return rc;
}

/* ---- notes ------------------------------------------------------------- */

#define MAX_BUILD_ID 64 /* bytes; real ones are 8 (lld), 16 (md5), 20 (sha1) */

static int read_build_id(const dl_elf *e, dl_inspection *in, dynlib_error *err) {
  uint64_t off, size;
  int r = dl_elf_note_find(e, "GNU", NT_GNU_BUILD_ID, &off, &size, err);
  if (r <= 0 || size == 0 || size > MAX_BUILD_ID) return r < 0 ? -1 : 0;
  unsigned char id[MAX_BUILD_ID];
  if (dl_elf_read(e, off, id, (size_t)size, "build ID note", err) != 0) return -1;
  in->build_id = malloc((size_t)size * 2 + 1);
  if (in->build_id == NULL) return oom(e, err);
  static const char hex[] = "0123456789abcdef";
  for (size_t i = 0; i < size; i++) {
    in->build_id[2 * i] = hex[id[i] >> 4];
    in->build_id[2 * i + 1] = hex[id[i] & 15];
  }
  in->build_id[2 * size] = '\0';
  return 0;
}

/* ---- entry points ------------------------------------------------------ */

int dl_inspect(const dl_elf *e, dl_inspection *in, dynlib_error *err) {
  memset(in, 0, sizeof *in);
  in->is64 = e->is64;
  in->big_endian = e->big_endian;
  in->type = e->type;
  in->machine = e->machine;
  in->osabi = e->osabi;
  in->compatible = dl_elf_compatible(e);
  if (read_sections(e, in, err) != 0 || read_dynamic(e, in, err) != 0 ||
      read_build_id(e, in, err) != 0 || dl_elf_exports(e, &in->syms, err) != 0) {
    dl_inspect_free(in);
    return -1;
  }
  in->exports = in->syms.list;
  in->nexports = in->syms.n;
  return 0;
}

int dl_inspect_dynamic(const dl_elf *e, dl_inspection *in, dynlib_error *err) {
  memset(in, 0, sizeof *in);
  if (read_dynamic(e, in, err) != 0) {
    dl_inspect_free(in);
    return -1;
  }
  return 0;
}

void dl_inspect_free(dl_inspection *in) {
  free(in->soname);
  free(in->rpath);
  free(in->runpath);
  free(in->interp);
  free(in->build_id);
  for (size_t i = 0; i < in->nneeded; i++) free(in->needed[i]);
  free(in->needed);
  for (size_t i = 0; i < in->nsections; i++) free(in->sections[i].name);
  free(in->sections);
  dl_exports_free(&in->syms);
  memset(in, 0, sizeof *in);
}

int dl_section_lookup(const dl_elf *e, const char *name, size_t max,
                      dl_elf_shdr *sh, dynlib_error *err) {
  int r = dl_elf_section_by_name(e, name, sh, err);
  if (r < 0) return -1;
  if (r == 0)
    return dl_seterr(err, DYNLIB_E_NOT_FOUND, "%s: no section named %s",
                     e->name, name);
  if (sh->type == SHT_NOBITS)
    return dl_seterr(err, DYNLIB_E_NOT_FOUND,
                     "%s: section %s has no bytes in the file (NOBITS)", e->name,
                     name);
  if (sh->size > max)
    return dl_seterr(err, DYNLIB_E_IO, "%s: section %s is larger than %zu bytes",
                     e->name, name, max);
  return 0; /* dl_elf_shdr_get checked it against the file */
}

int dl_section_bytes(const dl_elf *e, const char *name, size_t max,
                     char **bytes, size_t *len, dynlib_error *err) {
  dl_elf_shdr sh;
  if (dl_section_lookup(e, name, max, &sh, err) != 0) return -1;
  *bytes = malloc(sh.size ? (size_t)sh.size : 1);
  if (*bytes == NULL) return oom(e, err);
  if (dl_elf_read(e, sh.offset, *bytes, (size_t)sh.size, "section", err) != 0) {
    free(*bytes);
    return -1;
  }
  *len = (size_t)sh.size;
  return 0;
}

void dl_inspect_fuzz(const dl_elf *e) {
  dl_inspection in;
  dynlib_error err;
  if (dl_inspect(e, &in, &err) == 0) dl_inspect_free(&in);
  char *b;
  size_t n;
  if (dl_section_bytes(e, ".note.gnu.build-id", 4096, &b, &n, &err) == 0) free(b);
}
