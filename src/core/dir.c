/*
 * dir.c - listing a plugin folder and reading every file's metadata
 * (dir.h). Nothing here loads a file or runs its code.
 *
 * Speed matters: a scan of a large folder is system calls on independent
 * files (open, fstat, one pread, close), so the listing's d_type stands in
 * for the stat before open, and the reads are shared out to a few threads.
 */
#define _GNU_SOURCE /* strdup */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/copy.h"
#include "core/dir.h"
#include "base/internal.h"
#include "os/os.h"

#define MAX_THREADS 8 /* dl_scan_run's tid[] */
#define ITEMS_PER_THREAD 32
#define BLOCK_BYTES (16u << 10) /* a hundred paths or texts */

struct dl_scan_block {
  dl_scan_block *next;
  size_t used, cap;
  char data[];
};

void dl_scan_init(dl_scan *s) {
  s->items = NULL;
  s->n = s->cap = 0;
  s->blocks = s->path_block = NULL;
}

/* n bytes from *cur, or from a new block (made *cur) when it is full; a
 * thread keeps its own *cur, and only adding a block to the scan's list
 * is shared (atomic). A text over a quarter of a block gets a block of its
 * own, which stays out of *cur. */
static void *take(dl_scan *s, dl_scan_block **cur, size_t n) {
  dl_scan_block *b = *cur;
  if (b == NULL || b->cap - b->used < n) {
    size_t cap = n > BLOCK_BYTES / 4 ? n : BLOCK_BYTES;
    b = malloc(offsetof(dl_scan_block, data) + cap);
    if (b == NULL) return NULL;
    b->used = 0;
    b->cap = cap;
    b->next = __atomic_load_n(&s->blocks, __ATOMIC_RELAXED);
    while (!__atomic_compare_exchange_n(&s->blocks, &b->next, b, 1, __ATOMIC_RELEASE,
                                        __ATOMIC_RELAXED)) {
    }
    if (cap == BLOCK_BYTES) *cur = b;
  }
  char *p = b->data + b->used;
  b->used += n;
  return p;
}

/* A reading thread's blocks: dl_meta_read_to's allocator. */
typedef struct reader {
  dl_scan *s;
  dl_scan_block **cur;
} reader;

static void *take_text(void *ctx, size_t n) {
  reader *r = ctx;
  return take(r->s, r->cur, n);
}

static int oom(dynlib_error *err) {
  return dl_seterr(err, DYNLIB_E_IO, "out of memory");
}

/* path is in the scan's blocks (NULL: out of memory). */
static int push(dl_scan *s, char *path, dl_kind kind, dynlib_error *err) {
  if (path == NULL) return oom(err);
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 64;
    dl_scan_item *items = realloc(s->items, cap * sizeof *items);
    if (items == NULL) return oom(err);
    s->items = items;
    s->cap = cap;
  }
  dl_scan_item *it = &s->items[s->n++];
  memset(it, 0, sizeof *it);
  it->path = path;
  it->kind = kind;
  return 0;
}

int dl_scan_add(dl_scan *s, const char *path, dynlib_error *err) {
  size_t n = strlen(path) + 1;
  char *p = take(s, &s->path_block, n);
  if (p) memcpy(p, path, n);
  return push(s, p, DL_KIND_UNKNOWN, err);
}

/* dir (a bytes long) and name joined, in the scan's blocks. */
static char *join(dl_scan *s, const char *dir, size_t a, const char *name) {
  size_t b = strlen(name);
  int slash = a > 0 && !dl_os_is_sep(dir[a - 1]);
  char *p = take(s, &s->path_block, a + slash + b + 1);
  if (p == NULL) return NULL;
  memcpy(p, dir, a);
  if (slash) p[a] = '/';
  memcpy(p + a + slash, name, b + 1);
  return p;
}

/* The kind as the OS says it; UNKNOWN for links, whose target decides. */
static dl_kind kind_of(dl_os_kind k) {
  switch (k) {
    case DL_OS_FILE: return DL_KIND_FILE;
    case DL_OS_DIR: return DL_KIND_DIR;
    case DL_OS_FIFO: return DL_KIND_FIFO;
    case DL_OS_SOCKET: return DL_KIND_SOCKET;
    case DL_OS_CHARDEV:
    case DL_OS_BLOCKDEV: return DL_KIND_DEVICE;
    case DL_OS_UNKNOWN:
    case DL_OS_LINK: return DL_KIND_UNKNOWN;
    default: return DL_KIND_OTHER;
  }
}

