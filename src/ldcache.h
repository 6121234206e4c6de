/*
 * ldcache.h - lookups in the system's /etc/ld.so.cache (glibc's format
 * "glibc-ld.so.cache1.1"), read once, bounded and validated, filtered to
 * this process's architecture.
 */
#ifndef DYNLIB_LDCACHE_H
#define DYNLIB_LDCACHE_H

#include <stddef.h>

/* The path the cache gives for this exact file name, malloc'd, or NULL. */
char *dl_ldcache_lookup(const char *file);

/* Among names "PREFIX<digits and dots>", the path of the highest version,
 * malloc'd, or NULL. */
char *dl_ldcache_highest(const char *prefix);

/* Parses a cache image held in memory (for tests and the fuzzer): returns
 * the number of entries for this architecture, or -1 if malformed. */
int dl_ldcache_parse(const unsigned char *data, size_t size);

#endif
