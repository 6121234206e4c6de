/*
 * store.c - the process-wide library store.
 *
 * One entry per loaded library, keyed by the file's device + inode and by
 * the loader's handle (glibc matches by name, so a file replaced at the same
 * path can come back as the old handle). Each entry counts the dynlib
 * handles open on it and owns exactly one loader reference, dropped when the
 * last handle closes. One mutex guards the list; it is never held across
 * dlopen, dlclose or plugin code, so a library's constructor may itself open
 * libraries through dynlib.
 */
#define _GNU_SOURCE /* strdup */
#include <stdlib.h>
#include <string.h>

#include "core/check.h"
#include "core/namecache.h"
#include "core/names.h"
#include "base/internal.h"
#include "os/os.h"
#include "core/trust.h"

enum { INST_NONE, INST_RUNNING, INST_DONE };

/* ---- the loader, with dynlib's errors ----------------------------------- */

static void *os_load(const char *path, unsigned hints, dynlib_error *err) {
  char why[512];
  void *h = dl_os_load(path, hints, why, sizeof why);
  if (h == NULL)
    dl_seterr(err, DYNLIB_E_LOAD_FAILED, "%s: cannot load: %s", path, why);
  return h;
}

static int os_promote(const char *path, unsigned hints, dynlib_error *err) {
  char why[512];
  if (dl_os_promote(path, hints, why, sizeof why) == 0) return 0;
  return dl_seterr(err, DYNLIB_E_LOAD_FAILED, "%s: cannot reopen: %s", path, why);
}

static void *os_symbol(void *handle, const char *path, const char *name,
                       dynlib_error *err) {
  char why[512];
  void *p = dl_os_symbol(handle, name, why, sizeof why);
  if (p == NULL)
    dl_seterr(err, DYNLIB_E_NO_SYMBOL, "%s: no symbol '%s'%s%s", path, name,
              why[0] ? ": " : "", why[0] ? why : " (its value is NULL)");
  return p;
}

/* Names an entry was opened by: absolute paths, and bare names with the
 * search settings' epoch (BARE_MARK, the epoch, then the name key; a
 * relative path depends on the current directory and is never one).
 * Re-opening by such a name finds the entry without touching the file
 * system, as glibc's own name matching does for loaded objects. */
#define MAX_ALIASES 8

typedef struct alias {
  size_t len;
  char *key; /* name, NUL, version (not NUL-terminated) */
} alias;

typedef struct entry {
  struct entry *next;
  char *path;
  alias aliases[MAX_ALIASES];
  int naliases;
  unsigned long long dev, ino;
  void *os;        /* the loader's handle: one reference, ours */
  int refs;        /* open dynlib handles */
  int holders;     /* handles not yet released, open or closed: the entry's
                    * memory (path, ...) lives until the last is released */
  unsigned hints;  /* union of the hints it was opened with */
  int busy;        /* its dlopen or dlclose runs right now (unlocked) */
  dl_os_thread_id busy_owner;
  int inst_state;  /* INST_*: dynlib_plugin_instance runs once */
  dl_os_thread_id inst_owner;
  void *instance;
} entry;

struct dynlib_handle {
  entry *e;   /* stays set after close: the entry outlives its holders */
  int open;
  int loaded; /* this open did the real load */
};

static dl_os_mutex store_lock = DL_OS_MUTEX_INIT;
static dl_os_cond inst_cond = DL_OS_COND_INIT;
static entry *entries;
static dynlib_hook hook_fn;
static void *hook_ud;

/* ---- list helpers (store_lock held) ------------------------------------ */

static entry *find_by_id(unsigned long long dev, unsigned long long ino) {
  for (entry *e = entries; e; e = e->next)
    if (e->dev == dev && e->ino == ino) return e;
  return NULL;
}

static entry *find_by_os(void *os) {
  for (entry *e = entries; e; e = e->next)
    if (e->os == os) return e;
  return NULL;
}

/* Keys are compared by length first, then memcmp: cheaper than hashing a
 * path on every open, and there are few aliases. */
