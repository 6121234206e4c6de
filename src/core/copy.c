/*
 * copy.c - private copies of library files (copy.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/copy.h"
#include "base/file.h"
#include "base/internal.h"

/* Copies every byte of f into the new file dst (created exclusively). */
static int copy_bytes(dl_file *f, const char *dst, dynlib_error *err) {
  char buf[256];
  dl_os_fd out;
  int e = dl_os_create_new(dst, &out);
  if (e != 0) return dl_seterr(err, DYNLIB_E_IO, "%s: %s", dst, dl_os_strerror(e, buf, sizeof buf));
  e = dl_os_copy(f->fd, out, f->size);
  int ce = dl_os_close_checked(out);
  if (e == 0) e = ce;
  if (e != 0)
    return dl_seterr(err, DYNLIB_E_IO, "%s: copying %s: %s", dst, f->path,
                     dl_os_strerror(e, buf, sizeof buf));
  return 0;
}

int dl_private_copy(const char *src, char **copy, dynlib_error *err) {
  *copy = NULL;
  dl_file f;
  if (dl_file_open(&f, src, err) != 0) return -1;
  char *dir = NULL;
  int e = dl_os_private_dir(&dir);
  if (e != 0) {
    char buf[256];
    dl_file_close(&f);
    return dl_seterr(err, DYNLIB_E_IO, "%s: cannot make a private folder: %s", src,
                     dl_os_strerror(e, buf, sizeof buf));
  }
  const char *base = src;
  for (const char *p = src; *p; p++)
    if (dl_os_is_sep(*p)) base = p + 1;
  size_t len = strlen(dir) + strlen(base) + 2;
  char *path = malloc(len);
  int rc = path ? 0 : dl_seterr(err, DYNLIB_E_IO, "%s: out of memory", src);
  if (rc == 0) {
    snprintf(path, len, "%s/%s", dir, base);
    rc = copy_bytes(&f, path, err);
    if (rc != 0) dl_os_remove(path);
  }
  dl_file_close(&f);
  if (rc != 0) {
    dl_os_remove_dir(dir);
    free(path);
    path = NULL;
  }
  free(dir);
  *copy = path;
  return rc;
}
