/*
 * inspect.h - what an ELF file is, read without loading it: class, order,
 * machine, type, dynamic section (soname, needed, rpath, runpath, flags),
 * sections, and exported symbols with their versions. Every read is bounded
 * and checked against the file; a defect fails the inspection with its own
 * reason.
 */
#ifndef DYNLIB_INSPECT_H
#define DYNLIB_INSPECT_H

#include <stddef.h>
#include <stdint.h>

#include "dynlib.h"
#include "formats/elf.h"
#include "formats/elf_symbols.h" /* dl_export, DL_SYM_* */

typedef struct dl_section_info {
  char *name;
  uint32_t type;
  uint64_t flags, addr, offset, size;
} dl_section_info;

typedef struct dl_inspection {
  int is64, big_endian, compatible, pie;
  uint16_t type, machine;
  uint8_t osabi;
  char *soname, *rpath, *runpath, *interp; /* NULL when absent */
  char *build_id; /* NT_GNU_BUILD_ID as lowercase hex, NULL when absent */
  char **needed;
  size_t nneeded;
  dl_section_info *sections;
  size_t nsections;
  dl_export *exports; /* = syms.list, syms.n */
  size_t nexports;
  dl_exports syms;    /* owns the exports and their names */
} dl_inspection;

/* Inspects an opened file. Returns 0, or -1 with err (not_a_library and the
 * defect: "section header table extends past the end of the file",
 * "DT_STRTAB is outside every PT_LOAD segment", ...; io). */
int dl_inspect(const dl_elf *e, dl_inspection *out, dynlib_error *err);

void dl_inspect_free(dl_inspection *in);

/* Only the dynamic part (soname, needed, rpath, runpath, pie, interp). */
int dl_inspect_dynamic(const dl_elf *e, dl_inspection *out, dynlib_error *err);

/* The header of a named section whose bytes can be read: at most max of
 * them, inside the file. Errors: not_found (no such section, or NOBITS: no
 * bytes in the file), io (larger than max). */
int dl_section_lookup(const dl_elf *e, const char *name, size_t max,
                      dl_elf_shdr *out, dynlib_error *err);

/* The bytes of a named section, malloc'd (at most max bytes). Errors as
 * dl_section_lookup, and io. */
int dl_section_bytes(const dl_elf *e, const char *name, size_t max,
                     char **bytes, size_t *len, dynlib_error *err);

/* For the fuzzer: inspect and free, ignoring the result. */
void dl_inspect_fuzz(const dl_elf *e);

/* The conventional name of an EM_* value ("x86_64"), or NULL. */
const char *dl_machine_name(unsigned machine);

#endif