static int alias_is(const alias *a, const char *key, size_t len) {
  return a->len == len && memcmp(a->key, key, len) == 0;
}

static entry *find_by_alias(const char *key, size_t len) {
  for (entry *e = entries; e; e = e->next)
    for (int i = 0; i < e->naliases; i++)
      if (alias_is(&e->aliases[i], key, len)) return e;
  return NULL;
}

#define BARE_MARK '\1' /* no absolute path starts with it */
#define BARE_HEAD (1 + sizeof(unsigned))

/* A bare-name alias of an older epoch can never match again. */
static int alias_is_stale(const alias *a, const char *key, size_t len) {
  return len >= BARE_HEAD && key[0] == BARE_MARK && a->len >= BARE_HEAD &&
         a->key[0] == BARE_MARK && memcmp(a->key, key, BARE_HEAD) != 0;
}

static void drop_stale_aliases(entry *e, const char *key, size_t len) {
  for (int i = 0; i < e->naliases;) {
    if (!alias_is_stale(&e->aliases[i], key, len)) {
      i++;
      continue;
    }
    free(e->aliases[i].key);
    e->aliases[i] = e->aliases[--e->naliases];
  }
}

/* Remember that `key` (an absolute name or a bare one, and version) opened
 * e, dropping its bare aliases of older epochs. Best effort: when full or
 * out of memory the name is searched again next time. */
static void add_alias(entry *e, const char *key, size_t len) {
  drop_stale_aliases(e, key, len);
  if (e->naliases == MAX_ALIASES) return;
  for (int i = 0; i < e->naliases; i++)
    if (alias_is(&e->aliases[i], key, len)) return;
  char *copy = malloc(len);
  if (copy == NULL) return;
  memcpy(copy, key, len);
  e->aliases[e->naliases].key = copy;
  e->aliases[e->naliases].len = len;
  e->naliases++;
}

static void free_entry(entry *e) {
  for (int i = 0; i < e->naliases; i++) free(e->aliases[i].key);
  free(e->path);
  free(e);
}

static void unlink_entry(entry *e) {
  for (entry **p = &entries; *p; p = &(*p)->next)
    if (*p == e) {
      *p = e->next;
      return;
    }
}

/* ---- hooks ------------------------------------------------------------- */

void dynlib_set_hook(dynlib_hook fn, void *ud) {
  dl_os_lock(&store_lock);
  hook_fn = fn;
  hook_ud = ud;
  dl_os_unlock(&store_lock);
}

static void run_hook(const char *event, const char *path) {
  dl_os_lock(&store_lock);
  dynlib_hook fn = hook_fn;
  void *ud = hook_ud;
  dl_os_unlock(&store_lock);
  if (fn) fn(event, path, ud);
}

/* ---- handles ----------------------------------------------------------- */

/* Loads and unloads of one file never overlap: while an entry is `busy`
 * (its dlopen or dlclose runs, unlocked), whoever finds it waits on
 * busy_cond and looks again. Otherwise a close racing an open of the same
 * file could leave two entries on one mapping, and a plugin's instance
 * entry point would run twice in one load. The thread doing the transition
 * never waits for itself: a constructor or destructor opening its own
 * library gets an error instead of a deadlock. */
static dl_os_cond busy_cond = DL_OS_COND_INIT;

/* 0 when e is usable; otherwise waits for some transition to end and
 * returns 1: the caller looks the entry up again (e itself may be gone by
 * then). -1 when this thread owns e's transition. Store lock held. */
static int wait_busy(entry *e) {
  if (!e->busy) return 0;
  if (dl_os_thread_same(e->busy_owner, dl_os_thread_self())) return -1;
  dl_os_cond_wait(&busy_cond, &store_lock);
  return 1;
}

static void set_busy(entry *e) {
  e->busy = 1;
  e->busy_owner = dl_os_thread_self();
}

static void clear_busy(entry *e) {
  e->busy = 0;
  dl_os_cond_broadcast(&busy_cond);
}

/* Every reference to an entry is taken as a pair, refs and holders, under
 * the store lock, by whoever finds or creates the entry for a new handle. */
