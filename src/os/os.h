/*
 * os.h - the operating system's loader, behind a small interface so a
 * Windows or macOS port is a new os_*.c file rather than #ifdefs.
 */
#ifndef DYNLIB_OS_H
#define DYNLIB_OS_H

#include "dynlib.h"

/* dlopen with hints mapped to RTLD_* flags; NULL with err (load_failed,
 * naming the file and giving the loader's own text). */
void *dl_os_open(const char *path, unsigned hints, dynlib_error *err);

/* Re-open an already-loaded library with RTLD_NOLOAD so a hint (global,
 * nodelete) takes effect; the extra reference is dropped again. */
int dl_os_promote(const char *path, unsigned hints, dynlib_error *err);

/* Is a library with this path loaded right now (RTLD_NOLOAD probe)? */
int dl_os_is_loaded(const char *path);

/* dlsym; NULL with err (no_symbol) when absent. */
void *dl_os_sym(void *handle, const char *path, const char *name,
                dynlib_error *err);

void dl_os_close(void *handle);

/* Device and inode of the file the loader really mapped for handle
 * (dlinfo's link map); 0, or -1 when unknown. */
int dl_os_identity(void *handle, unsigned long long *dev,
                   unsigned long long *ino);

#endif
