/*
 * elf_dynamic.c - the dynamic table through PT_DYNAMIC (see elf_dynamic.h).
 *
 * The segment is read in bounded batches; DT_NEEDED offsets are kept in an
 * array that grows with the entries actually read, never sized by a count
 * taken from the file.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "formats/elf_defs.h"
#include "formats/elf_dynamic.h"
#include "base/internal.h"

#define BATCH 64

static int add_needed(const dl_elf *e, dl_elf_dynamic *d, uint64_t val,
                      size_t *cap, dynlib_error *err) {
  if (d->nneeded == *cap) {
    size_t ncap = *cap ? *cap * 2 : 8;
    uint64_t *n = realloc(d->needed, ncap * sizeof *n);
    if (n == NULL)
      return dl_seterr(err, DYNLIB_E_IO, "%s: out of memory", e->name);
    d->needed = n;
    *cap = ncap;
  }
  d->needed[d->nneeded++] = val;
  return 0;
}

/* One entry; 1 at DT_NULL (the end), 0 to go on, -1 on error. */
static int take(const dl_elf *e, dl_elf_dynamic *d, uint64_t tag, uint64_t val,
                size_t *cap, dynlib_error *err) {
  switch (tag) {
    case DT_NULL: return 1;
    case DT_STRTAB: d->strtab_addr = val; d->has_strtab = 1; break;
    case DT_STRSZ: d->strsz = val; break;
    case DT_SONAME: d->soname = val; d->has_soname = 1; break;
    case DT_RPATH: d->rpath = val; d->has_rpath = 1; break;
    case DT_RUNPATH: d->runpath = val; d->has_runpath = 1; break;
    case DT_FLAGS: d->flags = val; break;
    case DT_FLAGS_1: d->flags_1 = val; break;
    case DT_NEEDED: return add_needed(e, d, val, cap, err);
    case DT_SYMTAB: d->symtab = val; d->has_symtab = 1; break;
    case DT_SYMENT: d->syment = val; break;
    case DT_HASH: d->hash = val; d->has_hash = 1; break;
    case DT_GNU_HASH: d->gnu_hash = val; d->has_gnu_hash = 1; break;
    case DT_VERSYM: d->versym = val; d->has_versym = 1; break;
    case DT_VERDEF: d->verdef = val; d->has_verdef = 1; break;
    case DT_VERDEFNUM: d->verdefnum = val; break;
    default: break;
  }
  return 0;
}

int dl_elf_dynamic_read(const dl_elf *e, dl_elf_dynamic *d, dynlib_error *err) {
  memset(d, 0, sizeof *d);
  int r = dl_elf_phdr_find(e, PT_DYNAMIC, &d->phdr, err);
  if (r <= 0) return r;
  d->present = 1;
  const dl_elf_phdr *ph = &d->phdr;
  if (ph->filesz == 0) return 0; /* NOBITS: a separate debug file */
  if (!dl_elf_in_file(e, ph->offset, ph->filesz))
    return dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY,
                     "%s: dynamic section extends past the end of the file",
                     e->name);
  size_t entsize = e->is64 ? 16 : 8;
  uint64_t n = ph->filesz / entsize;
  if (n > DL_ELF_MAX_DYN) n = DL_ELF_MAX_DYN;
  unsigned char buf[BATCH * 16];
  size_t cap = 0;
  for (uint64_t i = 0; i < n; i += BATCH) {
    uint64_t chunk = n - i < BATCH ? n - i : BATCH;
    if (dl_elf_read(e, ph->offset + i * entsize, buf, (size_t)(chunk * entsize),
                    "dynamic section", err) != 0)
      goto fail;
    for (uint64_t j = 0; j < chunk; j++) {
      const unsigned char *p = buf + j * entsize;
      uint64_t tag = e->is64 ? dl_elf_u64(e, p) : dl_elf_u32(e, p);
      uint64_t val = e->is64 ? dl_elf_u64(e, p + 8) : dl_elf_u32(e, p + 4);
      r = take(e, d, tag, val, &cap, err);
      if (r < 0) goto fail;
      if (r > 0) return 0;
    }
  }
  return 0;
fail:
  dl_elf_dynamic_free(d);
  return -1;
}

int dl_elf_dynamic_string(const dl_elf *e, const dl_elf_dynamic *d,
                          uint64_t idx, char **out, dynlib_error *err) {
  *out = NULL;
  uint64_t off = 0, avail = 0;
  int mapped = d->has_strtab
                   ? dl_elf_vaddr_to_offset(e, d->strtab_addr, &off, &avail, err)
                   : 0;
  if (mapped < 0) return -1;
  if (mapped == 0)
    return dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY,
                     "%s: DT_STRTAB is outside every PT_LOAD segment", e->name);
  /* Without DT_STRSZ the table runs to the end of its segment. */
  uint64_t size = d->strsz ? d->strsz : avail;
  if (!dl_elf_in_file(e, off, size))
    return dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY,
                     "%s: dynamic string table extends past the end of the "
                     "file",
                     e->name);
  return dl_elf_strdup(e, off, size, idx, out, err);
}

void dl_elf_dynamic_free(dl_elf_dynamic *d) {
  free(d->needed);
  d->needed = NULL;
  d->nneeded = 0;
}
