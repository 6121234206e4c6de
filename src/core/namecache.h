/*
 * namecache.h - bare names already resolved (docs/design.md section 3).
 */
#ifndef DYNLIB_NAMECACHE_H
#define DYNLIB_NAMECACHE_H

#include <stddef.h>

/* Room for a cached path; longer ones are not cached. */
#define DL_NAMECACHE_PATH 4096

typedef struct dl_name_hit {
  char real[DL_NAMECACHE_PATH]; /* the real path the search gave */
  unsigned long long dev, ino;  /* the file's identity, checked by stat */
} dl_name_hit;

/* A bare name (no directory) and version opened before under the same
 * search settings (dynlib path, LD_LIBRARY_PATH), whose file is still
 * there: one stat, 1 and *hit filled. Otherwise 0 and *epoch set, to pass
 * to dl_namecache_put after the search. */
int dl_namecache_get(const char *name, const char *version, dl_name_hit *hit,
                     unsigned *epoch);

/* Remember what the search for (name, version) chose: chosen is the file it
 * found (links not resolved: what get stats), real its real path, dev and
 * ino the identity of the file opened. Ignored when the settings changed
 * since the get that gave epoch, or out of memory (best effort). */
void dl_namecache_put(const char *name, const char *version, unsigned epoch,
                      const char *chosen, const char *real,
                      unsigned long long dev, unsigned long long ino);

/* The current search settings' epoch, never 0; 0 when nothing may be
 * cached (out of memory). A change of dynlib path or LD_LIBRARY_PATH
 * starts a new epoch: the store keys its bare-name aliases with it, so an
 * alias made under other settings never matches again. No system call. */
unsigned dl_namecache_epoch(void);

/* The key of (name, version): both strings with their NULs, so no two
 * pairs share a key (the cache's and the store's aliases). Its length, or
 * 0 when it does not fit in size. */
size_t dl_name_key(char *buf, size_t size, const char *name,
                   const char *version);

#endif
