/*
 * names.c - from a library name to the file to load (docs/design.md section 3).
 *
 * Candidate file names follow Qt's order; bare names are searched by dynlib
 * itself (dynlib path, LD_LIBRARY_PATH, ld.so.cache, default directories),
 * never in the current directory, so every file is known and checked before
 * dlopen sees it. GNU ld scripts (libm.so, libc.so on Debian) are followed.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/internal.h"
#if defined(__linux__)
#include "formats/ldcache.h"
#include "formats/ldscript.h"
#define HAVE_LDSO_CACHE 1
#else
#define HAVE_LDSO_CACHE 0
/* The loader's cache and GNU ld scripts are Linux's alone (their readers
 * are built only there): elsewhere no cache entry and no script. */
static char *dl_ldcache_lookup(const char *file) { (void)file; return NULL; }
static char *dl_ldcache_highest(const char *prefix) { (void)prefix; return NULL; }
static int dl_ldscript_target(const char *path, char *out, size_t outsize) {
  (void)path, (void)out, (void)outsize;
  return 0;
}
#endif
#include "core/names.h"
#include "formats/libname.h"
#include "os/os.h"

#define MAX_CANDIDATES 4
#define MAX_SCRIPT_DEPTH 4

/* ---- string vectors ---------------------------------------------------- */

