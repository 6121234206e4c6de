/*
 * copy.h - private copies of library files: a plugin loaded from a copy
 * may have its file rewritten in place while it runs, and the new version
 * can be loaded while the old one stays mapped (glibc matches loaded
 * libraries by name and would hand back the old one for the same path).
 */
#ifndef DYNLIB_COPY_H
#define DYNLIB_COPY_H

#include "dynlib.h"

/* Copies the regular file src next to itself, under the hidden name
 * ".<base>.dynlib-<pid>-<n>" (created exclusively), so that $ORIGIN and
 * trusted folders mean the same for the copy; where src's folder is not
 * writable, into a new folder of its own under $TMPDIR (or /tmp), mode
 * 0700. Copies in src's folder left by processes that are gone are
 * removed first. *copy gets the malloc'd path. Errors: not_found,
 * not_a_library (not a regular file), io. */
int dl_private_copy(const char *src, char **copy, dynlib_error *err);

/* Removes a copy made by dl_private_copy, and its private folder when it
 * has one. */
void dl_private_copy_remove(const char *copy);

/* Is this file name one of dynlib's copies (".<base>.dynlib-<pid>-<n>")?
 * Scans pass over them. */
int dl_is_private_copy_name(const char *name);

#endif
