/*
 * names.c - from a library name to the file to load (DESIGN section 3).
 *
 * Candidate file names follow Qt's order; bare names are searched by dynlib
 * itself (dynlib path, LD_LIBRARY_PATH, ld.so.cache, default directories),
 * never in the current directory, so every file is known and checked before
 * dlopen sees it. GNU ld scripts (libm.so, libc.so on Debian) are followed.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "ldcache.h"
#include "ldscript.h"
#include "names.h"

#define MAX_CANDIDATES 8

/* ---- string vectors ---------------------------------------------------- */

/* Packs n strings into one allocation: the pointers, NULL, then the bytes. */
static dynlib_strv strv_pack(const char *const *items, size_t n) {
  size_t bytes = (n + 1) * sizeof(char *);
  for (size_t i = 0; i < n; i++) bytes += strlen(items[i]) + 1;
  char **v = malloc(bytes);
  if (v == NULL) return NULL;
  char *p = (char *)(v + n + 1);
  for (size_t i = 0; i < n; i++) {
    size_t len = strlen(items[i]) + 1;
    memcpy(p, items[i], len);
    v[i] = p;
    p += len;
  }
  v[n] = NULL;
  return v;
}

/* ---- candidate names --------------------------------------------------- */

int dl_version_valid(const char *v) {
  if (v == NULL) return 1;
  size_t len = strlen(v);
  if (len == 0 || len > 32 || v[0] == '.' || v[len - 1] == '.' ||
      strstr(v, "..") != NULL)
    return 0;
  return strspn(v, "0123456789.") == len;
}

/* Does base end in ".so" or ".so.<digits and dots>"? */
static int has_so_suffix(const char *base) {
  const char *so = NULL;
  for (const char *p = strstr(base, ".so"); p; p = strstr(p + 1, ".so"))
    so = p;
  if (so == NULL || so == base) return 0;
  const char *rest = so + 3;
  if (*rest == '\0') return 1;
  if (*rest != '.') return 0;
  return dl_version_valid(rest + 1);
}

int dynlib_is_library(const char *file) {
  const char *slash = strrchr(file, '/');
  const char *base = slash ? slash + 1 : file;
  return has_so_suffix(base);
}

typedef struct cands {
  char *v[MAX_CANDIDATES];
  size_t n;
  int oom;
} cands;

static void cands_add(cands *c, const char *dir, const char *prefix,
                      const char *base, const char *suffix) {
  if (c->oom || c->n == MAX_CANDIDATES) return;
  char *s = NULL;
  if (asprintf(&s, "%s%s%s%s", dir, prefix, base, suffix) < 0) {
    c->oom = 1;
    return;
  }
  for (size_t i = 0; i < c->n; i++)
    if (strcmp(c->v[i], s) == 0) {
      free(s);
      return;
    }
  c->v[c->n++] = s;
}

static void cands_free(cands *c) {
  for (size_t i = 0; i < c->n; i++) free(c->v[i]);
  c->n = 0;
}

/* Qt's order: a path tries itself first, then decorated forms; a bare name
 * tries decorated forms first and itself last. A prefix or suffix the name
 * already has is not added again. */
static void make_candidates(cands *c, const char *name, const char *version) {
  const char *slash = strrchr(name, '/');
  const char *base = slash ? slash + 1 : name;
  char dir[4096] = "";
  if (slash) snprintf(dir, sizeof dir, "%.*s", (int)(slash - name + 1), name);
  char suffix[48];
  snprintf(suffix, sizeof suffix, ".so%s%s", version ? "." : "",
           version ? version : "");
  int has_prefix = strncmp(base, "lib", 3) == 0;
  int has_suffix = has_so_suffix(base);
  const char *pre = has_prefix ? "" : "lib";
  const char *suf = has_suffix ? "" : suffix;
  c->n = 0;
  c->oom = 0;
  if (slash) {
    cands_add(c, dir, "", base, "");
    cands_add(c, dir, "", base, suf);
    cands_add(c, dir, pre, base, "");
    cands_add(c, dir, pre, base, suf);
  } else {
    cands_add(c, "", pre, base, suf);
    cands_add(c, "", pre, base, "");
    cands_add(c, "", "", base, suf);
    cands_add(c, "", "", base, "");
  }
}

dynlib_strv dynlib_candidates(const char *name, const char *version) {
  if (!dl_version_valid(version)) return NULL;
  cands c;
  make_candidates(&c, name, version);
  dynlib_strv v = c.oom ? NULL : strv_pack((const char *const *)c.v, c.n);
  cands_free(&c);
  return v;
}

