/*
 * namecache.c - bare names already resolved.
 *
 * Scripts reopen libraries by short name ("z"), often per frame; the search
 * behind that (candidates in every directory, ld.so.cache, GNU ld scripts,
 * the real path, the file's checks) costs about twenty system calls. This
 * process-wide table remembers, per name and version, the file the search
 * chose, and a reopen only stats that file: the same device and inode means
 * the same library, which the store then finds by identity without reading
 * it again. Keyed by the search settings too: any change of the dynlib path
 * or of LD_LIBRARY_PATH empties it. What it cannot see is a new file placed
 * earlier in the search order than the one chosen: that is found only after
 * the table is emptied (the README's "stale names"). Trusted-mode opens
 * never use it: they check the path every time.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "base/internal.h"
#include "core/namecache.h"
#include "core/names.h"
#include "os/os.h"

/* Enough for the libraries a program opens by name; a full table replaces
 * its oldest slot (round robin), which costs one search later, no more. */
#define SLOTS 64

typedef struct slot {
  char *key;    /* name NUL version: one allocation holding the paths too */
  size_t klen;  /* 0: the slot is free */
  char *chosen; /* the file the search found, statted on every hit */
  char *real;
  unsigned long long dev, ino;
} slot;

static dl_os_mutex lock = DL_OS_MUTEX_INIT;
static slot slots[SLOTS];
static size_t victim;       /* next slot replaced when the table is full */
static int settled;         /* gen and env describe the slots */
static unsigned gen;        /* dl_search_generation of the slots */
static char *env;           /* LD_LIBRARY_PATH of the slots (NULL: unset) */
static unsigned epoch_now;  /* bumped by every flush */

/* ---- slots (lock held) ------------------------------------------------- */

static void flush(void) {
  for (size_t i = 0; i < SLOTS; i++) {
    free(slots[i].key);
    slots[i].key = NULL;
    slots[i].klen = 0;
  }
  victim = 0;
  if (++epoch_now == 0) epoch_now = 1; /* 0: nothing cached */
}

static int same_str(const char *a, const char *b) {
  if (a == NULL || b == NULL) return a == b;
  return strcmp(a, b) == 0;
}

/* Empties the table when the search settings moved since it was filled.
 * The variable is read each time (a getenv, no system call): the loader's
 * path can change under a running program. */
static void sync_settings(void) {
  unsigned g = dl_search_generation();
  const char *var = dl_os_loader_path_var();
  const char *e = var ? dl_os_getenv(var) : NULL;
  if (settled && g == gen && same_str(e, env)) return;
  flush();
  free(env);
  env = e ? strdup(e) : NULL;
  gen = g;
  settled = e == NULL || env != NULL; /* out of memory: nothing is kept */
}

static slot *find_slot(const char *key, size_t klen) {
  for (size_t i = 0; i < SLOTS; i++)
    if (slots[i].klen == klen && memcmp(slots[i].key, key, klen) == 0)
      return &slots[i];
  return NULL;
}

/* Where a new name goes: a free slot, else the next in turn. */
static slot *slot_for_new(void) {
  for (size_t i = 0; i < SLOTS; i++)
    if (slots[i].klen == 0) return &slots[i];
  slot *s = &slots[victim];
  victim = (victim + 1) % SLOTS;
  return s;
}

static void free_slot(slot *s) {
  free(s->key);
  s->key = NULL;
  s->klen = 0;
}

/* ---- keys -------------------------------------------------------------- */

size_t dl_name_key(char *buf, size_t size, const char *name,
                   const char *version) {
  size_t n = strlen(name) + 1, v = version ? strlen(version) + 1 : 0;
  if (n + v > size) return 0;
  memcpy(buf, name, n);
  if (version) memcpy(buf + n, version, v);
  return n + v;
}

/* ---- get and put ------------------------------------------------------- */

/* The slot's paths copied out under the lock: the stat runs unlocked. */
static int copy_out(const char *key, size_t klen, char *chosen,
                    dl_name_hit *hit, unsigned *epoch) {
  dl_os_lock(&lock);
  sync_settings();
  *epoch = epoch_now;
  slot *s = settled ? find_slot(key, klen) : NULL;
  if (s != NULL) {
    strcpy(chosen, s->chosen); /* both shorter than DL_NAMECACHE_PATH */
    strcpy(hit->real, s->real);
    hit->dev = s->dev;
    hit->ino = s->ino;
  }
  dl_os_unlock(&lock);
  return s != NULL;
}

/* The file changed or went away: drop the slot, unless it was refilled. */
static void drop_stale(const char *key, size_t klen, const dl_name_hit *hit) {
  dl_os_lock(&lock);
  slot *s = find_slot(key, klen);
  if (s && s->dev == hit->dev && s->ino == hit->ino) free_slot(s);
  dl_os_unlock(&lock);
}

unsigned dl_namecache_epoch(void) {
  dl_os_lock(&lock);
  sync_settings();
  unsigned e = settled ? epoch_now : 0;
  dl_os_unlock(&lock);
  return e;
}

int dl_namecache_get(const char *name, const char *version, dl_name_hit *hit,
                     unsigned *epoch) {
  char key[DL_NAMECACHE_PATH], chosen[DL_NAMECACHE_PATH];
  size_t klen = dl_name_key(key, sizeof key, name, version);
  *epoch = 0;
  if (klen == 0 || !copy_out(key, klen, chosen, hit, epoch)) return 0;
  dl_os_info st;
  if (dl_os_stat(chosen, &st) == 0 && st.kind == DL_OS_FILE &&
      st.dev == hit->dev && st.ino == hit->ino) {
    dynlib_debug("%s: cached: %s", name, hit->real);
    return 1;
  }
  dynlib_debug("%s: cached %s changed or is gone: searching again", name,
               chosen);
  drop_stale(key, klen, hit);
  return 0;
}

/* One allocation: the key, then chosen, then real. */
static int fill_slot(slot *s, const char *key, size_t klen,
                     const char *chosen, const char *real) {
  size_t c = strlen(chosen) + 1, r = strlen(real) + 1;
  if (c > DL_NAMECACHE_PATH || r > DL_NAMECACHE_PATH) return -1;
  char *mem = malloc(klen + c + r);
  if (mem == NULL) return -1;
  memcpy(mem, key, klen);
  s->key = mem;
  s->klen = klen;
  s->chosen = memcpy(mem + klen, chosen, c);
  s->real = memcpy(mem + klen + c, real, r);
  return 0;
}

void dl_namecache_put(const char *name, const char *version, unsigned epoch,
                      const char *chosen, const char *real,
                      unsigned long long dev, unsigned long long ino) {
  char key[DL_NAMECACHE_PATH];
  size_t klen = dl_name_key(key, sizeof key, name, version);
  slot fresh = {NULL, 0, NULL, NULL, dev, ino};
  if (klen == 0 || fill_slot(&fresh, key, klen, chosen, real) != 0) return;
  dl_os_lock(&lock);
  sync_settings();
  /* A search that began under other settings may have seen either. */
  if (!settled || epoch != epoch_now) {
    dl_os_unlock(&lock);
    free(fresh.key);
    return;
  }
  slot *s = find_slot(key, klen);
  if (s == NULL) s = slot_for_new();
  free(s->key);
  *s = fresh;
  dl_os_unlock(&lock);
}
