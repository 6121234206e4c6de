/*
 * file.c - safe opening of candidate library files (see file.h).
 */
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "base/internal.h"

#define BLOCK (32u << 10) /* SLOTS * BLOCK stays under malloc's mmap threshold */
#define SLOTS 3

struct dl_file_cache {
  uint64_t start[SLOTS];
  size_t len[SLOTS];
  unsigned age[SLOTS], clock;
  unsigned char *data; /* SLOTS * BLOCK bytes */
};

static const char *kind_text(dl_os_kind k) {
  switch (k) {
    case DL_OS_DIR: return "a directory";
    case DL_OS_FIFO: return "a FIFO";
    case DL_OS_SOCKET: return "a socket";
    case DL_OS_CHARDEV: return "a character device";
    case DL_OS_BLOCKDEV: return "a block device";
    default: return "not a regular file";
  }
}

/* An OS error about path as a dynlib error: not_found or io. */
int dl_file_error(dynlib_error *err, const char *path, int e) {
  char buf[256];
  dl_os_errkind k = dl_os_errkind_of(e);
  if (k == DL_OS_E_MISSING || k == DL_OS_E_NOTDIR)
    return dl_seterr(err, DYNLIB_E_NOT_FOUND, "%s: no such file", path);
  return dl_seterr(err, DYNLIB_E_IO, "%s: %s", path, dl_os_strerror(e, buf, sizeof buf));
}

/* Checks the opened file (the path may have been swapped since any earlier
 * look at it: only the descriptor is trusted); closes it on failure. */
int dl_file_check(dl_file *f, dynlib_error *err) {
  dl_os_info st;
  int e = dl_os_fstat(f->fd, &st);
  if (e == 0 && st.kind == DL_OS_FILE && st.size > 0) {
    f->size = st.size;
    f->dev = st.dev;
    f->ino = st.ino;
    return 0;
  }
  dl_file_close(f);
  if (e != 0) return dl_file_error(err, f->path, e);
  return dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY, "%s: %s, not a library", f->path,
                   st.kind == DL_OS_FILE ? "empty file" : "not a regular file");
}

/* Opens path, nothing read yet and the size unknown until checked. */
static int open_only(dl_file *f, const char *path, dynlib_error *err) {
  int e = dl_os_open_read(path, &f->fd);
  if (e != 0) {
    f->fd = DL_OS_NO_FD;
    return dl_file_error(err, path, e);
  }
  f->cache = NULL;
  f->headlen = 0;
  f->head_read = 0;
  f->size = 0;
  return 0;
}

static int open_checked(dl_file *f, const char *path, dynlib_error *err) {
  if (open_only(f, path, err) != 0) return -1;
  return dl_file_check(f, err);
}

/* stat first: opening a FIFO blocks and opening a device can have effects. */
static int stat_first(const char *path, dynlib_error *err) {
  dl_os_info st;
  int e = dl_os_stat(path, &st);
  if (e != 0) return dl_file_error(err, path, e);
  if (st.kind != DL_OS_FILE)
    return dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY, "%s: %s, not a library",
                     path, kind_text(st.kind));
  if (st.size == 0)
    return dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY,
                     "%s: empty file, not a library", path);
  return 0;
}

int dl_file_open(dl_file *f, const char *path, dynlib_error *err) {
  f->fd = DL_OS_NO_FD;
  f->path = path;
  if (stat_first(path, err) != 0) return -1;
  return open_checked(f, path, err);
}

int dl_file_open_deferred(dl_file *f, const char *path, int listed,
                          dynlib_error *err) {
  f->fd = DL_OS_NO_FD;
  f->path = path;
  f->cache = NULL;
  if (!listed && stat_first(path, err) != 0) return -1;
  return open_only(f, path, err);
}

size_t dl_file_head(dl_file *f) {
  if (!f->head_read) {
    size_t got;
    f->head_read = 1;
    if (dl_os_read_upto(f->fd, 0, f->head, DL_FILE_HEAD, &got) == 0) f->headlen = got;
  }
  return f->headlen;
}

int dl_file_open_listed(dl_file *f, const char *path, dynlib_error *err) {
  f->fd = DL_OS_NO_FD;
  f->path = path;
  return open_checked(f, path, err);
}

/* A small read inside one block: from the cache, filling the least
 * recently used slot on a miss. Falls back to a plain read without memory. */
static int cached_read(dl_file *f, uint64_t off, void *buf, size_t len) {
  struct dl_file_cache *c = f->cache;
  if (c == NULL) {
    c = f->cache = calloc(1, sizeof *c);
    if (c && (c->data = malloc((size_t)SLOTS * BLOCK)) == NULL) {
      free(c);
      c = f->cache = NULL;
    }
    if (c == NULL) return dl_os_read_at(f->fd, off, buf, len);
    for (int i = 0; i < SLOTS; i++) c->start[i] = UINT64_MAX;
  }
  uint64_t start = off - off % BLOCK;
  int slot = 0;
  for (int i = 0; i < SLOTS; i++) {
    if (c->start[i] == start) {
      slot = i;
      goto hit;
    }
    if (c->age[i] < c->age[slot]) slot = i;
  }
  size_t n = f->size - start < BLOCK ? (size_t)(f->size - start) : BLOCK;
  c->start[slot] = UINT64_MAX;
  if (dl_os_read_at(f->fd, start, c->data + (size_t)slot * BLOCK, n) != 0) return -1;
  c->start[slot] = start;
  c->len[slot] = n;
hit:
  c->age[slot] = ++c->clock;
  if (off - start + len > c->len[slot]) return -1;
  memcpy(buf, c->data + (size_t)slot * BLOCK + (off - start), len);
  return 0;
}

int dl_file_read_at(void *ctx, uint64_t off, void *buf, size_t len) {
  dl_file *f = ctx;
  if (off > f->size || len > f->size - off) return -1;
  if (!f->head_read && off < DL_FILE_HEAD) {
    size_t n = f->size < DL_FILE_HEAD ? (size_t)f->size : DL_FILE_HEAD;
    f->head_read = 1;
    if (dl_os_read_at(f->fd, 0, f->head, n) == 0) f->headlen = n;
  }
  /* The head may have been read before the size was known (dl_file_head):
   * the first check keeps every read inside the size all the same. */
  if (off + len <= f->headlen) {
    memcpy(buf, f->head + off, len);
    return 0;
  }
  if (len <= BLOCK / 4 && off / BLOCK == (off + len - 1) / BLOCK)
    return cached_read(f, off, buf, len);
  return dl_os_read_at(f->fd, off, buf, len);
}

uint64_t dl_file_next_data(void *ctx, uint64_t off) {
  dl_file *f = ctx;
  return dl_os_next_data(f->fd, off, f->size);
}

void dl_file_close(dl_file *f) {
  if (f->fd != DL_OS_NO_FD) dl_os_close(f->fd);
  f->fd = DL_OS_NO_FD;
  if (f->cache) {
    free(f->cache->data);
    free(f->cache);
    f->cache = NULL;
  }
}