/* lstat, and stat through a link; *link tells a link apart. */
static dl_kind kind_by_stat(const char *path, int *link) {
  dl_os_info st;
  *link = 0;
  if (dl_os_lstat(path, &st) != 0) return DL_KIND_UNKNOWN; /* gone: the read says */
  if (st.kind == DL_OS_LINK) {
    *link = 1;
    if (dl_os_stat(path, &st) != 0) return DL_KIND_BROKEN_LINK;
  }
  dl_kind k = kind_of(st.kind);
  return k == DL_KIND_UNKNOWN ? DL_KIND_OTHER : k;
}

static int open_error(const char *dir, int e, dynlib_error *err) {
  char buf[256];
  dl_os_errkind k = dl_os_errkind_of(e);
  if (k == DL_OS_E_MISSING)
    return dl_seterr(err, DYNLIB_E_NOT_FOUND, "%s: no such folder", dir);
  if (k == DL_OS_E_NOTDIR)
    return dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY, "%s: not a folder", dir);
  return dl_seterr(err, DYNLIB_E_IO, "%s: %s", dir, dl_os_strerror(e, buf, sizeof buf));
}

static int list(dl_scan *s, const char *dir, int recursive, int depth,
                dynlib_error *err);

/* A sub-folder: entered when asked (and not through a link); one that
 * cannot be read becomes an item carrying the reason. */
static int enter(dl_scan *s, char *path, int link, int recursive, int depth,
                 dynlib_error *err) {
  if (!recursive || link || depth >= DL_SCAN_MAX_DEPTH) return 0;
  dynlib_error sub;
  if (list(s, path, 1, depth + 1, &sub) == 0) return 0;
  if (push(s, path, DL_KIND_DIR, err) != 0) return -1;
  dl_scan_item *it = &s->items[s->n - 1];
  it->code = sub.code;
  it->msg = strdup(sub.msg);
  return 0;
}

static int list(dl_scan *s, const char *dir, int recursive, int depth,
                dynlib_error *err) {
  dl_os_dir *d;
  int e = dl_os_dir_open(dir, &d);
  if (e != 0) return open_error(dir, e, err);
  const char *name;
  dl_os_kind os_kind;
  int rc = 0;
  size_t dirlen = strlen(dir);
  while (rc == 0 && (name = dl_os_dir_next(d, &os_kind)) != NULL) {
    if (dl_is_private_copy_name(name)) continue; /* a running plugin's copy */
    char *path = join(s, dir, dirlen, name);
    if (path == NULL) {
      rc = oom(err);
      break;
    }
    int link = 0;
    dl_kind kind = kind_of(os_kind);
    if (kind == DL_KIND_UNKNOWN) kind = kind_by_stat(path, &link);
    if (kind == DL_KIND_DIR) rc = enter(s, path, link, recursive, depth, err);
    else rc = push(s, path, kind, err);
  }
  dl_os_dir_close(d);
  return rc;
}

int dl_scan_list(dl_scan *s, const char *dir, int recursive,
                 dynlib_error *err) {
  return list(s, dir, recursive, 0, err);
}

static int by_path(const void *a, const void *b) {
  return strcmp(((const dl_scan_item *)a)->path, ((const dl_scan_item *)b)->path);
}

void dl_scan_sort(dl_scan *s) {
  if (s->n > 1) qsort(s->items, s->n, sizeof *s->items, by_path);
}

/* Why an entry that is not a regular file is no plugin; read nothing. */
static int refuse_kind(const dl_scan_item *it, dynlib_error *err) {
  switch (it->kind) {
    case DL_KIND_FIFO:
      return dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY, "%s: a FIFO, not a library", it->path);
    case DL_KIND_SOCKET:
      return dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY, "%s: a socket, not a library", it->path);
    case DL_KIND_DEVICE:
      return dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY, "%s: a device, not a library", it->path);
    case DL_KIND_BROKEN_LINK:
      return dl_seterr(err, DYNLIB_E_NOT_FOUND, "%s: a broken symbolic link", it->path);
    case DL_KIND_DIR:
      return dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY, "%s: a directory, not a library", it->path);
    default:
      return dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY,
                       "%s: not a regular file, not a library", it->path);
  }
}

