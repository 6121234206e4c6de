/*
 * copy.h - a private copy of a library file, so that new code can be
 * loaded while the old one stays mapped: glibc matches loaded libraries by
 * name and would hand back the old one for the same path.
 */
#ifndef DYNLIB_COPY_H
#define DYNLIB_COPY_H

#include "dynlib.h"

/* Copies the regular file src into a new folder of its own, made with
 * mkdtemp under $TMPDIR (or /tmp), mode 0700: no other user can swap the
 * copy between its writing and its loading. *copy gets the malloc'd path
 * of the copy (folder + "/" + src's base name). Errors: not_found,
 * not_a_library (not a regular file), io. */
int dl_private_copy(const char *src, char **copy, dynlib_error *err);

#endif