static void pin(entry *e) {
  e->refs++;
  e->holders++;
}

static dynlib_handle *init_handle(dynlib_handle *h, entry *e, int loaded) {
  h->e = e;
  h->open = 1;
  h->loaded = loaded;
  return h;
}

/* Drops one holder; frees the entry after the last (it is unlisted then). */
static void drop(entry *e) {
  dl_os_lock(&store_lock);
  int last = --e->holders == 0;
  dl_os_unlock(&store_lock);
  if (last) free_entry(e);
}

/* Drops one open reference. At the last, the entry stays listed but busy
 * while dlclose runs unlocked, then leaves the list. Returns 1 when this
 * was the last reference (the library was closed). */
static int release(entry *e) {
  dl_os_lock(&store_lock);
  if (--e->refs > 0) {
    dl_os_unlock(&store_lock);
    return 0;
  }
  set_busy(e);
  dl_os_unlock(&store_lock);
  dynlib_debug("unload %s", e->path);
  dl_os_unload(e->os);
  dl_os_lock(&store_lock);
  unlink_entry(e);
  clear_busy(e);
  dl_os_unlock(&store_lock);
  run_hook("unload", e->path);
  return 1;
}

/* Undo a pin that did not become a handle. */
static void unpin(entry *e) {
  release(e);
  drop(e);
}

/* Hints that must reach the loader even when the library is already open. */
static unsigned promoting(unsigned wanted, unsigned have) {
  return wanted & ~have & (DYNLIB_GLOBAL | DYNLIB_NODELETE);
}

/* The library is in the store already (e pinned by the caller): one more
 * handle on it. */
static dynlib_handle *reuse(dynlib_handle *h, entry *e, unsigned hints,
                            dynlib_error *err) {
  if (promoting(hints, e->hints)) {
    /* The pin keeps the entry alive across the unlocked re-open. */
    if (os_promote(e->path, hints, err) != 0) {
      unpin(e);
      return NULL;
    }
    dl_os_lock(&store_lock);
    e->hints |= hints;
    dl_os_unlock(&store_lock);
  }
  return init_handle(h, e, 0);
}

static entry *new_entry(const char *path, unsigned long long dev,
                        unsigned long long ino, unsigned hints) {
  entry *e = calloc(1, sizeof *e);
  if (e == NULL || (e->path = strdup(path)) == NULL) {
    free(e);
    return NULL;
  }
  e->dev = dev;
  e->ino = ino;
  e->refs = 1;
  e->holders = 1;
  e->hints = hints;
  return e;
}

static int recursive_error(const char *path, dynlib_error *err) {
  return dl_seterr(err, DYNLIB_E_LOAD_FAILED,
                   "%s: opened from its own constructor or destructor", path);
}

/* Finds (and pins) the live entry for a file, waiting out transitions.
 * NULL with *fail set when this thread is inside that file's transition. */
static entry *pin_by_id(unsigned long long dev, unsigned long long ino,
                        int *fail) {
  entry *e;
  *fail = 0;
  for (;;) {
    e = find_by_id(dev, ino);
    if (e == NULL) return NULL;
    int w = wait_busy(e);
    if (w < 0) {
      *fail = 1;
      return NULL;
    }
    if (w == 0) break;
  }
  pin(e);
  return e;
}

/* After dlopen in trusted mode: the loader mapped the file we checked
 * (same device and inode), not one swapped in meanwhile. */
static int verify_loaded(void *os, const char *path, unsigned long long dev,
                         unsigned long long ino, dynlib_error *err) {
  unsigned long long d, i;
  if (dl_os_loaded_identity(os, &d, &i) == 0 && d == dev && i == ino) return 0;
  return dl_seterr(err, DYNLIB_E_UNTRUSTED,
                   "%s: the file loaded is not the file checked", path);
}

/* The file is not in the store: enter a busy placeholder so nobody else
 * loads or unloads it meanwhile, dlopen unlocked, then publish. Store lock
 * held on entry, released on return. */
