/*
 * pe.h - a bounds-checked PE/COFF reader (Windows DLLs and EXEs) over the
 * same read-at callback as the ELF reader, on its own definitions from the
 * PE/COFF specification (never windows.h or winnt.h): any host reads it.
 *
 * dl_pe_open reads and checks the DOS header, e_lfanew, the signature, the
 * COFF header, the PE32 or PE32+ optional header, the data directories and
 * the section table; every section's bytes must lie in the file and every
 * data directory (an RVA) must fall in a section or in the headers. Every
 * later RVA is mapped through the section table and checked again. A
 * hostile file gets not_a_library with the defect, never an out-of-bounds
 * read or a large allocation (the reader allocates nothing).
 */
#ifndef DYNLIB_PE_H
#define DYNLIB_PE_H

#include <stddef.h>
#include <stdint.h>

#include "dynlib.h"
#include "formats/elf.h" /* dl_read_at_fn, dl_mem */

/* COFF machine types (IMAGE_FILE_MACHINE_*). */
#define DL_PE_MACHINE_I386 0x014cu
#define DL_PE_MACHINE_ARM 0x01c0u
#define DL_PE_MACHINE_ARMNT 0x01c4u
#define DL_PE_MACHINE_IA64 0x0200u
#define DL_PE_MACHINE_AMD64 0x8664u
#define DL_PE_MACHINE_ARM64 0xaa64u
#define DL_PE_MACHINE_ARM64EC 0xa641u
#define DL_PE_MACHINE_RISCV64 0x5064u
#define DL_PE_MACHINE_LOONGARCH64 0x6264u

/* COFF characteristics. */
#define DL_PE_FILE_EXECUTABLE 0x0002u
#define DL_PE_FILE_DLL 0x2000u

/* Optional header magic. */
#define DL_PE_MAGIC_PE32 0x10bu
#define DL_PE_MAGIC_PE32PLUS 0x20bu

/* DllCharacteristics. */
#define DL_PE_DLL_HIGH_ENTROPY_VA 0x0020u
#define DL_PE_DLL_DYNAMIC_BASE 0x0040u
#define DL_PE_DLL_FORCE_INTEGRITY 0x0080u
#define DL_PE_DLL_NX_COMPAT 0x0100u
#define DL_PE_DLL_NO_SEH 0x0400u
#define DL_PE_DLL_GUARD_CF 0x4000u

/* Data directories. */
enum {
  DL_PE_DIR_EXPORT = 0,
  DL_PE_DIR_IMPORT = 1,
  DL_PE_DIR_RESOURCE = 2,
  DL_PE_DIR_SECURITY = 4, /* a file offset, not an RVA */
  DL_PE_DIR_DELAY_IMPORT = 13,
  DL_PE_NDIRS = 16
};

/* Section characteristics. */
#define DL_PE_SCN_CNT_CODE 0x00000020u
#define DL_PE_SCN_CNT_UNINITIALIZED 0x00000080u
#define DL_PE_SCN_MEM_DISCARDABLE 0x02000000u
#define DL_PE_SCN_MEM_EXECUTE 0x20000000u
#define DL_PE_SCN_MEM_READ 0x40000000u
#define DL_PE_SCN_MEM_WRITE 0x80000000u

/* The Windows loader refuses more sections than this: more is absurd. */
#define DL_PE_MAX_SECTIONS 96
/* e_lfanew beyond this is absurd (real ones are below 1 KiB). */
#define DL_PE_MAX_LFANEW (1u << 20)

typedef struct dl_pe_section {
  char name[9];     /* the raw 8 bytes, NUL-terminated ("/4" for a long one) */
  uint32_t vsize, rva, raw_size, raw_off, flags;
} dl_pe_section;

typedef struct dl_pe_dir {
  uint32_t rva, size;
} dl_pe_dir;

typedef struct dl_pe {
  dl_read_at_fn read;
  void *ctx;
  uint64_t size;        /* file size */
  const char *name;     /* for messages */
  uint32_t lfanew;
  uint16_t machine, nsections, characteristics, opt_size;
  uint32_t symtab_off, nsymbols; /* COFF symbol table (long section names) */
  int is64;             /* PE32+ */
  uint16_t subsystem, dll_characteristics;
  uint64_t image_base;
  uint32_t entry, size_of_headers, size_of_image;
  uint32_t ndirs;       /* NumberOfRvaAndSizes, at most DL_PE_NDIRS used */
  dl_pe_dir dirs[DL_PE_NDIRS];
  dl_pe_section sections[DL_PE_MAX_SECTIONS];
} dl_pe;

/* Does the file start like a PE image ("MZ")? For format detection only:
 * dl_pe_open decides. */
int dl_pe_sniff(const unsigned char *head, size_t len);

/* Reads and checks the headers and the section table. Errors:
 * not_a_library with the defect ("not a PE file (bad MZ magic)",
 * "e_lfanew 0x... points past the end of the file", "the optional header
 * extends past the end of the file", "data directory 1 (import) at RVA
 * 0x... is outside every section", ...), io. */
int dl_pe_open(dl_pe *p, dl_read_at_fn read, void *ctx, uint64_t size,
               const char *name, dynlib_error *err);

/* Maps an RVA to a file offset through the section table (or the headers):
 * 1 mapped (*avail gets the file bytes of that section from there on), 0
 * outside every section's bytes. */
int dl_pe_rva_to_offset(const dl_pe *p, uint32_t rva, uint64_t *off,
                        uint64_t *avail);

/* Reads len bytes at an RVA, all inside one section's file bytes; `what`
 * names the structure in the error. */
int dl_pe_read_rva(const dl_pe *p, uint32_t rva, void *buf, size_t len,
                   const char *what, dynlib_error *err);

/* Reads len bytes at a file offset, checked against the file. */
int dl_pe_read(const dl_pe *p, uint64_t off, void *buf, size_t len,
               const char *what, dynlib_error *err);

/* A malloc'd copy of the NUL-terminated string at an RVA, never read past
 * its section nor longer than max bytes. */
int dl_pe_strdup_rva(const dl_pe *p, uint32_t rva, size_t max, char **out,
                     const char *what, dynlib_error *err);

/* The section's name, with a long name ("/N") resolved through the COFF
 * string table when it is present and sane; else the raw "/N". */
void dl_pe_section_name(const dl_pe *p, unsigned i, char *buf, size_t bufsize);

/* The first section of this name (long names resolved): its index, or -1. */
int dl_pe_section_by_name(const dl_pe *p, const char *name);

/* The file bytes of section i: [*off, *off + *len) (raw size cut to the
 * virtual size when that is smaller: the rest is padding). */
void dl_pe_section_bytes(const dl_pe *p, unsigned i, uint64_t *off,
                         uint64_t *len);

/* A DLL (IMAGE_FILE_DLL) rather than an executable. */
int dl_pe_is_dll(const dl_pe *p);

/* Could this process load it: a PE build for this machine and class. */
int dl_pe_compatible(const dl_pe *p);

/* The COFF machine of the running process (0 when it has none). */
unsigned dl_pe_host_machine(void);

/* The conventional name of a COFF machine ("x86_64", "i386", "aarch64",
 * "arm", ...), or NULL. */
const char *dl_pe_machine_name(unsigned machine);

/* The name of a data directory ("export", "import", ...). */
const char *dl_pe_dir_name(unsigned i);

#endif
