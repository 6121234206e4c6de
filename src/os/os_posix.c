/*
 * os_posix.c - dlopen and friends (glibc, and other POSIX loaders).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <string.h>
#include <sys/stat.h>

#include "base/internal.h"
#include "os/os.h"

static int rtld_flags(unsigned hints) {
  /* RTLD_NOW by default: with lazy binding an unresolved symbol kills the
   * whole process at call time instead of failing the open. */
  int flags = (hints & DYNLIB_LAZY) ? RTLD_LAZY : RTLD_NOW;
  flags |= (hints & DYNLIB_GLOBAL) ? RTLD_GLOBAL : RTLD_LOCAL;
#ifdef RTLD_NODELETE
  if (hints & DYNLIB_NODELETE) flags |= RTLD_NODELETE;
#endif
#ifdef RTLD_DEEPBIND
  if (hints & DYNLIB_DEEPBIND) flags |= RTLD_DEEPBIND;
#endif
  return flags;
}

static const char *loader_text(void) {
  const char *e = dlerror();
  return e ? e : "unknown loader error";
}

void *dl_os_open(const char *path, unsigned hints, dynlib_error *err) {
  void *h = dlopen(path, rtld_flags(hints));
  if (h == NULL)
    dl_seterr(err, DYNLIB_E_LOAD_FAILED, "%s: cannot load: %s", path,
              loader_text());
  return h;
}

int dl_os_promote(const char *path, unsigned hints, dynlib_error *err) {
  void *h = dlopen(path, rtld_flags(hints) | RTLD_NOLOAD);
  if (h == NULL)
    return dl_seterr(err, DYNLIB_E_LOAD_FAILED, "%s: cannot reopen: %s",
                     path, loader_text());
  dlclose(h);
  return 0;
}

int dl_os_is_loaded(const char *path) {
  void *h = dlopen(path, RTLD_LAZY | RTLD_NOLOAD);
  if (h == NULL) return 0;
  dlclose(h);
  return 1;
}

void *dl_os_sym(void *handle, const char *path, const char *name,
                dynlib_error *err) {
  dlerror(); /* clear: a NULL result alone does not mean absent */
  void *p = dlsym(handle, name);
  if (p == NULL) {
    const char *e = dlerror();
    dl_seterr(err, DYNLIB_E_NO_SYMBOL, "%s: no symbol '%s'%s%s", path, name,
              e ? ": " : "", e ? e : " (its value is NULL)");
  }
  return p;
}

void dl_os_close(void *handle) {
  if (handle != NULL) dlclose(handle);
}

int dl_os_identity(void *handle, unsigned long long *dev,
                   unsigned long long *ino) {
  struct link_map *map = NULL;
  struct stat st;
  if (dlinfo(handle, RTLD_DI_LINKMAP, &map) != 0 || map == NULL ||
      map->l_name == NULL || stat(map->l_name, &st) != 0)
    return -1;
  *dev = (unsigned long long)st.st_dev;
  *ino = (unsigned long long)st.st_ino;
  return 0;
}