static dynlib_handle *load(dynlib_handle *h, const char *path,
                           unsigned long long dev, unsigned long long ino,
                           unsigned hints, const char *const *trusted,
                           dynlib_error *err) {
  entry *e = new_entry(path, dev, ino, hints);
  if (e == NULL) {
    dl_os_unlock(&store_lock);
    dl_seterr(err, DYNLIB_E_IO, "%s: out of memory", path);
    return NULL;
  }
  set_busy(e);
  e->next = entries;
  entries = e;
  dl_os_unlock(&store_lock);

  void *os = os_load(path, hints, err);
  if (os && trusted && verify_loaded(os, path, dev, ino, err) != 0) {
    dl_os_unload(os);
    os = NULL;
  }

  dl_os_lock(&store_lock);
  e->os = os;
  entry *same = os ? find_by_os(os) : NULL;
  /* A busy match is being unloaded: our new reference keeps the mapping,
   * and our entry takes over. */
  if (same == e || (same != NULL && same->busy)) same = NULL;
  if (os == NULL || same != NULL) unlink_entry(e);
  if (same != NULL) pin(same);
  clear_busy(e);
  dl_os_unlock(&store_lock);

  if (os == NULL) {
    free_entry(e);
    return NULL;
  }
  if (same != NULL) {
    /* glibc handed back a library it had loaded from this path before the
     * file was replaced: the same library, so the same entry. */
    dl_os_unload(os);
    free_entry(e);
    return reuse(h, same, hints, err);
  }
  dynlib_debug("loaded %s", path);
  run_hook("load", path);
  return init_handle(h, e, 1);
}

/* An absolute name opened before: the entry, pinned, or NULL. */
static entry *reopen_by_alias(const char *key, size_t len) {
  dl_os_lock(&store_lock);
  entry *e;
  for (;;) {
    e = find_by_alias(key, len);
    if (e == NULL) break;
    int w = wait_busy(e);
    if (w < 0) {
      e = NULL; /* inside its own transition: take the slow path's error */
      break;
    }
    if (w == 0) {
      pin(e);
      break;
    }
  }
  dl_os_unlock(&store_lock);
  return e;
}

static void remember(dynlib_handle *h, const char *key, size_t len) {
  dl_os_lock(&store_lock);
  add_alias(h->e, key, len);
  dl_os_unlock(&store_lock);
}

size_t dynlib_handle_size(void) { return sizeof(dynlib_handle); }

/* Trusted mode: where the file is, and where its dependencies would be
 * searched, before anything is loaded. */
static int check_trust(const char *path, const char *const *trusted,
                       dynlib_error *err) {
  if (trusted == NULL) return 0;
  if (dl_check_trusted(path, trusted, err) != 0) return -1;
  return dl_check_search_paths(path, trusted, err);
}

/* Checks the file, then joins its entry or loads it. dynlib.check
 * (binding/library.c) runs the same checks without loading. */
static dynlib_handle *open_path(dynlib_handle *h, const char *path,
                                unsigned hints, const char *const *trusted,
                                dynlib_error *err) {
  unsigned long long dev = 0, ino = 0;
  if (dl_check_library(path, &dev, &ino, err) != 0) return NULL;
  if (check_trust(path, trusted, err) != 0) return NULL;
  dl_os_lock(&store_lock);
  int fail;
  entry *e = pin_by_id(dev, ino, &fail);
  if (fail) {
    dl_os_unlock(&store_lock);
    recursive_error(path, err);
    return NULL;
  }
  if (e == NULL) return load(h, path, dev, ino, hints, trusted, err); /* unlocks */
  dl_os_unlock(&store_lock);
  return reuse(h, e, hints, err);
}

/* A name cache hit: the file is the one the search chose before, so the
 * store finds it by identity; only a library no longer open is checked
 * and loaded again. */
