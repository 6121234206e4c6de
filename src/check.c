/*
 * check.c - what is verified before a file reaches dlopen (DESIGN 4.3):
 * a regular file (stat before open), ELF for this machine, a shared object
 * rather than an executable, object file, core dump or debug-info file.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "elf.h"
#include "file.h"
#include "inspect.h"
#include "internal.h"

#define MAX_DYN_ENTRIES 4096

/* "file is for a different processor (32-bit little-endian i386; this
 * process is 64-bit little-endian x86_64)" */
static int arch_error(const char *path, int is64, int big, unsigned machine,
                      dynlib_error *err) {
  const char *m = dl_machine_name(machine);
  char num[24];
  if (m == NULL) {
    snprintf(num, sizeof num, "machine %u", machine);
    m = num;
  }
  const char *host = dl_machine_name((unsigned)dl_elf_host_machine());
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  const char *host_order = "big";
#else
  const char *host_order = "little";
#endif
  return dl_seterr(err, DYNLIB_E_WRONG_ARCH,
                   "%s: file is for a different processor (%d-bit %s-endian "
                   "%s; this process is %d-bit %s-endian %s)",
                   path, is64 ? 64 : 32, big ? "big" : "little", m,
                   (int)sizeof(void *) * 8, host_order, host ? host : "?");
}

static int wrong_arch(const dl_elf *e, dynlib_error *err) {
  return arch_error(e->name, e->is64, e->big_endian, e->machine, err);
}

static int check_type(const dl_elf *e, dynlib_error *err) {
  switch (e->type) {
    case ET_DYN: return 0;
    case ET_EXEC:
      return dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY,
                       "%s: is an executable, not a shared library", e->name);
    case ET_REL:
      return dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY,
                       "%s: is a relocatable object file, not a shared library",
                       e->name);
    case ET_CORE:
      return dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY,
                       "%s: is a core dump, not a shared library", e->name);
    default:
      return dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY,
                       "%s: unknown ELF file type %u", e->name, e->type);
  }
}

/* Scans the dynamic segment for DT_FLAGS_1's DF_1_PIE. 1 PIE, 0 not, -1
 * error. Only the segment's own bytes are read, in bounded steps. */
static int is_pie(const dl_elf *e, const dl_elf_phdr *dyn, dynlib_error *err) {
  size_t entsize = e->is64 ? 16 : 8;
  uint64_t n = dyn->filesz / entsize;
  if (n > MAX_DYN_ENTRIES) n = MAX_DYN_ENTRIES;
  unsigned char buf[64 * 16];
  for (uint64_t i = 0; i < n;) {
    uint64_t chunk = n - i < 64 ? n - i : 64;
    if (dl_elf_read(e, dyn->offset + i * entsize, buf, (size_t)(chunk * entsize),
                    "dynamic section", err) != 0)
      return -1;
    for (uint64_t j = 0; j < chunk; j++) {
      const unsigned char *p = buf + j * entsize;
      uint64_t tag = e->is64 ? dl_elf_u64(e, p) : dl_elf_u32(e, p);
      uint64_t val = e->is64 ? dl_elf_u64(e, p + 8) : dl_elf_u32(e, p + 4);
      if (tag == DT_NULL) return 0;
      if (tag == DT_FLAGS_1 && (val & DF_1_PIE)) return 1;
    }
    i += chunk;
  }
  return 0;
}

/* The dynamic segment: a library has one, with bytes in the file. A separate
 * debug file keeps the program headers but its .dynamic is NOBITS. */
