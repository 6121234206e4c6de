/*
 * file.c - safe opening of candidate library files (see file.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdlib.h>

#include "os/file.h"
#include "base/internal.h"

#define BLOCK (32u << 10) /* SLOTS * BLOCK stays under malloc's mmap threshold */
#define SLOTS 3

struct dl_file_cache {
  uint64_t start[SLOTS];
  size_t len[SLOTS];
  unsigned age[SLOTS], clock;
  unsigned char *data; /* SLOTS * BLOCK bytes */
};

static const char *file_kind(mode_t m) {
  if (S_ISDIR(m)) return "a directory";
  if (S_ISFIFO(m)) return "a FIFO";
  if (S_ISSOCK(m)) return "a socket";
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  return "not a regular file";
}

int dl_file_open(dl_file *f, const char *path, dynlib_error *err) {
  struct stat st;
  f->fd = -1;
  f->path = path;
  /* stat first: open() on a FIFO blocks and on a device can have effects. */
  if (stat(path, &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR)
      return dl_seterr(err, DYNLIB_E_NOT_FOUND, "%s: no such file", path);
    return dl_seterr(err, DYNLIB_E_IO, "%s: %s", path, strerror(errno));
  }
  if (!S_ISREG(st.st_mode))
    return dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY, "%s: %s, not a library",
                     path, file_kind(st.st_mode));
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0)
    return dl_seterr(err, DYNLIB_E_IO, "%s: %s", path, strerror(errno));
  /* The path may have been swapped between stat and open: trust fstat. */
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY,
                     "%s: not a regular file, not a library", path);
  }
  if (st.st_size == 0) {
    close(fd);
    return dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY,
                     "%s: empty file, not a library", path);
  }
  f->fd = fd;
  f->cache = NULL;
  f->headlen = 0;
  f->head_read = 0;
  f->size = (uint64_t)st.st_size;
  f->dev = st.st_dev;
  f->ino = st.st_ino;
  return 0;
}

static int pread_full(int fd, uint64_t off, void *buf, size_t len) {
  char *p = buf;
  while (len > 0) {
    ssize_t n = pread(fd, p, len, (off_t)off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    p += n;
    off += (uint64_t)n;
    len -= (size_t)n;
  }
  return 0;
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
    if (c == NULL) return pread_full(f->fd, off, buf, len);
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
  if (pread_full(f->fd, start, c->data + (size_t)slot * BLOCK, n) != 0) return -1;
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
    if (pread_full(f->fd, 0, f->head, n) == 0) f->headlen = n;
  }
  if (off + len <= f->headlen) {
    memcpy(buf, f->head + off, len);
    return 0;
  }
  if (len <= BLOCK / 4 && off / BLOCK == (off + len - 1) / BLOCK)
    return cached_read(f, off, buf, len);
  return pread_full(f->fd, off, buf, len);
}

uint64_t dl_file_next_data(void *ctx, uint64_t off) {
  dl_file *f = ctx;
  off_t next = lseek(f->fd, (off_t)off, SEEK_DATA);
  if (next < 0) return errno == ENXIO ? f->size : off; /* ENXIO: no more data */
  return (uint64_t)next;
}

void dl_file_close(dl_file *f) {
  if (f->fd >= 0) close(f->fd);
  f->fd = -1;
  if (f->cache) {
    free(f->cache->data);
    free(f->cache);
    f->cache = NULL;
  }
}