static dynlib_handle *open_known(dynlib_handle *h, const dl_name_hit *hit,
                                 unsigned hints, dynlib_error *err) {
  dl_os_lock(&store_lock);
  int fail;
  entry *e = pin_by_id(hit->dev, hit->ino, &fail);
  dl_os_unlock(&store_lock);
  if (fail) {
    recursive_error(hit->real, err);
    return NULL;
  }
  if (e) return reuse(h, e, hints, err);
  return open_path(h, hit->real, hints, NULL, err);
}

/* The alias key of a bare name under the settings of epoch (never 0): its
 * length, or 0 when it does not fit. */
static size_t bare_key(char *buf, size_t size, unsigned epoch,
                       const char *name, const char *version) {
  if (size <= BARE_HEAD) return 0;
  buf[0] = BARE_MARK;
  memcpy(buf + 1, &epoch, sizeof epoch);
  size_t n = dl_name_key(buf + BARE_HEAD, size - BARE_HEAD, name, version);
  return n ? BARE_HEAD + n : 0;
}

/* The search for a bare name, or the name cache's answer (one stat). */
static dynlib_handle *open_searched(dynlib_handle *h, const char *name,
                                    const dynlib_options *opt,
                                    dynlib_error *err) {
  dl_name_hit hit;
  unsigned epoch;
  if (dl_namecache_get(name, opt->version, &hit, &epoch))
    return open_known(h, &hit, opt->hints, err);
  char *chosen = NULL;
  char *path = dl_find(name, opt->version, err, &chosen);
  if (path == NULL) return NULL;
  dynlib_handle *got = open_path(h, path, opt->hints, NULL, err);
  /* dev and ino never change after the entry is made: read unlocked */
  if (got)
    dl_namecache_put(name, opt->version, epoch, chosen, path, got->e->dev,
                     got->e->ino);
  free(chosen);
  free(path);
  return got;
}

/* A bare name, not in trusted mode. While the library it named under the
 * same settings is open, the store's alias answers with no system call,
 * as for a path (scripts open by short name in loops and per frame); the
 * file is not looked at then, as dlopen does not look at a loaded
 * object's file. Otherwise the name cache or the search. */
static dynlib_handle *open_bare(dynlib_handle *h, const char *name,
                                const dynlib_options *opt, dynlib_error *err) {
  char key[1024];
  unsigned epoch = dl_namecache_epoch();
  size_t klen = epoch ? bare_key(key, sizeof key, epoch, name, opt->version) : 0;
  if (klen) {
    entry *e = reopen_by_alias(key, klen);
    if (e) {
      dynlib_debug("%s: open already: %s", name, e->path);
      return reuse(h, e, opt->hints, err);
    }
  }
  dynlib_handle *got = open_searched(h, name, opt, err);
  if (got && klen) remember(got, key, klen);
  return got;
}

dynlib_handle *dynlib_open_in(void *mem, const char *name,
                              const dynlib_options *opt, dynlib_error *err) {
  static const dynlib_options defaults = {0, NULL, NULL};
  if (opt == NULL) opt = &defaults;
  dl_clearerr(err);
  /* An absolute path is told apart by its first bytes: no scan for a
   * separator on the common by-path reopen. */
  if (opt->trusted == NULL && !dl_os_path_is_absolute(name) &&
      dl_os_path_base(name) == name)
    return open_bare(mem, name, opt, err);
  /* Trusted mode always checks the file itself. */
  char key[1024];
  size_t klen = 0;
  if (dl_os_path_is_absolute(name) && opt->trusted == NULL)
    klen = dl_name_key(key, sizeof key, name, opt->version);
  if (klen) {
    entry *e = reopen_by_alias(key, klen);
    if (e) return reuse(mem, e, opt->hints, err);
  }
  char *path = dynlib_find(name, opt->version, err);
  if (path == NULL) return NULL;
  dynlib_handle *h = open_path(mem, path, opt->hints, opt->trusted, err);
  free(path);
  if (h && klen) remember(h, key, klen);
  return h;
}

void *dynlib_sym(dynlib_handle *h, const char *name, dynlib_error *err) {
  if (!h->open) {
    dl_seterr(err, DYNLIB_E_CLOSED, "%s: library handle is closed",
              h->e->path);
    return NULL;
  }
  return os_symbol(h->e->os, h->e->path, name, err);
}