/* Packs n strings into one allocation: the pointers, NULL, then the bytes. */
static dynlib_strv strv_pack(char *const *items, size_t n) {
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

/* ---- versions and library names ---------------------------------------- */

int dl_version_valid(const char *v) {
  if (v == NULL) return 1;
  size_t len = strlen(v);
  return len <= DL_VERSION_MAX && dl_dotted_digits(v, len);
}

/* ---- candidate names --------------------------------------------------- */

typedef struct cands {
  char *v[MAX_CANDIDATES];
  size_t n;
  int oom;
} cands;

/* Appends dir (dirlen bytes) + prefix + base + suffix unless already there. */
static void cands_add(cands *c, const char *dir, int dirlen, const char *prefix,
                      const char *base, const char *suffix) {
  if (c->oom || c->n == MAX_CANDIDATES) return;
  char *s = NULL;
  if (asprintf(&s, "%.*s%s%s%s", dirlen, dir, prefix, base, suffix) < 0) {
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

/* Qt's order: a path tries itself first, then decorated forms in its
 * directory; a bare name tries decorated forms first and itself last. A
 * prefix or suffix the name already has is not added again. An empty name
 * has no candidates. */
static void make_candidates(cands *c, const char *name, const char *version) {
  c->n = 0;
  c->oom = 0;
  if (name[0] == '\0') return;
  const char *base = dl_os_path_base(name);
  size_t dirlen = (size_t)(base - name);
  if (dirlen > INT_MAX) {
    c->oom = 1;
    return;
  }
  char suffix[DL_VERSION_MAX + 8];
  dl_name_form forms[DL_NAME_FORMS];
  size_t n = dl_name_forms(base, version, dirlen > 0, forms, suffix, sizeof suffix);
  for (size_t i = 0; i < n; i++)
    cands_add(c, name, (int)dirlen, forms[i].prefix, base, forms[i].suffix);
}

dynlib_strv dynlib_candidates(const char *name, const char *version) {
  if (name == NULL || !dl_version_valid(version)) return NULL;
  cands c;
  make_candidates(&c, name, version);
  dynlib_strv v = c.oom ? NULL : strv_pack(c.v, c.n);
  cands_free(&c);
  return v;
}

/* ---- the dynlib path --------------------------------------------------- */

/* Readers copy the list under the lock; a writer swaps in a new copy. */
static dl_os_mutex path_lock = DL_OS_MUTEX_INIT;
static char *dynlib_path_list; /* DL_OS_PATH_LIST_SEP-separated */
static int path_initialized;   /* DYNLIB_PATH read (or a path set) */
static unsigned path_generation; /* bumped by every set: the name cache's key */

int dynlib_set_path(const char *colon_list) {
  if (colon_list == NULL) {
    const char *env = dl_os_getenv("DYNLIB_PATH");
    colon_list = env ? env : "";
  }
  char *copy = strdup(colon_list);
  if (copy == NULL) return -1;
  dl_os_lock(&path_lock);
  char *old = dynlib_path_list;
  dynlib_path_list = copy;
  path_initialized = 1;
  path_generation++; /* even to the same value: that is how callers flush */
  dl_os_unlock(&path_lock);
  free(old);
  return 0;
}

unsigned dl_search_generation(void) {
  dl_os_lock(&path_lock);
  unsigned g = path_generation;
  dl_os_unlock(&path_lock);
  return g;
}

char *dynlib_get_path(void) {
  dl_os_lock(&path_lock);
  if (!path_initialized) {
    /* dl_os_getenv: a setuid program ignores DYNLIB_PATH, as ld.so
     * ignores LD_LIBRARY_PATH. On out-of-memory, retried next time. */
    const char *env = dl_os_getenv("DYNLIB_PATH");
    dynlib_path_list = strdup(env ? env : "");
    path_initialized = dynlib_path_list != NULL;
  }
  char *copy = dynlib_path_list ? strdup(dynlib_path_list) : NULL;
  dl_os_unlock(&path_lock);
  return copy;
}

/* ---- search directories ------------------------------------------------ */

typedef struct dirlist {
  char **v;
  size_t n, cap;
  size_t nuser; /* v[0..nuser) come before ld.so.cache; the rest after */
  int oom;
} dirlist;

static void dirs_push(dirlist *d, const char *dir, size_t len) {
  for (size_t i = 0; i < d->n; i++)
    if (strlen(d->v[i]) == len && memcmp(d->v[i], dir, len) == 0) return;
  if (d->n == d->cap) {
    size_t cap = d->cap ? d->cap * 2 : 16;
    char **v = realloc(d->v, cap * sizeof *v);
    if (v == NULL) {
      d->oom = 1;
      return;
    }
    d->v = v;
    d->cap = cap;
  }
  char *copy = malloc(len + 1);
  if (copy == NULL) {
    d->oom = 1;
    return;
  }
  memcpy(copy, dir, len);
  copy[len] = '\0';
  d->v[d->n++] = copy;
}

/* Empty and relative entries are skipped: they would mean the current
 * directory (or one below it), which is never searched for bare names. */
static void dirs_add_list(dirlist *d, const char *list, const char *what) {
  for (const char *p = list; p && *p && !d->oom;) {
    const char sep[2] = {DL_OS_PATH_LIST_SEP, '\0'};
    size_t len = strcspn(p, sep);
    if (len > 0 && dl_os_path_is_absolute(p)) dirs_push(d, p, len);
    else if (len > 0)
      dynlib_debug("%s: relative entry '%.*s' ignored", what, (int)len, p);
    p += len;
    if (*p == DL_OS_PATH_LIST_SEP) p++;
  }
}

static void add_default_dir(void *ud, const char *dir) {
  dirs_push(ud, dir, strlen(dir));
}

static void dirs_collect(dirlist *d) {
  memset(d, 0, sizeof *d);
  char *mine = dynlib_get_path();
  if (mine == NULL) {
    d->oom = 1;
    return;
  }
  dirs_add_list(d, mine, "dynlib path");
  free(mine);
  /* dl_os_getenv: no LD_LIBRARY_PATH in setuid programs, as ld.so does. */
  const char *var = dl_os_loader_path_var();
  if (var) dirs_add_list(d, dl_os_getenv(var), var);
  d->nuser = d->n;
  dl_os_library_dirs(add_default_dir, d);
}

static void dirs_free(dirlist *d) {
  for (size_t i = 0; i < d->n; i++) free(d->v[i]);
  free(d->v);
  d->v = NULL;
  d->n = d->cap = 0;
}

dynlib_strv dynlib_search_dirs(void) {
  dirlist d;
  dirs_collect(&d);
  dynlib_strv v = d.oom ? NULL : strv_pack(d.v, d.n);
  dirs_free(&d);
  return v;
}

/* ---- finding a file ---------------------------------------------------- */

/* Does the candidate exist? A directory counts only when it is the exact
 * path the caller named (the checks then say "a directory"): a decorated
 * or searched name that is a directory (/usr/lib/x86_64-linux-gnu/perl)
 * is passed over, as dlopen would. */
static int exists(const char *path, int exact) {
  dl_os_info st;
  int e = dl_os_stat(path, &st);
  if (e != 0) {
    char buf[256];
    dynlib_debug("candidate %s: %s", path, dl_os_strerror(e, buf, sizeof buf));
    return 0;
  }
  if (st.kind == DL_OS_DIR && !exact) {
    dynlib_debug("candidate %s: a directory, passed over", path);
    return 0;
  }
  dynlib_debug("candidate %s: exists", path);
  return 1;
}

/* The first existing candidate in dir, malloc'd, or NULL. */
static char *first_in_dir(const char *dir, const cands *c) {
  char path[PATH_MAX];
  for (size_t i = 0; i < c->n; i++) {
    int n = snprintf(path, sizeof path, "%s/%s", dir, c->v[i]);
    if (n < 0 || (size_t)n >= sizeof path) {
      dynlib_debug("candidate %s/%s: path too long", dir, c->v[i]);
      continue;
    }
    if (exists(path, 0)) return strdup(path);
  }
  return NULL;
}

/* Bare names: our directories, then the cache, then default directories. */
static char *search_bare(const cands *c, const char *name, dynlib_error *err) {
  dirlist d;
  dirs_collect(&d);
  if (d.oom) {
    dirs_free(&d);
    dl_seterr(err, DYNLIB_E_IO, "%s: out of memory", name);
    return NULL;
  }
  char *found = NULL;
  for (size_t i = 0; i < d.nuser && !found; i++) found = first_in_dir(d.v[i], c);
  for (size_t i = 0; i < c->n && !found && HAVE_LDSO_CACHE; i++) {
    found = dl_ldcache_lookup(c->v[i]);
    dynlib_debug("candidate %s: %s%s", c->v[i],
                 found ? "in ld.so.cache: " : "not in ld.so.cache",
                 found ? found : "");
  }
  for (size_t i = d.nuser; i < d.n && !found; i++)
    found = first_in_dir(d.v[i], c);
  dirs_free(&d);
  return found;
}

/* "libNAME.so.N" with the highest N in the cache, for a bare name whose
 * development link (libNAME.so) is not installed (ctypes' find_library). */
static char *search_versioned(const char *name) {
  if (dl_has_lib_suffix(name)) return NULL;
  const char *base = strncmp(name, "lib", 3) == 0 ? name + 3 : name;
  char *prefix = NULL;
  if (asprintf(&prefix, "lib%s.so.", base) < 0) return NULL;
  char *found = dl_ldcache_highest(prefix);
  dynlib_debug("%s: no development link; highest %s* in ld.so.cache: %s",
               name, prefix, found ? found : "none");
  free(prefix);
  return found;
}

/* A found file may be a GNU ld script naming the real library: an absolute
 * path is taken as it is, a file name is searched like a bare name. */
static char *follow_script(char *path, int depth, dynlib_error *err) {
  char named[PATH_MAX];
  if (dl_ldscript_target(path, named, sizeof named) <= 0)
    return path; /* not a script (or unreadable: the checks say why) */
  dynlib_debug("%s: GNU ld script naming %s", path, named);
  if (depth >= MAX_SCRIPT_DEPTH) {
    dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY,
              "%s: GNU ld scripts nest more than %d deep", path,
              MAX_SCRIPT_DEPTH);
    free(path);
    return NULL;
  }
  char *next = NULL;
  if (named[0] == '/') {
    if (exists(named, 0)) next = strdup(named);
  } else if (strchr(named, '/') == NULL) {
    cands c = {.n = 0, .oom = 0};
    cands_add(&c, "", 0, "", named, "");
    next = c.oom ? NULL : search_bare(&c, named, err);
    cands_free(&c);
  }
  if (next == NULL) {
    if (err == NULL || err->code == DYNLIB_OK)
      dl_seterr(err, DYNLIB_E_NOT_FOUND,
                "%s: GNU ld script names %s, which was not found", path,
                named);
    free(path);
    return NULL;
  }
  free(path);
  return follow_script(next, depth + 1, err);
}

/* ---- the not-found message --------------------------------------------- */

typedef struct msgbuf {
  char s[DYNLIB_MSG_MAX];
  size_t len;
} msgbuf;

/* Appends, ending in "..." when the message is full. */
static void msg_add(msgbuf *m, const char *fmt, ...) DL_PRINTF(2, 3);
static void msg_add(msgbuf *m, const char *fmt, ...) {
  size_t room = sizeof m->s - m->len;
  if (room <= 1) return;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(m->s + m->len, room, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n >= room) {
    m->len = sizeof m->s - 1;
    memcpy(m->s + m->len - 3, "...", 3);
  } else {
    m->len += (size_t)n;
  }
}

static void not_found(dynlib_error *err, const char *name, const cands *c,
                      int is_path) {
  if (err == NULL) return;
  msgbuf m = {.len = 0};
  m.s[0] = '\0';
  msg_add(&m, "%s: not found (tried ", name);
  for (size_t i = 0; i < c->n; i++)
    msg_add(&m, "%s%s", i ? ", " : "", c->v[i]);
  if (!is_path) {
    dirlist d;
    dirs_collect(&d);
    msg_add(&m, " in ");
    for (size_t i = 0; i < d.n; i++) {
      if (i == d.nuser && HAVE_LDSO_CACHE) msg_add(&m, "ld.so.cache, ");
      msg_add(&m, "%s%s", d.v[i], i + 1 < d.n ? ", " : "");
    }
    dirs_free(&d);
  }
  msg_add(&m, ")");
  dl_seterr(err, DYNLIB_E_NOT_FOUND, "%s", m.s);
}

/* ---- dynlib_find ------------------------------------------------------- */

char *dl_find(const char *name, const char *version, dynlib_error *err,
              char **chosen) {
  if (chosen) *chosen = NULL;
  dl_clearerr(err);
  if (name == NULL || name[0] == '\0') {
    dl_seterr(err, DYNLIB_E_INVALID, "empty library name");
    return NULL;
  }
  if (!dl_version_valid(version)) {
    dl_seterr(err, DYNLIB_E_INVALID,
              "%s: bad version '%.64s' (digits and dots expected)", name,
              version);
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
  int is_path = dl_os_path_base(name) != name;
  if (is_path) {
    for (size_t i = 0; i < c.n && !found; i++)
      if (exists(c.v[i], i == 0)) found = strdup(c.v[i]);
  } else {
    found = search_bare(&c, name, err);
    if (found == NULL && version == NULL && (err == NULL || err->code == 0))
      found = search_versioned(name);
  }
  if (found == NULL) {
    if (err == NULL || err->code == DYNLIB_OK) not_found(err, name, &c, is_path);
    cands_free(&c);
    return NULL;
  }
  cands_free(&c);
  found = follow_script(found, 0, err);
  if (found == NULL) return NULL;
  int e = 0;
  char *real = dl_os_realpath(found, &e);
  char buf[256];
  if (real == NULL)
    dl_seterr(err, dl_os_errkind_of(e) == DL_OS_E_NOMEM ? DYNLIB_E_IO : DYNLIB_E_NOT_FOUND,
              "%s: %s", found, dl_os_strerror(e, buf, sizeof buf));
  else if (strcmp(real, found) != 0)
    dynlib_debug("%s: real path %s", found, real);
  if (real != NULL && chosen != NULL) *chosen = found;
  else free(found);
  return real;
}

char *dynlib_find(const char *name, const char *version, dynlib_error *err) {
  return dl_find(name, version, err, NULL);
}
