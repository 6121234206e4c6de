/*
 * meta.h - reading a plugin's metadata without loading it (docs/design.md section 5).
 */
#ifndef DYNLIB_META_H
#define DYNLIB_META_H

#include <stddef.h>
#include <stdint.h>

#include "dynlib.h"
#include "formats/elf.h"
#include "formats/pe.h"

/* Where the record was found. */
enum { DL_META_NOTE = 1, DL_META_SECTION, DL_META_SEARCH };

/* Largest JSON text accepted (a bound on what a hostile file can make us
 * allocate). */
#define DL_META_MAX_JSON (1u << 20)

/* Memory for a record's text (dl_meta_read_to): n bytes or NULL. */
typedef void *(*dl_meta_alloc_fn)(void *ctx, size_t n);

typedef struct dl_meta {
  char *json;        /* NUL-terminated; malloc'd unless alloc is set */
  size_t length;
  uint32_t format, abi;
  int source;        /* DL_META_* */
  dl_meta_alloc_fn alloc; /* where json came from (NULL: malloc) */
  void *alloc_ctx;
} dl_meta;

/* Optional: the next offset >= off holding data (SEEK_DATA), so the search
 * skips holes; NULL means every byte is data. Returns size at the end. */
typedef uint64_t (*dl_next_data_fn)(void *ctx, uint64_t off);

/* Reads the metadata of an opened ELF file: PT_NOTE segments first, then
 * the section table, then (only for a shared object with no usable section
 * table) a chunked search of the whole file. Errors: no_metadata, bad_metadata
 * (record malformed: length past its note, unknown format), io. */
int dl_meta_read_elf(const dl_elf *e, dl_next_data_fn next_data, dl_meta *out,
                     dynlib_error *err);

/* Reads the metadata of an opened PE file: the section .dynlib (the same
 * record as the ELF note, little-endian). Errors: no_metadata (no such
 * section), bad_metadata (no record in it, or a malformed one), io. */
int dl_meta_read_pe(const dl_pe *p, dl_meta *out, dynlib_error *err);

/* The same from a path (ELF or PE by the file's first bytes) (stat first, regular files only). */
int dl_meta_read(const char *path, dl_meta *out, dynlib_error *err);

/* The same for a path a directory listing already called a regular file
 * (readdir's d_type, the stat before open): opened straight away, then
 * checked with fstat. One system call fewer per file of a scan. */
int dl_meta_read_regular(const char *path, dl_meta *out, dynlib_error *err);

/* dl_meta_read (listed: dl_meta_read_regular) with the text in memory from
 * alloc(ctx, n), which the caller owns: a scan takes it from blocks it
 * frees at once, not one malloc per file. */
int dl_meta_read_to(const char *path, int listed, dl_meta_alloc_fn alloc, void *ctx,
                    dl_meta *out, dynlib_error *err);

/* Frees the text (unless it came from alloc); out is then empty. */
void dl_meta_free(dl_meta *m);

/* The search alone over [0, size) in bounded chunks, for the fuzzer and the
 * benchmark: offset of the first note header of ours, or -1. */
int64_t dl_meta_search(const dl_elf *e, dl_next_data_fn next_data,
                       size_t chunk);

#endif