dynlib_handle *dynlib_open(const char *name, const dynlib_options *opt,
                           dynlib_error *err) {
  dynlib_handle *mem = malloc(sizeof *mem);
  if (mem == NULL) {
    dl_seterr(err, DYNLIB_E_IO, "%s: out of memory", name);
    return NULL;
  }
  dynlib_handle *h = dynlib_open_in(mem, name, opt, err);
  if (h == NULL) free(mem);
  return h;
}

int dynlib_close(dynlib_handle *h) {
  if (h == NULL || !h->open) return 0;
  h->open = 0;
  return release(h->e);
}

void dynlib_release(dynlib_handle *h) {
  if (h == NULL) return;
  dynlib_close(h);
  drop(h->e);
  h->e = NULL;
}

void dynlib_free(dynlib_handle *h) {
  dynlib_release(h);
  free(h);
}

int dynlib_is_open(const dynlib_handle *h) { return h != NULL && h->open; }
int dynlib_was_loaded(const dynlib_handle *h) { return h->loaded; }
const char *dynlib_path(const dynlib_handle *h) { return h->e->path; }
void *dynlib_os_handle(const dynlib_handle *h) {
  return h->open ? h->e->os : NULL;
}

/* ---- plugin instances -------------------------------------------------- */

typedef void *(*instance_fn)(void);

/* Wait until no other thread is running the entry point; returns the state
 * seen. A thread re-entering its own entry point sees INST_RUNNING. */
static int wait_instance(entry *e) {
  while (e->inst_state == INST_RUNNING &&
         !dl_os_thread_same(e->inst_owner, dl_os_thread_self()))
    dl_os_cond_wait(&inst_cond, &store_lock);
  return e->inst_state;
}

static void finish_instance(entry *e, int state, void *instance) {
  dl_os_lock(&store_lock);
  e->inst_state = state;
  e->instance = instance;
  dl_os_cond_broadcast(&inst_cond);
  dl_os_unlock(&store_lock);
}

void *dynlib_instance(dynlib_handle *h, dynlib_error *err) {
  dl_clearerr(err);
  if (!h->open) {
    dl_seterr(err, DYNLIB_E_CLOSED, "%s: library handle is closed",
              h->e->path);
    return NULL;
  }
  entry *e = h->e;
  dl_os_lock(&store_lock);
  int state = wait_instance(e);
  if (state == INST_DONE) {
    void *inst = e->instance;
    dl_os_unlock(&store_lock);
    return inst;
  }
  if (state == INST_RUNNING) {
    dl_os_unlock(&store_lock);
    dl_seterr(err, DYNLIB_E_INVALID,
              "%s: plugin instance requested from its own entry point",
              e->path);
    return NULL;
  }
  e->inst_state = INST_RUNNING;
  e->inst_owner = dl_os_thread_self();
  dl_os_unlock(&store_lock);

  /* The entry point runs unlocked: it may open libraries through dynlib. */
  void *sym = os_symbol(e->os, e->path, "dynlib_plugin_instance", err);
  if (sym == NULL) {
    finish_instance(e, INST_NONE, NULL);
    return NULL;
  }
  instance_fn fn;
  memcpy(&fn, &sym, sizeof fn); /* object pointer -> function pointer */
  void *inst = fn();
  finish_instance(e, INST_DONE, inst);
  return inst;
}

/* ---- listing ----------------------------------------------------------- */

size_t dynlib_store_foreach(void (*fn)(const dynlib_entry_info *, void *),
                            void *ud) {
  size_t n = 0;
  dl_os_lock(&store_lock);
  for (entry *e = entries; e; e = e->next) {
    if (e->busy) continue; /* half loaded or half unloaded */
    n++;
    dynlib_entry_info info = {e->path, e->dev, e->ino, e->refs, e->hints,
                              e->inst_state == INST_DONE};
    if (fn) fn(&info, ud);
  }
  dl_os_unlock(&store_lock);
  return n;
}
