/*
 * ldcache.h - lookups in the system's /etc/ld.so.cache (glibc's format
 * "glibc-ld.so.cache1.1", alone or after the old "ld.so-1.7.0" table as
 * glibc < 2.32 wrote it), read once, bounded and validated, filtered to
 * this process's architecture.
 */
#ifndef DYNLIB_LDCACHE_H
#define DYNLIB_LDCACHE_H

#include <stddef.h>
#include <stdint.h>

/* A validated view of a cache image (not a copy: data must outlive it). */
typedef struct dl_ldcache {
  const unsigned char *data;
  size_t size;
  size_t base;    /* offset of the new-format header; strings are relative */
  uint32_t nlibs; /* entries, each checked to lie inside the image */
} dl_ldcache;

/* Validates an image: 0, or -1 when it is not a cache or is malformed. */
int dl_ldcache_open(dl_ldcache *c, const unsigned char *data, size_t size);

/* The path the cache gives for this exact file name (this architecture,
 * no hardware-capability subdirectory), malloc'd, or NULL. */
char *dl_ldcache_find(const dl_ldcache *c, const char *file);

/* Among names "PREFIX<digits and dots>", the path of the numerically
 * highest version ("libx.so.10" beats "libx.so.9"), malloc'd, or NULL. */
char *dl_ldcache_best(const dl_ldcache *c, const char *prefix);

/* The same two over the system's cache (read once per process, as ld.so
 * does); NULL when it is missing or malformed. */
char *dl_ldcache_lookup(const char *file);
char *dl_ldcache_highest(const char *prefix);

/* Parses a cache image held in memory (for tests and the fuzzer): returns
 * the number of entries for this architecture, or -1 if malformed. */
int dl_ldcache_parse(const unsigned char *data, size_t size);

/* Compares dotted numeric versions ("1.10" > "1.9" > "1"); digits and dots
 * only, any length (no overflow: compared as digit strings). */
int dl_version_cmp(const char *a, const char *b);

#endif
