/*
 * elf_dynamic.h - the dynamic table (PT_DYNAMIC) of an ELF file: the tags a
 * loader and an inspector care about, with DT_STRTAB's address mapped to a
 * file offset through the PT_LOAD segments.
 */
#ifndef DYNLIB_ELF_DYNAMIC_H
#define DYNLIB_ELF_DYNAMIC_H

#include <stddef.h>
#include <stdint.h>

#include "formats/elf.h"

/* Entries read at most: real libraries have a few dozen. */
#define DL_ELF_MAX_DYN 65536

typedef struct dl_elf_dynamic {
  int present;          /* a PT_DYNAMIC program header exists */
  dl_elf_phdr phdr;     /* that header (filesz 0 in a separate debug file) */
  uint64_t flags, flags_1;
  int has_strtab, has_soname, has_rpath, has_runpath;
  uint64_t strtab_addr, strsz;
  uint64_t soname, rpath, runpath; /* offsets into the string table */
  /* Where the symbols are without a section table (addresses). */
  int has_symtab, has_hash, has_gnu_hash, has_versym, has_verdef;
  uint64_t symtab, syment, hash, gnu_hash, versym, verdef, verdefnum;
  uint64_t *needed;     /* DT_NEEDED offsets, in order */
  size_t nneeded;
} dl_elf_dynamic;

/* Reads the dynamic table's entries up to DT_NULL. A file without
 * PT_DYNAMIC, or whose PT_DYNAMIC has no bytes in the file, gives
 * present = 0 or phdr.filesz = 0 and no entries. Errors: the segment past
 * the end of the file; io. Free with dl_elf_dynamic_free. */
int dl_elf_dynamic_read(const dl_elf *e, dl_elf_dynamic *d, dynlib_error *err);

/* The string at idx of the dynamic string table (DT_STRTAB mapped through
 * PT_LOAD, bounded by DT_STRSZ and its segment), malloc'd. Errors:
 * "DT_STRTAB is outside every PT_LOAD segment", offsets past the table. */
int dl_elf_dynamic_string(const dl_elf *e, const dl_elf_dynamic *d,
                          uint64_t idx, char **out, dynlib_error *err);

void dl_elf_dynamic_free(dl_elf_dynamic *d);

#endif
