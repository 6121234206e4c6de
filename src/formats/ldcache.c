/*
 * ldcache.c - a bounded reader of glibc's ld.so.cache.
 *
 * Layout (host byte order, as ldconfig writes it):
 *   [old part, glibc < 2.32 only: "ld.so-1.7.0", pad, nlibs, nlibs * 12
 *    bytes of entries; the new part follows, aligned to 4]
 *   new header: "glibc-ld.so.cache" "1.1", nlibs, string bytes, flags,
 *               3 pad, extension offset, 3 unused             (48 bytes)
 *   nlibs entries: flags, key, value, osversion, hwcap (8)    (24 bytes)
 * key and value are offsets of NUL-terminated strings from the start of the
 * new header. Every offset is checked against the image: a malformed cache
 * is ignored, never trusted.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "formats/ldcache.h"

#define CACHE_PATH "/etc/ld.so.cache"
#define CACHE_MAX (64u << 20)
#define OLD_MAGIC "ld.so-1.7.0"
#define OLD_MAGIC_LEN 11
#define OLD_HEADER_SIZE 16
#define OLD_ENTRY_SIZE 12
#define MAGIC "glibc-ld.so.cache1.1"
#define MAGIC_LEN 20
#define HEADER_SIZE 48
#define ENTRY_SIZE 24

/* The entry flags ld.so accepts on this architecture: the type (ELF,
 * libc6) and the required-architecture byte (ldconfig's FLAG_* values).
 * Elsewhere the cache is not used: the default directories still are. */
#define FLAG_ELF_LIBC6 0x0003
#if defined(__x86_64__) && defined(__ILP32__)
#define WANTED_FLAGS (FLAG_ELF_LIBC6 | 0x0800) /* x32 */
#elif defined(__x86_64__)
#define WANTED_FLAGS (FLAG_ELF_LIBC6 | 0x0300) /* x86-64 */
#elif defined(__aarch64__)
#define WANTED_FLAGS (FLAG_ELF_LIBC6 | 0x0a00) /* AArch64 */
#elif defined(__i386__)
#define WANTED_FLAGS FLAG_ELF_LIBC6
#elif defined(__arm__) && defined(__ARM_PCS_VFP)
#define WANTED_FLAGS (FLAG_ELF_LIBC6 | 0x0900) /* ARM hard float */
#else
#define WANTED_FLAGS 0xffffffffu /* matches no entry */
#endif