static int check_dynamic(const dl_elf *e, dynlib_error *err) {
  dl_elf_phdr ph, dyn;
  int found = 0;
  for (unsigned i = 0; i < e->phnum; i++) {
    if (dl_elf_phdr_get(e, i, &ph, err) != 0) return -1;
    if (ph.type == PT_DYNAMIC) {
      dyn = ph;
      found = 1;
      break;
    }
  }
  if (!found)
    return dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY,
                     "%s: has no dynamic section, not a shared library",
                     e->name);
  if (dyn.filesz == 0 && dyn.memsz > 0)
    return dl_seterr(err, DYNLIB_E_DEBUG_FILE,
                     "%s: is a separate debug file (.dynamic is NOBITS)",
                     e->name);
  if (!dl_elf_in_file(e, dyn.offset, dyn.filesz))
    return dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY,
                     "%s: dynamic section extends past the end of the file",
                     e->name);
  int pie = is_pie(e, &dyn, err);
  if (pie < 0) return -1;
  if (pie)
    return dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY,
                     "%s: is a position-independent executable, not a shared "
                     "library",
                     e->name);
  return 0;
}

static int has_suffix(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* A file of the other class or byte order is refused from its first 16
 * bytes: the rest cannot be read as this machine's ELF anyway. 1 if so
 * (err set), 0 otherwise (the full header check follows). */
static int foreign_ident(dl_file *f, const char *path, dynlib_error *err) {
  unsigned char id[EI_NIDENT];
  if (f->size < EI_NIDENT || dl_file_read_at(f, 0, id, EI_NIDENT) != 0 ||
      memcmp(id, ELFMAG, SELFMAG) != 0)
    return 0;
  int cls = id[EI_CLASS], data = id[EI_DATA];
  if ((cls != ELFCLASS32 && cls != ELFCLASS64) ||
      (data != ELFDATA2LSB && data != ELFDATA2MSB))
    return 0;
  int is64 = cls == ELFCLASS64, big = data == ELFDATA2MSB;
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  int host_big = 1;
#else
  int host_big = 0;
#endif
  if (is64 == (sizeof(void *) == 8) && big == host_big) return 0;
  /* e_machine sits at the same offset in both classes. */
  unsigned char m[2] = {0, 0};
  if (f->size >= 20) dl_file_read_at(f, 18, m, 2);
  unsigned machine = big ? (unsigned)(m[0] << 8 | m[1]) : (unsigned)(m[1] << 8 | m[0]);
  arch_error(path, is64, big, machine, err);
  return 1;
}

/* The section table is not needed to load, but a table past the end of the
 * file means a truncated or corrupt file: refuse it as Qt does. */
static int check_section_table(const dl_elf *e, dynlib_error *err) {
  if (e->shnum == 0) return 0;
  uint64_t entsize = e->is64 ? 64 : 40;
  if (e->shentsize < entsize || e->shnum > e->size / e->shentsize ||
      !dl_elf_in_file(e, e->shoff, (uint64_t)e->shnum * e->shentsize))
    return dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY,
                     "%s: section header table extends past the end of the "
                     "file (truncated?)",
                     e->name);
  return 0;
}

int dl_check_elf(const dl_elf *e, dynlib_error *err) {
  if (!dl_elf_compatible(e)) return wrong_arch(e, err);
  if (check_type(e, err) != 0) return -1;
  if (check_dynamic(e, err) != 0) return -1;
  return check_section_table(e, err);
}

int dl_check_library(const char *path, unsigned long long *dev,
                     unsigned long long *ino, dynlib_error *err) {
  if (has_suffix(path, ".debug"))
    return dl_seterr(err, DYNLIB_E_DEBUG_FILE,
                     "%s: is a debug-info file (*.debug), not loadable", path);
  dl_file f;
  if (dl_file_open(&f, path, err) != 0) return -1;
  dl_elf e;
  int rc = foreign_ident(&f, path, err) ? -1 : 0;
  if (rc == 0) rc = dl_elf_open(&e, dl_file_read_at, &f, f.size, path, err);
  if (rc == 0) rc = dl_check_elf(&e, err);
  if (rc == 0) {
    *dev = (unsigned long long)f.dev;
    *ino = (unsigned long long)f.ino;
  }
  dl_file_close(&f);
  if (rc != 0) dynlib_debug("%s: rejected: %s", path, err ? err->msg : "?");
  return rc;
}
