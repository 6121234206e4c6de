/*
 * elf.h - a bounds-checked ELF reader over a read-at callback.
 *
 * Every offset, size and count read from the file is checked against the
 * file size before use; every defect has its own reason in the error.
 * The callback lets the fuzzer feed memory and the core feed a dl_file.
 * 32- and 64-bit files in either byte order are read.
 *
 * (Contract shared by check.c, meta.c and inspect: the names below are
 * fixed; more functions may be added.)
 */
#ifndef DYNLIB_ELF_H
#define DYNLIB_ELF_H

#include <stdint.h>
#include <stddef.h>

#include "dynlib.h"

/* Reads exactly len bytes at off into buf; 0 on success, -1 otherwise. */
typedef int (*dl_read_at_fn)(void *ctx, uint64_t off, void *buf, size_t len);

typedef struct dl_elf {
  dl_read_at_fn read;
  void *ctx;
  uint64_t size;        /* file size */
  const char *name;     /* for messages */
  int is64;             /* ELFCLASS64 */
  int big_endian;       /* ELFDATA2MSB */
  uint8_t osabi;
  uint16_t type;        /* ET_* */
  uint16_t machine;     /* EM_* */
  uint64_t entry;
  uint64_t phoff, shoff;
  uint16_t phnum, phentsize, shnum, shentsize, shstrndx;
  uint32_t flags;
} dl_elf;

typedef struct dl_elf_phdr {
  uint32_t type, flags;
  uint64_t offset, vaddr, filesz, memsz, align;
} dl_elf_phdr;

typedef struct dl_elf_shdr {
  uint32_t name, type;
  uint64_t flags, addr, offset, size;
  uint32_t link, info;
  uint64_t addralign, entsize;
} dl_elf_shdr;

/* Read and validate the ELF header (and the table geometry). Errors:
 * not_a_library with the reason ("not an ELF file", "truncated ELF header",
 * "program header table extends past the end of the file", ...). */
int dl_elf_open(dl_elf *e, dl_read_at_fn read, void *ctx, uint64_t size,
                const char *name, dynlib_error *err);

/* Program header i (0 <= i < phnum), byte-swapped into host form. */
int dl_elf_phdr_get(const dl_elf *e, unsigned i, dl_elf_phdr *out,
                    dynlib_error *err);

/* Section header i (0 <= i < shnum). */
int dl_elf_shdr_get(const dl_elf *e, unsigned i, dl_elf_shdr *out,
                    dynlib_error *err);

/* Find a section by name; 1 found, 0 absent, -1 error. */
int dl_elf_section_by_name(const dl_elf *e, const char *name,
                           dl_elf_shdr *out, dynlib_error *err);

/* Byte-order helpers for callers parsing raw records (notes, ...). */
uint16_t dl_elf_u16(const dl_elf *e, const void *p);
uint32_t dl_elf_u32(const dl_elf *e, const void *p);
uint64_t dl_elf_u64(const dl_elf *e, const void *p);

/* Is this file's class, byte order and machine the running process's? */
int dl_elf_compatible(const dl_elf *e);

/* The EM_* value of the running process. */
int dl_elf_host_machine(void);

/* Is [off, off + len) inside the file? Overflow-safe. */
int dl_elf_in_file(const dl_elf *e, uint64_t off, uint64_t len);

/* Reads len bytes at off, checked against the file; `what` names the
 * structure in the error ("section header", ...). */
int dl_elf_read(const dl_elf *e, uint64_t off, void *buf, size_t len,
                const char *what, dynlib_error *err);

/* The NUL-terminated string at idx of a string table [tab_off, +tab_size),
 * into buf (cut to bufsize - 1 bytes when longer). */
int dl_elf_string(const dl_elf *e, uint64_t tab_off, uint64_t tab_size,
                  uint64_t idx, char *buf, size_t bufsize, dynlib_error *err);

/* ---- additions (inspection, checks) ------------------------------------ */

/* Longest string the reader returns (a symbol or a search path). */
#define DL_ELF_MAX_STRING (1u << 20)

/* The section table's geometry: 0 when it is absent or fits the file,
 * else -1 with the defect ("section header table extends past the end of
 * the file", "extended section count ... is not supported", ...). */
int dl_elf_sections_check(const dl_elf *e, dynlib_error *err);

/* The first program header of this type: 1 found, 0 none, -1 error. */
int dl_elf_phdr_find(const dl_elf *e, uint32_t type, dl_elf_phdr *out,
                     dynlib_error *err);

/* The file offset of virtual address addr, through the PT_LOAD segments:
 * 1 mapped (*avail, if not NULL, gets the segment's file bytes from there
 * on), 0 outside every PT_LOAD, -1 error (a segment past the end). */
int dl_elf_vaddr_to_offset(const dl_elf *e, uint64_t addr, uint64_t *off,
                           uint64_t *avail, dynlib_error *err);

/* A malloc'd copy of the string at idx of the table [tab_off, +tab_size),
 * read in growing steps: never past the table (itself checked against the
 * file) nor longer than DL_ELF_MAX_STRING. */
int dl_elf_strdup(const dl_elf *e, uint64_t tab_off, uint64_t tab_size,
                  uint64_t idx, char **out, dynlib_error *err);

/* A read-at callback over memory (the fuzzer, tests): ctx is a dl_mem *. */
typedef struct dl_mem {
  const unsigned char *data;
  uint64_t size;
} dl_mem;
int dl_mem_read_at(void *ctx, uint64_t off, void *buf, size_t len);

#endif
