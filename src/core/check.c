/*
 * check.c - what is verified before a file reaches the loader (docs/design.md section 4.3):
 * a regular file (stat before open), of this system's format (format.h's
 * DL_NATIVE_FORMAT: ELF, or PE on Windows) and machine, a library rather
 * than an executable, object file, core dump or debug-info file. A file of
 * the other format is read far enough to say what it is (wrong_arch).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "formats/elf_defs.h"
#include "core/check.h"
#include "formats/elf.h"
#include "formats/elf_dynamic.h"
#include "formats/format.h"
#include "formats/pe.h"
#include "base/file.h"
#include "formats/inspect.h"
#include "base/internal.h"

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

/* The dynamic segment: a library has one, with bytes in the file, and is
 * not a PIE. A separate debug file keeps the program headers but its
 * .dynamic is NOBITS (no bytes in the file). */
static int check_dynamic(const dl_elf *e, dynlib_error *err) {
  dl_elf_dynamic d;
  if (dl_elf_dynamic_read(e, &d, err) != 0) return -1;
  dl_elf_dynamic_free(&d); /* only the flags matter here */
  if (!d.present)
    return dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY,
                     "%s: has no dynamic section, not a shared library",
                     e->name);
  if (d.phdr.filesz == 0 && d.phdr.memsz > 0)
    return dl_seterr(err, DYNLIB_E_DEBUG_FILE,
                     "%s: is a separate debug file (.dynamic is NOBITS)",
                     e->name);
  if (d.flags_1 & DF_1_PIE)
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
  return dl_elf_sections_check(e, err);
}

/* This process, for messages: "64-bit x86_64". */
static void host_text(char *buf, size_t n) {
  const char *m = DL_NATIVE_FORMAT == DL_FORMAT_PE
                      ? dl_pe_machine_name(dl_pe_host_machine())
                      : dl_machine_name((unsigned)dl_elf_host_machine());
  snprintf(buf, n, "%d-bit %s", (int)sizeof(void *) * 8, m ? m : "?");
}

int dl_check_elf_as(const dl_elf *e, dl_format native, dynlib_error *err) {
  if (native != DL_FORMAT_ELF) {
    const char *m = dl_machine_name(e->machine);
    char host[64];
    host_text(host, sizeof host);
    return dl_seterr(err, DYNLIB_E_WRONG_ARCH,
                     "%s: is an ELF file (%d-bit %s), not a DLL (this process "
                     "loads %s PE DLLs)",
                     e->name, e->is64 ? 64 : 32, m ? m : "unknown machine",
                     host);
  }
  if (!dl_elf_compatible(e)) return wrong_arch(e, err);
  if (check_type(e, err) != 0) return -1;
  if (check_dynamic(e, err) != 0) return -1;
  return check_section_table(e, err);
}

int dl_check_elf(const dl_elf *e, dynlib_error *err) {
  return dl_check_elf_as(e, DL_NATIVE_FORMAT, err);
}

int dl_check_pe_as(const dl_pe *p, dl_format native, dynlib_error *err) {
  const char *m = dl_pe_machine_name(p->machine);
  char num[24], host[64];
  if (m == NULL) {
    snprintf(num, sizeof num, "machine 0x%x", p->machine);
    m = num;
  }
  host_text(host, sizeof host);
  const char *kind = dl_pe_is_dll(p) ? "DLL" : "EXE";
  if (native != DL_FORMAT_PE)
    return dl_seterr(err, DYNLIB_E_WRONG_ARCH,
                     "%s: is a Windows PE %s for %s (%d-bit), not a shared "
                     "library of this system (this process loads %s ELF "
                     "libraries)",
                     p->name, kind, m, p->is64 ? 64 : 32, host);
  unsigned want = dl_pe_host_machine();
  unsigned have = p->machine == DL_PE_MACHINE_ARM ? DL_PE_MACHINE_ARMNT : p->machine;
  if (have != want || p->is64 != (sizeof(void *) == 8))
    return dl_seterr(err, DYNLIB_E_WRONG_ARCH,
                     "%s: file is for a different processor (PE %s for %d-bit "
                     "%s; this process is %s)",
                     p->name, kind, p->is64 ? 64 : 32, m, host);
  if (!dl_pe_is_dll(p))
    return dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY,
                     "%s: is a Windows executable (EXE), not a DLL", p->name);
  return 0;
}

int dl_check_pe(const dl_pe *p, dynlib_error *err) {
  return dl_check_pe_as(p, DL_NATIVE_FORMAT, err);
}

/* The format the first bytes announce (unknown when unreadable). */
static dl_format sniff(dl_file *f) {
  unsigned char head[4];
  size_t n = f->size < sizeof head ? (size_t)f->size : sizeof head;
  if (dl_file_read_at(f, 0, head, n) != 0) return DL_FORMAT_UNKNOWN;
  return dl_format_sniff(head, n);
}

int dl_check_library(const char *path, unsigned long long *dev,
                     unsigned long long *ino, dynlib_error *err) {
  dl_file f;
  if (dl_file_open(&f, path, err) != 0) return -1; /* missing, FIFO, ... */
  int rc = 0;
  /* Refused by name, unread: such files hold debug info, never code. */
  if (has_suffix(path, ".debug"))
    rc = dl_seterr(err, DYNLIB_E_DEBUG_FILE,
                   "%s: is a debug-info file (*.debug), not loadable", path);
  if (rc == 0 && sniff(&f) == DL_FORMAT_PE) {
    dl_pe p;
    rc = dl_pe_open(&p, dl_file_read_at, &f, f.size, path, err);
    if (rc == 0) rc = dl_check_pe(&p, err);
  } else if (rc == 0) {
    dl_elf e;
    if (DL_NATIVE_FORMAT == DL_FORMAT_ELF && foreign_ident(&f, path, err)) rc = -1;
    if (rc == 0) rc = dl_elf_open(&e, dl_file_read_at, &f, f.size, path, err);
    if (rc == 0) rc = dl_check_elf(&e, err);
  }
  if (rc == 0) {
    *dev = (unsigned long long)f.dev;
    *ino = (unsigned long long)f.ino;
  }
  dl_file_close(&f);
  if (rc != 0) dynlib_debug("%s: rejected: %s", path, err ? err->msg : "?");
  return rc;
}