/* ---- the dynlib path --------------------------------------------------- */

static pthread_mutex_t path_lock = PTHREAD_MUTEX_INITIALIZER;
static char *dynlib_path_list; /* ':'-separated; NULL: not read yet */
static int path_initialized;

static void path_init_locked(void) {
  if (path_initialized) return;
  const char *env = secure_getenv("DYNLIB_PATH");
  dynlib_path_list = strdup(env ? env : "");
  path_initialized = 1;
}

int dynlib_set_path(const char *colon_list) {
  char *copy = NULL;
  if (colon_list == NULL) {
    const char *env = secure_getenv("DYNLIB_PATH");
    colon_list = env ? env : "";
  }
  if ((copy = strdup(colon_list)) == NULL) return -1;
  pthread_mutex_lock(&path_lock);
  free(dynlib_path_list);
  dynlib_path_list = copy;
  path_initialized = 1;
  pthread_mutex_unlock(&path_lock);
  return 0;
}

char *dynlib_get_path(void) {
  pthread_mutex_lock(&path_lock);
  path_init_locked();
  char *copy = strdup(dynlib_path_list ? dynlib_path_list : "");
  pthread_mutex_unlock(&path_lock);
  return copy;
}

/* ---- search directories ------------------------------------------------ */

#if defined(__x86_64__)
#define MULTIARCH "x86_64-linux-gnu"
#elif defined(__aarch64__)
#define MULTIARCH "aarch64-linux-gnu"
#elif defined(__i386__)
#define MULTIARCH "i386-linux-gnu"
#else
#define MULTIARCH ""
#endif

static const char *const default_dirs[] = {
    "/lib/" MULTIARCH, "/usr/lib/" MULTIARCH, "/lib64", "/usr/lib64",
    "/lib",            "/usr/lib",            "/usr/local/lib"};

#define MAX_DIRS 64

typedef struct dirlist {
  char *v[MAX_DIRS];
  size_t n;
  size_t nuser; /* v[0..nuser) come before ld.so.cache; the rest after */
  int oom;
} dirlist;

/* Relative and empty entries are skipped: they would mean the current
 * directory, which is never searched for bare names. */
static void dirs_add_list(dirlist *d, const char *list) {
  if (list == NULL) return;
  const char *p = list;
  while (*p && d->n < MAX_DIRS) {
    size_t len = strcspn(p, ":");
    if (len > 0 && p[0] == '/') {
      char *dir = strndup(p, len);
      if (dir == NULL) {
        d->oom = 1;
        return;
      }
      d->v[d->n++] = dir;
    }
    p += len;
    if (*p == ':') p++;
  }
}

static void dirs_collect(dirlist *d) {
  d->n = 0;
  d->oom = 0;
  char *mine = dynlib_get_path();
  if (mine == NULL) {
    d->oom = 1;
    return;
  }
  dirs_add_list(d, mine);
  free(mine);
  /* secure_getenv: no LD_LIBRARY_PATH in setuid programs, as ld.so does. */
  dirs_add_list(d, secure_getenv("LD_LIBRARY_PATH"));
  d->nuser = d->n;
  for (size_t i = 0; i < sizeof default_dirs / sizeof default_dirs[0]; i++)
    if (default_dirs[i][1] != '\0' || MULTIARCH[0] != '\0')
      dirs_add_list(d, default_dirs[i]);
}

static void dirs_free(dirlist *d) {
  for (size_t i = 0; i < d->n; i++) free(d->v[i]);
  d->n = 0;
}

dynlib_strv dynlib_search_dirs(void) {
  dirlist d;
  dirs_collect(&d);
  dynlib_strv v = d.oom ? NULL : strv_pack((const char *const *)d.v, d.n);
  dirs_free(&d);
  return v;
}

/* ---- finding a file ---------------------------------------------------- */

static int exists(const char *path) {
  struct stat st;
  int ok = stat(path, &st) == 0;
  dynlib_debug("candidate %s: %s", path, ok ? "exists" : strerror(errno));
  return ok;
}

/* The first existing candidate in dir, malloc'd, or NULL. */
static char *first_in_dir(const char *dir, const cands *c) {
  char path[4096];
  for (size_t i = 0; i < c->n; i++) {
    if (snprintf(path, sizeof path, "%s/%s", dir, c->v[i]) >= (int)sizeof path)
      continue;
    if (exists(path)) return strdup(path);
  }
  return NULL;
}