static uint32_t rd32(const unsigned char *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

static uint64_t rd64(const unsigned char *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

/* Where the new-format header starts, or (size_t)-1. */
static size_t new_header(const unsigned char *data, size_t size) {
  if (size >= MAGIC_LEN && memcmp(data, MAGIC, MAGIC_LEN) == 0) return 0;
  if (size < OLD_HEADER_SIZE || memcmp(data, OLD_MAGIC, OLD_MAGIC_LEN) != 0)
    return (size_t)-1;
  uint32_t nold = rd32(data + 12);
  if (nold > (size - OLD_HEADER_SIZE) / OLD_ENTRY_SIZE) return (size_t)-1;
  size_t base = OLD_HEADER_SIZE + (size_t)nold * OLD_ENTRY_SIZE;
  base = (base + 3) & ~(size_t)3;
  if (base > size || size - base < MAGIC_LEN ||
      memcmp(data + base, MAGIC, MAGIC_LEN) != 0)
    return (size_t)-1;
  return base;
}

int dl_ldcache_open(dl_ldcache *c, const unsigned char *data, size_t size) {
  size_t base = new_header(data, size);
  if (base == (size_t)-1 || size - base < HEADER_SIZE) return -1;
  uint32_t nlibs = rd32(data + base + MAGIC_LEN);
  if (nlibs > (size - base - HEADER_SIZE) / ENTRY_SIZE) return -1;
  c->data = data;
  c->size = size;
  c->base = base;
  c->nlibs = nlibs;
  return 0;
}

/* A NUL-terminated string at off (from the new header), or NULL. */
static const char *str_at(const dl_ldcache *c, uint32_t off) {
  size_t limit = c->size - c->base;
  if (off >= limit) return NULL;
  const unsigned char *s = c->data + c->base + off;
  return memchr(s, '\0', limit - off) ? (const char *)s : NULL;
}

/* Entry i if ld.so would use it here: this architecture, not in a
 * hardware-capability subdirectory (those need a CPU check ld.so does and
 * we cannot), an absolute path. */
static int entry(const dl_ldcache *c, uint32_t i, const char **key,
                 const char **value) {
  const unsigned char *e =
      c->data + c->base + HEADER_SIZE + (size_t)i * ENTRY_SIZE;
  if (rd32(e) != (uint32_t)WANTED_FLAGS || rd64(e + 16) != 0) return 0;
  *key = str_at(c, rd32(e + 4));
  *value = str_at(c, rd32(e + 8));
  return *key != NULL && *value != NULL && (*value)[0] == '/';
}

char *dl_ldcache_find(const dl_ldcache *c, const char *file) {
  const char *k, *v;
  for (uint32_t i = 0; i < c->nlibs; i++)
    if (entry(c, i, &k, &v) && strcmp(k, file) == 0) return strdup(v);
  return NULL;
}

/* Digits and single dots, not starting or ending with a dot. */
static int numeric_version(const char *s) {
  size_t len = strlen(s);
  return len > 0 && strspn(s, "0123456789.") == len && s[0] != '.' &&
         s[len - 1] != '.' && strstr(s, "..") == NULL;
}

/* One numeric component each (leading zeros ignored): compare by length,
 * then digit by digit, so no value is too large. */
static int component_cmp(const char *a, size_t alen, const char *b,
                         size_t blen) {
  while (alen > 1 && *a == '0') a++, alen--;
  while (blen > 1 && *b == '0') b++, blen--;
  if (alen != blen) return alen < blen ? -1 : 1;
  int r = memcmp(a, b, alen);
  return (r > 0) - (r < 0);
}

int dl_version_cmp(const char *a, const char *b) {
  for (;;) {
    size_t alen = strspn(a, "0123456789"), blen = strspn(b, "0123456789");
    int r = component_cmp(a, alen, b, blen);
    if (r != 0) return r;
    a += alen;
    b += blen;
    int amore = *a == '.', bmore = *b == '.';
    if (!amore || !bmore) return amore - bmore; /* "1.2" > "1" */
    a++;
    b++;
  }
}

char *dl_ldcache_best(const dl_ldcache *c, const char *prefix) {
  size_t plen = strlen(prefix);
  const char *best_v = NULL, *best_path = NULL;
  const char *k, *v;
  for (uint32_t i = 0; i < c->nlibs; i++) {
    if (!entry(c, i, &k, &v) || strncmp(k, prefix, plen) != 0) continue;
    if (!numeric_version(k + plen)) continue;
    if (best_v == NULL || dl_version_cmp(k + plen, best_v) > 0) {
      best_v = k + plen;
      best_path = v;
    }
  }
  return best_path ? strdup(best_path) : NULL;
}

int dl_ldcache_parse(const unsigned char *data, size_t size) {
  dl_ldcache c;
  if (dl_ldcache_open(&c, data, size) != 0) return -1;
  int n = 0;
  const char *k, *v;
  for (uint32_t i = 0; i < c.nlibs; i++) n += entry(&c, i, &k, &v);
  return n;
}

/* ---- the system cache, read once --------------------------------------- */

static dl_os_once once = DL_OS_ONCE_INIT;
static dl_ldcache sys;
static int sys_ok;

/* The whole file, at most CACHE_MAX bytes, sized on the open descriptor
 * (the path could be replaced between a stat and the open). */
static unsigned char *read_cache_file(size_t *size) {
  dl_file f;
  if (dl_file_open(&f, CACHE_PATH, NULL) != 0) return NULL;
  unsigned char *buf = NULL;
  if (f.size >= HEADER_SIZE && f.size <= CACHE_MAX &&
      (buf = malloc((size_t)f.size)) != NULL &&
      dl_file_read_at(&f, 0, buf, (size_t)f.size) != 0) {
    free(buf);
    buf = NULL;
  }
  *size = (size_t)f.size;
  dl_file_close(&f);
  return buf;
}

static void load_system_cache(void) {
  size_t size = 0;
  unsigned char *buf = read_cache_file(&size);
  if (buf == NULL) return;
  if (dl_ldcache_open(&sys, buf, size) != 0) {
    free(buf);
    return;
  }
  sys_ok = 1; /* kept for the life of the process, like ld.so's own copy */
}

static const dl_ldcache *system_cache(void) {
  dl_os_call_once(&once, load_system_cache);
  return sys_ok ? &sys : NULL;
}

char *dl_ldcache_lookup(const char *file) {
  const dl_ldcache *c = system_cache();
  return c ? dl_ldcache_find(c, file) : NULL;
}

char *dl_ldcache_highest(const char *prefix) {
  const dl_ldcache *c = system_cache();
  return c ? dl_ldcache_best(c, prefix) : NULL;
}
