/*
 * ldcache.c - a bounded reader of glibc's ld.so.cache (new format).
 *
 * Layout (all little- or big-endian as the host, as ldconfig writes it):
 *   header: magic "glibc-ld.so.cache" + "1.1", nlibs, string bytes, flags,
 *           3 pad, extension offset, 3 unused          (48 bytes)
 *   nlibs entries: flags, key, value, osversion, hwcap (24 bytes)
 * key and value are offsets of NUL-terminated strings from the start of the
 * file. Every offset is checked against the file; a malformed cache is
 * ignored, never trusted.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ldcache.h"

#define CACHE_PATH "/etc/ld.so.cache"
#define CACHE_MAX (64u << 20)
#define MAGIC "glibc-ld.so.cache1.1"
#define MAGIC_LEN 20
#define HEADER_SIZE 48
#define ENTRY_SIZE 24

/* ldconfig's flags: the type (ELF libc6) and the required architecture. */
#define FLAG_ELF_LIBC6 0x0003
#if defined(__x86_64__)
#define FLAG_ARCH 0x0300
#elif defined(__aarch64__)
#define FLAG_ARCH 0x0a00
#else
#define FLAG_ARCH 0x0000
#endif
#define WANTED_FLAGS (FLAG_ELF_LIBC6 | FLAG_ARCH)

typedef struct cache {
  const unsigned char *data;
  size_t size;
  uint32_t nlibs;
} cache;

static uint32_t rd32(const unsigned char *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

/* A NUL-terminated string at off inside the image, or NULL. */
static const char *str_at(const cache *c, uint32_t off) {
  if (off >= c->size) return NULL;
  const unsigned char *end = memchr(c->data + off, '\0', c->size - off);
  return end ? (const char *)c->data + off : NULL;
}

static int validate(cache *c, const unsigned char *data, size_t size) {
  if (size < HEADER_SIZE || memcmp(data, MAGIC, MAGIC_LEN) != 0) return -1;
  uint32_t nlibs = rd32(data + MAGIC_LEN);
  if (nlibs > (size - HEADER_SIZE) / ENTRY_SIZE) return -1;
  c->data = data;
  c->size = size;
  c->nlibs = nlibs;
  return 0;
}

/* Entry i for this architecture: key and value strings, or 0. */
static int entry(const cache *c, uint32_t i, const char **key,
                 const char **value) {
  const unsigned char *e = c->data + HEADER_SIZE + (size_t)i * ENTRY_SIZE;
  if ((rd32(e) & 0xffff) != WANTED_FLAGS) return 0;
  *key = str_at(c, rd32(e + 4));
  *value = str_at(c, rd32(e + 8));
  return *key != NULL && *value != NULL && (*value)[0] == '/';
}

int dl_ldcache_parse(const unsigned char *data, size_t size) {
  cache c;
  if (validate(&c, data, size) != 0) return -1;
  int n = 0;
  const char *k, *v;
  for (uint32_t i = 0; i < c.nlibs; i++) n += entry(&c, i, &k, &v);
  return n;
}

/* ---- the system cache, read once --------------------------------------- */

static pthread_once_t once = PTHREAD_ONCE_INIT;
static cache sys;
static int sys_ok;

static void load_system_cache(void) {
  struct stat st;
  if (stat(CACHE_PATH, &st) != 0 || !S_ISREG(st.st_mode) ||
      st.st_size < HEADER_SIZE || (uint64_t)st.st_size > CACHE_MAX)
    return;
  int fd = open(CACHE_PATH, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return;
  size_t size = (size_t)st.st_size;
  unsigned char *buf = malloc(size);
  size_t got = 0;
  while (buf && got < size) {
    ssize_t n = pread(fd, buf + got, size - got, (off_t)got);
    if (n <= 0) break;
    got += (size_t)n;
  }
  close(fd);
  if (buf == NULL || got != size || validate(&sys, buf, size) != 0) {
    free(buf);
    return;
  }
  sys_ok = 1; /* kept for the life of the process, like ld.so's own copy */
}

static const cache *system_cache(void) {
  pthread_once(&once, load_system_cache);
  return sys_ok ? &sys : NULL;
}

char *dl_ldcache_lookup(const char *file) {
  const cache *c = system_cache();
  if (c == NULL) return NULL;
  const char *k, *v;
  for (uint32_t i = 0; i < c->nlibs; i++)
    if (entry(c, i, &k, &v) && strcmp(k, file) == 0) return strdup(v);
  return NULL;
}

/* Compares dotted numeric versions: "1.10" > "1.9" > "1". */
static int version_cmp(const char *a, const char *b) {
  while (*a || *b) {
    unsigned long x = strtoul(a, (char **)&a, 10);
    unsigned long y = strtoul(b, (char **)&b, 10);
    if (x != y) return x < y ? -1 : 1;
    if (*a == '.') a++;
    if (*b == '.') b++;
    if (!*a && *b) return -1;
    if (*a && !*b) return 1;
  }
  return 0;
}

static int numeric_version(const char *s) {
  size_t len = strlen(s);
  return len > 0 && strspn(s, "0123456789.") == len && s[0] != '.';
}

char *dl_ldcache_highest(const char *prefix) {
  const cache *c = system_cache();
  if (c == NULL) return NULL;
  size_t plen = strlen(prefix);
  const char *best_v = NULL, *best_path = NULL;
  const char *k, *v;
  for (uint32_t i = 0; i < c->nlibs; i++) {
    if (!entry(c, i, &k, &v) || strncmp(k, prefix, plen) != 0) continue;
    if (!numeric_version(k + plen)) continue;
    if (best_v == NULL || version_cmp(k + plen, best_v) > 0) {
      best_v = k + plen;
      best_path = v;
    }
  }
  return best_path ? strdup(best_path) : NULL;
}
