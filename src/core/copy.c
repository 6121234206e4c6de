/*
 * copy.c - private copies of library files (copy.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/copy.h"
#include "base/file.h"
#include "base/internal.h"
#include "os/os.h"

#define TAG ".dynlib-"

/* ".<base>.dynlib-<pid>-<n>": the pid, or 0 when name is not a copy. */
static unsigned long copy_pid(const char *name) {
  if (name[0] != '.') return 0;
  const char *tag = NULL;
  for (const char *p = strstr(name, TAG); p; p = strstr(p + 1, TAG)) tag = p;
  if (tag == NULL || tag == name + 1) return 0;
  char *end;
  unsigned long pid = strtoul(tag + strlen(TAG), &end, 10);
  if (end == tag + strlen(TAG) || *end != '-' || end[1] == '\0') return 0;
  for (const char *p = end + 1; *p; p++)
    if (*p < '0' || *p > '9') return 0;
  return pid;
}

int dl_is_private_copy_name(const char *name) { return copy_pid(name) != 0; }

/* Removes the copies of base in dir whose process is gone. */
static void sweep(const char *dir, size_t dirlen, const char *base) {
  char *d = malloc(dirlen + 2);
  if (d == NULL) return;
  memcpy(d, dir, dirlen);
  strcpy(d + dirlen, dirlen ? "" : ".");
  dl_os_dir *list;
  if (dl_os_dir_open(d, &list) == 0) {
    size_t blen = strlen(base);
    dl_os_kind kind;
    const char *name;
    while ((name = dl_os_dir_next(list, &kind)) != NULL) {
      unsigned long pid = copy_pid(name);
      if (pid == 0 || strncmp(name + 1, base, blen) != 0 ||
          strncmp(name + 1 + blen, TAG, strlen(TAG)) != 0 ||
          pid == dl_os_pid() || dl_os_pid_alive(pid))
        continue;
      char *stale = malloc(dirlen + strlen(name) + 1);
      if (stale == NULL) continue;
      memcpy(stale, dir, dirlen);
      strcpy(stale + dirlen, name);
      dynlib_debug("%s: a copy left by process %lu, removed", stale, pid);
      dl_os_remove(stale);
      free(stale);
    }
    dl_os_dir_close(list);
  }
  free(d);
}

/* Copies every byte of f into the new file dst (created exclusively).
 * Returns 0, or the OS error (and err set) once dst existed or failed. */
static int copy_into(dl_file *f, const char *dst, dl_os_fd out, dynlib_error *err) {
  char buf[256];
  int e = dl_os_copy(f->fd, out, f->size);
  int ce = dl_os_close_checked(out);
  if (e == 0) e = ce;
  if (e == 0) return 0;
  dl_os_remove(dst);
  return dl_seterr(err, DYNLIB_E_IO, "%s: copying %s: %s", dst, f->path,
                   dl_os_strerror(e, buf, sizeof buf));
}

/* Next to src: NULL (and no error) when its folder takes no new file. */
static char *copy_beside(dl_file *f, const char *src, dynlib_error *err) {
  const char *base = dl_os_path_base(src);
  size_t dirlen = (size_t)(base - src);
  sweep(src, dirlen, base);
  size_t len = dirlen + strlen(base) + sizeof "." TAG + 48;
  char *path = malloc(len);
  if (path == NULL) return NULL;
  static unsigned long counter; /* names only need to be new: O_EXCL decides */
  for (int tries = 0; tries < 100; tries++) {
    unsigned long n = __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
    snprintf(path, len, "%.*s.%s" TAG "%lu-%lu", (int)dirlen, src, base, dl_os_pid(), n);
    dl_os_fd out;
    int e = dl_os_create_new(path, &out);
    if (e == 0) {
      if (copy_into(f, path, out, err) == 0) return path;
      free(path);
      return NULL;
    }
    if (dl_os_errkind_of(e) != DL_OS_E_OTHER) break;
    dl_os_info st;
    if (dl_os_lstat(path, &st) != 0) break; /* not "exists": no write access */
  }
  free(path);
  return NULL;
}

/* In a new private folder of the temporary directory. */
static char *copy_private(dl_file *f, const char *src, dynlib_error *err) {
  char buf[256];
  char *dir = NULL;
  int e = dl_os_private_dir(&dir);
  if (e != 0) {
    dl_seterr(err, DYNLIB_E_IO, "%s: cannot make a private folder: %s", src,
              dl_os_strerror(e, buf, sizeof buf));
    return NULL;
  }
  const char *base = dl_os_path_base(src);
  size_t len = strlen(dir) + strlen(base) + 2;
  char *path = malloc(len);
  dl_os_fd out;
  if (path == NULL) {
    dl_seterr(err, DYNLIB_E_IO, "%s: out of memory", src);
  } else {
    snprintf(path, len, "%s/%s", dir, base);
    if ((e = dl_os_create_new(path, &out)) != 0) {
      dl_seterr(err, DYNLIB_E_IO, "%s: %s", path, dl_os_strerror(e, buf, sizeof buf));
    } else if (copy_into(f, path, out, err) == 0) {
      free(dir);
      return path;
    }
  }
  dl_os_remove_dir(dir);
  free(dir);
  free(path);
  return NULL;
}

int dl_private_copy(const char *src, char **copy, dynlib_error *err) {
  *copy = NULL;
  dl_file f;
  if (dl_file_open(&f, src, err) != 0) return -1;
  dl_clearerr(err);
  char *path = copy_beside(&f, src, err);
  if (path == NULL && (err == NULL || err->code == DYNLIB_OK)) {
    dynlib_debug("%s: its folder takes no copy; copying to a private folder", src);
    path = copy_private(&f, src, err);
  }
  dl_file_close(&f);
  *copy = path;
  return path ? 0 : -1;
}

void dl_private_copy_remove(const char *copy) {
  dl_os_remove(copy);
  const char *base = dl_os_path_base(copy);
  if (dl_is_private_copy_name(base) || base == copy) return;
  /* A copy in a private folder of its own: the folder goes too. */
  size_t dirlen = (size_t)(base - copy) - 1;
  char *dir = malloc(dirlen + 1);
  if (dir == NULL) return;
  memcpy(dir, copy, dirlen);
  dir[dirlen] = '\0';
  if (strncmp(dl_os_path_base(dir), "dynlib-", 7) == 0) dl_os_remove_dir(dir);
  free(dir);
}
