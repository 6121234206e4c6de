/*
 * trust.h - trusted mode: where a library may come from.
 */
#ifndef DYNLIB_TRUST_H
#define DYNLIB_TRUST_H

#include "dynlib.h"

/* real (a real path) must lie inside one of dirs (NULL-terminated), and
 * every component from / down to it must be owned by root or us and not
 * writable by group or others (a sticky directory is allowed above the
 * trusted root). Error code: untrusted, with the offending component. */
int dl_check_trusted(const char *real, const char *const *dirs,
                     dynlib_error *err);

/* The library's RPATH and RUNPATH entries ($ORIGIN expanded) must lie
 * inside dirs too: its dependencies would be searched there. */
int dl_check_search_paths(const char *real, const char *const *dirs,
                          dynlib_error *err);

#endif
