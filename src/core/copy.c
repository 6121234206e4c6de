/*
 * copy.c - private copies of library files (copy.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/copy.h"
#include "os/file.h"
#include "base/internal.h"

#define COPY_BLOCK (64u << 10)

static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Copies every byte of f into the new file dst (created exclusively). */
static int copy_bytes(dl_file *f, const char *dst, dynlib_error *err) {
  int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0700);
  if (out < 0) return dl_seterr(err, DYNLIB_E_IO, "%s: %s", dst, strerror(errno));
  char *buf = malloc(COPY_BLOCK);
  int rc = buf ? 0 : dl_seterr(err, DYNLIB_E_IO, "%s: out of memory", dst);
  for (uint64_t off = 0; rc == 0 && off < f->size;) {
    size_t n = f->size - off < COPY_BLOCK ? (size_t)(f->size - off) : COPY_BLOCK;
    if (dl_file_read_at(f, off, buf, n) != 0)
      rc = dl_seterr(err, DYNLIB_E_IO, "%s: read failed while copying", f->path);
    else if (write_all(out, buf, n) != 0)
      rc = dl_seterr(err, DYNLIB_E_IO, "%s: %s", dst, strerror(errno));
    off += n;
  }
  free(buf);
  if (close(out) != 0 && rc == 0)
    rc = dl_seterr(err, DYNLIB_E_IO, "%s: %s", dst, strerror(errno));
  return rc;
}

int dl_private_copy(const char *src, char **copy, dynlib_error *err) {
  *copy = NULL;
  dl_file f;
  if (dl_file_open(&f, src, err) != 0) return -1;
  const char *tmp = secure_getenv("TMPDIR");
  if (tmp == NULL || tmp[0] != '/') tmp = "/tmp";
  const char *base = strrchr(src, '/');
  base = base ? base + 1 : src;
  size_t len = strlen(tmp) + strlen(base) + sizeof "/dynlib-XXXXXX/";
  char *path = malloc(len);
  if (path == NULL) {
    dl_file_close(&f);
    return dl_seterr(err, DYNLIB_E_IO, "%s: out of memory", src);
  }
  snprintf(path, len, "%s/dynlib-XXXXXX", tmp);
  if (mkdtemp(path) == NULL) {
    int e = errno;
    dl_file_close(&f);
    free(path);
    return dl_seterr(err, DYNLIB_E_IO, "%s: cannot make a private folder in %s: %s", src,
                     tmp, strerror(e));
  }
  size_t dir_len = strlen(path);
  snprintf(path + dir_len, len - dir_len, "/%s", base);
  int rc = copy_bytes(&f, path, err);
  dl_file_close(&f);
  if (rc != 0) {
    unlink(path);
    path[dir_len] = '\0';
    rmdir(path);
    free(path);
    return -1;
  }
  *copy = path;
  return 0;
}