/* Bare names: our directories, then the cache, then default directories. */
static char *search_bare(const cands *c, dynlib_error *err, const char *name) {
  dirlist d;
  dirs_collect(&d);
  if (d.oom) {
    dirs_free(&d);
    dl_seterr(err, DYNLIB_E_IO, "%s: out of memory", name);
    return NULL;
  }
  char *found = NULL;
  size_t nfirst = d.nuser;
  for (size_t i = 0; i < nfirst && !found; i++) found = first_in_dir(d.v[i], c);
  for (size_t i = 0; i < c->n && !found; i++) {
    found = dl_ldcache_lookup(c->v[i]);
    if (found) dynlib_debug("candidate %s: in ld.so.cache: %s", c->v[i], found);
  }
  for (size_t i = nfirst; i < d.n && !found; i++) found = first_in_dir(d.v[i], c);
  dirs_free(&d);
  return found;
}

/* "libNAME.so.N" with the highest N in the cache, for a bare name whose
 * development symlink (libNAME.so) is not installed. */
static char *search_versioned(const char *name) {
  const char *base = strncmp(name, "lib", 3) == 0 ? name + 3 : name;
  if (has_so_suffix(name)) return NULL;
  char prefix[512];
  if (snprintf(prefix, sizeof prefix, "lib%s.so.", base) >= (int)sizeof prefix)
    return NULL;
  char *found = dl_ldcache_highest(prefix);
  if (found) dynlib_debug("%s: no %s, highest version in ld.so.cache: %s",
                          name, "development symlink", found);
  return found;
}

/* A found file may be a GNU ld script naming the real library. */
static char *follow_script(char *path, int depth, dynlib_error *err) {
  char named[4096];
  int r = dl_ldscript_target(path, named, sizeof named);
  if (r <= 0) return path; /* not a script (or unreadable: checks say why) */
  dynlib_debug("%s: GNU ld script naming %s", path, named);
  if (depth > 4) {
    dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY, "%s: linker scripts nest too deep",
              path);
    free(path);
    return NULL;
  }
  char *next = NULL;
  if (named[0] == '/') {
    next = strdup(named);
  } else {
    cands c;
    c.n = 0;
    c.oom = 0;
    cands_add(&c, "", "", named, "");
    next = c.oom ? NULL : search_bare(&c, err, named);
    cands_free(&c);
  }
  if (next == NULL) {
    dl_seterr(err, DYNLIB_E_NOT_FOUND, "%s: linker script names %s, not found",
              path, named);
    free(path);
    return NULL;
  }
  free(path);
  return follow_script(next, depth + 1, err);
}

char *dynlib_find(const char *name, const char *version, dynlib_error *err) {
  dl_clearerr(err);
  if (!dl_version_valid(version)) {
    dl_seterr(err, DYNLIB_E_INVALID, "%s: bad version '%s'", name, version);
    return NULL;
  }
  if (name[0] == '\0') {
    dl_seterr(err, DYNLIB_E_INVALID, "empty library name");
    return NULL;
  }
  cands c;
  make_candidates(&c, name, version);
  if (c.oom) {
    cands_free(&c);
    dl_seterr(err, DYNLIB_E_IO, "%s: out of memory", name);
    return NULL;
  }
  char *found = NULL;
  int is_path = strchr(name, '/') != NULL;
  if (is_path) {
    for (size_t i = 0; i < c.n && !found; i++)
      if (exists(c.v[i])) found = strdup(c.v[i]);
  } else {
    found = search_bare(&c, err, name);
    if (found == NULL && version == NULL) found = search_versioned(name);
  }
  if (found == NULL) {
    if (err == NULL || err->code == DYNLIB_OK)
      dl_seterr(err, DYNLIB_E_NOT_FOUND, "%s: not found (tried %s%s%s)", name,
                c.v[0], c.n > 1 ? ", " : "", c.n > 1 ? c.v[1] : "");
    cands_free(&c);
    return NULL;
  }
  cands_free(&c);
  found = follow_script(found, 0, err);
  if (found == NULL) return NULL;
  char *real = realpath(found, NULL);
  if (real == NULL) {
    dl_seterr(err, DYNLIB_E_NOT_FOUND, "%s: %s", found, strerror(errno));
    free(found);
    return NULL;
  }
  free(found);
  return real;
}
