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
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "internal.h"
#include "os.h"

enum { INST_NONE, INST_RUNNING, INST_DONE };

typedef struct entry {
  struct entry *next;
  char *path;
  unsigned long long dev, ino;
  void *os;        /* the loader's handle: one reference, ours */
  int refs;        /* open dynlib handles */
  unsigned hints;  /* union of the hints it was opened with */
  int inst_state;  /* INST_*: dynlib_plugin_instance runs once */
  pthread_t inst_owner;
  void *instance;
} entry;

struct dynlib_handle {
  entry *e;
  char *path;
  int open;
  int loaded; /* this open did the real load */
};

static pthread_mutex_t store_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t inst_cond = PTHREAD_COND_INITIALIZER;
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

static void unlink_entry(entry *e) {
  for (entry **p = &entries; *p; p = &(*p)->next)
    if (*p == e) {
      *p = e->next;
      return;
    }
}

/* ---- hooks ------------------------------------------------------------- */

void dynlib_set_hook(dynlib_hook fn, void *ud) {
  pthread_mutex_lock(&store_lock);
  hook_fn = fn;
  hook_ud = ud;
  pthread_mutex_unlock(&store_lock);
}

static void run_hook(const char *event, const char *path) {
  pthread_mutex_lock(&store_lock);
  dynlib_hook fn = hook_fn;
  void *ud = hook_ud;
  pthread_mutex_unlock(&store_lock);
  if (fn) fn(event, path, ud);
}

/* ---- handles ----------------------------------------------------------- */

static dynlib_handle *new_handle(entry *e, int loaded, dynlib_error *err) {
  dynlib_handle *h = malloc(sizeof *h);
  char *path = strdup(e->path);
  if (h == NULL || path == NULL) {
    free(h);
    free(path);
    dl_seterr(err, DYNLIB_E_IO, "%s: out of memory", e->path);
    return NULL;
  }
  h->e = e;
  h->path = path;
  h->open = 1;
  h->loaded = loaded;
  return h;
}

/* Drops one handle's reference; returns the entry when it was the last, so
 * the caller unloads it outside the lock. */
static entry *release(entry *e) {
  entry *dead = NULL;
  pthread_mutex_lock(&store_lock);
  if (--e->refs == 0) {
    unlink_entry(e);
    dead = e;
  }
  pthread_mutex_unlock(&store_lock);
  return dead;
}

static void unload(entry *e) {
  dynlib_debug("unload %s", e->path);
  dl_os_close(e->os);
  run_hook("unload", e->path);
  free(e->path);
  free(e);
}

/* Hints that must reach the loader even when the library is already open. */
static unsigned promoting(unsigned wanted, unsigned have) {
  return wanted & ~have & (DYNLIB_GLOBAL | DYNLIB_NODELETE);
}

/* The library is in the store already: one more handle on it. */
static dynlib_handle *reuse(entry *e, const char *path, unsigned hints,
                            dynlib_error *err) {
  if (promoting(hints, e->hints)) {
    /* The entry is pinned by our reference, so it outlives the unlocked
     * re-open. */
    if (dl_os_promote(path, hints, err) != 0) {
      entry *dead = release(e);
      if (dead) unload(dead);
      return NULL;
    }
    pthread_mutex_lock(&store_lock);
    e->hints |= hints;
    pthread_mutex_unlock(&store_lock);
  }
  dynlib_handle *h = new_handle(e, 0, err);
  if (h == NULL) {
    entry *dead = release(e);
    if (dead) unload(dead);
  }
  return h;
}

static entry *new_entry(const char *path, unsigned long long dev,
                        unsigned long long ino, void *os, unsigned hints) {
  entry *e = calloc(1, sizeof *e);
  if (e == NULL || (e->path = strdup(path)) == NULL) {
    free(e);
    return NULL;
  }
  e->dev = dev;
  e->ino = ino;
  e->os = os;
  e->refs = 1;
  e->hints = hints;
  return e;
}

/* Load a checked file and enter it in the store (or join the entry another
 * thread entered meanwhile). */
static dynlib_handle *load(const char *path, unsigned long long dev,
                           unsigned long long ino, unsigned hints,
                           dynlib_error *err) {
  void *os = dl_os_open(path, hints, err);
  if (os == NULL) return NULL;
  pthread_mutex_lock(&store_lock);
  entry *e = find_by_id(dev, ino);
  if (e == NULL) e = find_by_os(os);
  if (e != NULL) {
    /* Another thread won the race, or glibc handed back a library it had
     * loaded from this path before the file was replaced: same library. */
    e->refs++;
    pthread_mutex_unlock(&store_lock);
    dl_os_close(os); /* drop the extra loader reference */
    return reuse(e, path, hints, err);
  }
  e = new_entry(path, dev, ino, os, hints);
  if (e != NULL) {
    e->next = entries;
    entries = e;
  }
  pthread_mutex_unlock(&store_lock);
  if (e == NULL) {
    dl_os_close(os);
    dl_seterr(err, DYNLIB_E_IO, "%s: out of memory", path);
    return NULL;
  }
  dynlib_debug("loaded %s", path);
  run_hook("load", path);
  dynlib_handle *h = new_handle(e, 1, err);
  if (h == NULL) {
    entry *dead = release(e);
    if (dead) unload(dead);
  }
  return h;
}

