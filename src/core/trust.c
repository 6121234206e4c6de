/*
 * trust.c - trusted mode (docs/design.md section 4.6): a library loads only from inside a
 * trusted directory that nobody else could have written to, and only if
 * its own search paths (RPATH/RUNPATH) stay inside the trusted directories,
 * since its dependencies would come from there.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "formats/elf.h"
#include "base/file.h"
#include "formats/inspect.h"
#include "base/internal.h"
#include "core/trust.h"
#include "os/os.h"

/* Is path equal to dir or below it? Both are real paths. */
static int inside(const char *path, const char *dir) {
  size_t n = strlen(dir);
  if (n == 1 && dir[0] == '/') return 1;
  return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/* The trusted directory (real path, malloc'd) holding real, or NULL. */
static char *trusted_root(const char *real, const char *const *dirs) {
  for (size_t i = 0; dirs[i]; i++) {
    char *root = dl_os_realpath(dirs[i], NULL);
    if (root && inside(real, root)) return root;
    free(root);
  }
  return NULL;
}

/* One path component: owned by root or us; not writable by group or
 * others, except a sticky directory above the trusted root (/tmp). */
static int check_component(const char *path, int above_root,
                           dynlib_error *err) {
  dl_os_info st;
  int e = dl_os_lstat(path, &st);
  if (e != 0) {
    char buf[256];
    return dl_seterr(err, DYNLIB_E_UNTRUSTED, "%s: %s", path,
                     dl_os_strerror(e, buf, sizeof buf));
  }
  if (st.uid != 0 && st.uid != dl_os_euid())
    return dl_seterr(err, DYNLIB_E_UNTRUSTED,
                     "%s: owned by user %llu, neither root nor us", path, st.uid);
  int sticky = st.kind == DL_OS_DIR && st.sticky;
  if (st.group_or_other_writable && !(above_root && sticky))
    return dl_seterr(err, DYNLIB_E_UNTRUSTED,
                     "%s: writable by group or others", path);
  return 0;
}

int dl_check_trusted(const char *real, const char *const *dirs,
                     dynlib_error *err) {
  const char *why = dl_os_trust_unsupported();
  if (why) return dl_seterr(err, DYNLIB_E_UNTRUSTED, "%s: %s", real, why);
  char *root = trusted_root(real, dirs);
  if (root == NULL)
    return dl_seterr(err, DYNLIB_E_UNTRUSTED,
                     "%s: not inside a trusted directory", real);
  size_t rootlen = strlen(root);
  char path[PATH_MAX];
  int rc = check_component("/", rootlen > 1, err);
  /* Walk "/a", "/a/b", ... down to the file itself. */
  for (const char *p = real + 1; rc == 0 && *p;) {
    const char *slash = strchr(p, '/');
    size_t n = slash ? (size_t)(slash - real) : strlen(real);
    if (n >= sizeof path) {
      rc = dl_seterr(err, DYNLIB_E_UNTRUSTED, "%s: path too long", real);
      break;
    }
    memcpy(path, real, n);
    path[n] = '\0';
    rc = check_component(path, n < rootlen, err);
    p = slash ? slash + 1 : real + n;
  }
  free(root);
  return rc;
}

/* One RPATH/RUNPATH entry, with $ORIGIN expanded: must be absolute and
 * inside a trusted directory. */
static int check_search_dir(const char *real, const char *entry, size_t len,
                            const char *which, const char *const *dirs,
                            dynlib_error *err) {
  char dir[PATH_MAX];
  const char *origin_end = strrchr(real, '/');
  size_t olen = origin_end ? (size_t)(origin_end - real) : 0;
  size_t out = 0;
  for (size_t i = 0; i < len && out < sizeof dir - 1;) {
    if (strncmp(entry + i, "$ORIGIN", 7) == 0 || strncmp(entry + i, "${ORIGIN}", 9) == 0) {
      if (out + olen >= sizeof dir) break;
      memcpy(dir + out, real, olen);
      out += olen;
      i += entry[i + 1] == '{' ? 9 : 7;
    } else if (entry[i] == '$') {
      return dl_seterr(err, DYNLIB_E_UNTRUSTED,
                       "%s: %s entry '%.*s' uses a token dynlib cannot check",
                       real, which, (int)len, entry);
    } else {
      dir[out++] = entry[i++];
    }
  }
  dir[out] = '\0';
  if (dir[0] != '/')
    return dl_seterr(err, DYNLIB_E_UNTRUSTED,
                     "%s: %s entry '%.*s' is relative", real, which, (int)len,
                     entry);
  /* A directory that does not exist yet is judged by its name. */
  char *resolved = dl_os_realpath(dir, NULL);
  const char *check = resolved ? resolved : dir;
  int ok = 0;
  for (size_t i = 0; dirs[i] && !ok; i++) {
    char *root = dl_os_realpath(dirs[i], NULL);
    ok = root && inside(check, root);
    free(root);
  }
  free(resolved);
  if (!ok)
    return dl_seterr(err, DYNLIB_E_UNTRUSTED,
                     "%s: %s %s is outside the trusted directories", real,
                     which, dir);
  return 0;
}

static int check_search_path(const char *real, const char *list,
                             const char *which, const char *const *dirs,
                             dynlib_error *err) {
  for (const char *p = list; p && *p;) {
    size_t len = strcspn(p, ":");
    if (len > 0 && check_search_dir(real, p, len, which, dirs, err) != 0)
      return -1;
    p += len;
    if (*p == ':') p++;
  }
  return 0;
}

int dl_check_search_paths(const char *real, const char *const *dirs,
                          dynlib_error *err) {
  dl_file f;
  if (dl_file_open(&f, real, err) != 0) return -1;
  dl_elf e;
  dl_inspection in;
  int rc = dl_elf_open(&e, dl_file_read_at, &f, f.size, real, err);
  if (rc == 0) rc = dl_inspect_dynamic(&e, &in, err);
  dl_file_close(&f);
  if (rc != 0) return -1;
  rc = check_search_path(real, in.rpath, "RPATH", dirs, err);
  if (rc == 0) rc = check_search_path(real, in.runpath, "RUNPATH", dirs, err);
  dl_inspect_free(&in);
  return rc;
}
