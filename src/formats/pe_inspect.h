/*
 * pe_inspect.h - what a PE file (Windows DLL or EXE) is, read without
 * loading it: machine, class, DLL or executable, subsystem, the DLL
 * characteristics that matter (ASLR, DEP, high-entropy VA), the imported
 * DLLs in order, the exports (names, ordinals, forwarders) and the
 * sections. Every table is mapped through the section table and checked
 * before anything is read or allocated.
 */
#ifndef DYNLIB_PE_INSPECT_H
#define DYNLIB_PE_INSPECT_H

#include <stddef.h>
#include <stdint.h>

#include "dynlib.h"
#include "formats/pe.h"

/* Longest DLL or symbol name read (the loader's names are far shorter). */
#define DL_PE_MAX_NAME 4096
/* Export ordinals are 16 bits: a larger address table is absurd. */
#define DL_PE_MAX_EXPORTS 65536
/* Imported DLLs read at most. */
#define DL_PE_MAX_IMPORTS 65536

typedef struct dl_pe_export {
  char *name;      /* NULL: exported by ordinal only */
  char *forward;   /* "OTHER.name" or "OTHER.#12" for a forwarder, else NULL */
  uint32_t ordinal, rva;
  int code;        /* the RVA lies in an executable section */
} dl_pe_export;

typedef struct dl_pe_section_info {
  char *name;      /* long names resolved through the string table */
  uint32_t vsize, rva, raw_size, raw_off, flags;
} dl_pe_section_info;

typedef struct dl_pe_inspection {
  int is64, dll, compatible;
  uint16_t machine, characteristics, subsystem, dll_characteristics;
  uint64_t image_base;
  char *dll_name;  /* the export directory's own name, NULL without one */
  char **needed;   /* the import directory's DLL names, in order */
  size_t nneeded;
  dl_pe_export *exports; /* by name (the name table's order), then ordinals */
  size_t nexports;
  dl_pe_section_info *sections;
  size_t nsections;
} dl_pe_inspection;

/* Inspects an opened file: 0, or -1 with err (not_a_library and the defect:
 * "export address table (70000 entries) is absurd", "import directory is
 * not terminated within its section", ...; io). */
int dl_pe_inspect(const dl_pe *p, dl_pe_inspection *out, dynlib_error *err);

void dl_pe_inspect_free(dl_pe_inspection *in);

/* Only the imported DLL names (in->needed, in->nneeded). */
int dl_pe_imports(const dl_pe *p, dl_pe_inspection *in, dynlib_error *err);

/* For the fuzzer: inspect and free, ignoring the result. */
void dl_pe_inspect_fuzz(const dl_pe *p);

#endif