dynlib_handle *dynlib_open(const char *name, const dynlib_options *opt,
                           dynlib_error *err) {
  static const dynlib_options defaults = {0, NULL, NULL};
  if (opt == NULL) opt = &defaults;
  dl_clearerr(err);
  char *path = dynlib_find(name, opt->version, err);
  if (path == NULL) return NULL;
  unsigned long long dev = 0, ino = 0;
  dynlib_handle *h = NULL;
  if (dl_check_library(path, &dev, &ino, err) == 0) {
    pthread_mutex_lock(&store_lock);
    entry *e = find_by_id(dev, ino);
    if (e) e->refs++;
    pthread_mutex_unlock(&store_lock);
    h = e ? reuse(e, path, opt->hints, err)
          : load(path, dev, ino, opt->hints, err);
  }
  free(path);
  return h;
}

void *dynlib_sym(dynlib_handle *h, const char *name, dynlib_error *err) {
  if (!h->open) {
    dl_seterr(err, DYNLIB_E_CLOSED, "%s: library handle is closed", h->path);
    return NULL;
  }
  return dl_os_sym(h->e->os, h->path, name, err);
}

int dynlib_close(dynlib_handle *h) {
  if (h == NULL || !h->open) return 0;
  h->open = 0;
  entry *dead = release(h->e);
  h->e = NULL;
  if (dead == NULL) return 0;
  unload(dead);
  return 1;
}

void dynlib_free(dynlib_handle *h) {
  if (h == NULL) return;
  dynlib_close(h);
  free(h->path);
  free(h);
}

int dynlib_is_open(const dynlib_handle *h) { return h != NULL && h->open; }
int dynlib_was_loaded(const dynlib_handle *h) { return h->loaded; }
const char *dynlib_path(const dynlib_handle *h) { return h->path; }
void *dynlib_os_handle(const dynlib_handle *h) {
  return h->open ? h->e->os : NULL;
}

/* ---- plugin instances -------------------------------------------------- */

typedef void *(*instance_fn)(void);

/* Wait until no other thread is running the entry point; returns the state
 * seen. A thread re-entering its own entry point sees INST_RUNNING. */
static int wait_instance(entry *e) {
  while (e->inst_state == INST_RUNNING &&
         !pthread_equal(e->inst_owner, pthread_self()))
    pthread_cond_wait(&inst_cond, &store_lock);
  return e->inst_state;
}

static void finish_instance(entry *e, int state, void *instance) {
  pthread_mutex_lock(&store_lock);
  e->inst_state = state;
  e->instance = instance;
  pthread_cond_broadcast(&inst_cond);
  pthread_mutex_unlock(&store_lock);
}

void *dynlib_instance(dynlib_handle *h, dynlib_error *err) {
  dl_clearerr(err);
  if (!h->open) {
    dl_seterr(err, DYNLIB_E_CLOSED, "%s: library handle is closed", h->path);
    return NULL;
  }
  entry *e = h->e;
  pthread_mutex_lock(&store_lock);
  int state = wait_instance(e);
  if (state == INST_DONE) {
    void *inst = e->instance;
    pthread_mutex_unlock(&store_lock);
    return inst;
  }
  if (state == INST_RUNNING) {
    pthread_mutex_unlock(&store_lock);
    dl_seterr(err, DYNLIB_E_INVALID,
              "%s: plugin instance requested from its own entry point",
              h->path);
    return NULL;
  }
  e->inst_state = INST_RUNNING;
  e->inst_owner = pthread_self();
  pthread_mutex_unlock(&store_lock);

  /* The entry point runs unlocked: it may open libraries through dynlib. */
  void *sym = dl_os_sym(e->os, h->path, "dynlib_plugin_instance", err);
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
  pthread_mutex_lock(&store_lock);
  for (entry *e = entries; e; e = e->next, n++) {
    dynlib_entry_info info = {e->path, e->dev, e->ino, e->refs, e->hints,
                              e->inst_state == INST_DONE};
    if (fn) fn(&info, ud);
  }
  pthread_mutex_unlock(&store_lock);
  return n;
}