static void read_item(dl_scan_item *it, dl_scan_hook hook, void *ctx, reader *r) {
  dynlib_error err;
  int rc = 0;
  if (it->code != DYNLIB_OK) goto done; /* a sub-folder that could not be read */
  if (it->kind == DL_KIND_FILE || it->kind == DL_KIND_UNKNOWN)
    rc = dl_meta_read_to(it->path, it->kind == DL_KIND_FILE, take_text, r, &it->meta, &err);
  else rc = refuse_kind(it, &err);
  if (rc != 0) {
    it->code = err.code != DYNLIB_OK ? err.code : DYNLIB_E_IO;
    it->msg = strdup(err.msg);
  } else if (hook) {
    hook(it, ctx);
  }
done:
  __atomic_store_n(&it->done, 1, __ATOMIC_RELEASE);
}

/* Takes the next unread item and reads it, its text into *cur: 0 when
 * none was left. */
static int read_next(dl_scan_run *run, dl_scan_block **cur) {
  size_t i = __atomic_fetch_add(&run->next, 1, __ATOMIC_RELAXED);
  if (i >= run->s->n) return 0;
  reader r = {run->s, cur};
  read_item(&run->s->items[i], run->hook, run->ctx, &r);
  return 1;
}

static void read_rest(dl_scan_run *run, dl_scan_block **cur) {
  while (read_next(run, cur)) {
  }
}

static void work(void *arg) {
  dl_scan_block *cur = NULL;
  read_rest(arg, &cur);
}

static unsigned pick_threads(size_t n, unsigned asked) {
  unsigned t = asked;
  if (t == 0) {
    unsigned cpus = dl_os_cpu_count();
    t = cpus > MAX_THREADS ? MAX_THREADS : cpus;
    size_t by_items = n / ITEMS_PER_THREAD;
    if (t > by_items) t = by_items > 0 ? (unsigned)by_items : 1;
  }
  if (t > MAX_THREADS) t = MAX_THREADS;
  if (t > n) t = n > 0 ? (unsigned)n : 1;
  return t;
}

void dl_scan_start(dl_scan_run *run, dl_scan *s, unsigned threads,
                   dl_scan_hook hook, void *ctx) {
  run->s = s;
  run->hook = hook;
  run->ctx = ctx;
  run->next = 0;
  run->block = NULL;
  run->started = 0;
  unsigned t = pick_threads(s->n, threads);
  while (run->started + 1 < t && dl_os_thread_start(&run->tid[run->started], work, run) == 0)
    run->started++;
}

void dl_scan_wait(dl_scan_run *run, size_t i) {
  const dl_scan_item *it = &run->s->items[i];
  while (!__atomic_load_n(&it->done, __ATOMIC_ACQUIRE)) {
    /* Another thread has it: read a later one meanwhile, or let it run. */
    if (!read_next(run, &run->block)) dl_os_yield();
  }
}

void dl_scan_finish(dl_scan_run *run) {
  read_rest(run, &run->block); /* with no worker, this thread reads everything */
  for (unsigned i = 0; i < run->started; i++) dl_os_thread_join(&run->tid[i]);
  run->started = 0;
}

void dl_scan_read(dl_scan *s, unsigned threads, dl_scan_hook hook, void *ctx) {
  dl_scan_run run;
  dl_scan_start(&run, s, threads, hook, ctx);
  dl_scan_finish(&run);
}

int dl_scan_gather(dl_scan *s, const char *dir, const char *const *paths,
                   int recursive, dynlib_error *err) {
  if (paths) {
    for (size_t i = 0; paths[i]; i++)
      if (dl_scan_add(s, paths[i], err) != 0) return -1;
  } else if (dl_scan_list(s, dir, recursive, err) != 0) {
    return -1;
  }
  dl_scan_sort(s);
  return 0;
}

int dl_scan_collect(dl_scan *s, const char *dir, const char *const *paths,
                    int recursive, unsigned threads, dl_scan_hook hook,
                    void *ctx, dynlib_error *err) {
  if (dl_scan_gather(s, dir, paths, recursive, err) != 0) return -1;
  dl_scan_read(s, threads, hook, ctx);
  return 0;
}

void dl_scan_free(dl_scan *s, void (*drop)(void *user)) {
  for (size_t i = 0; i < s->n; i++) {
    dl_scan_item *it = &s->items[i];
    if (drop && it->user) drop(it->user);
    dl_meta_free(&it->meta);
    free(it->msg);
  }
  free(s->items);
  while (s->blocks) {
    dl_scan_block *b = s->blocks;
    s->blocks = b->next;
    free(b);
  }
  dl_scan_init(s);
}
