/*
 * names.h - internal helpers of names.c shared with the binding's checks.
 */
#ifndef DYNLIB_NAMES_H
#define DYNLIB_NAMES_H

#include "dynlib.h"

/* The longest version string accepted ("1.2.3...": the binding's buffer). */
#define DL_VERSION_MAX 63

/* A version is NULL, or digits and single dots, neither first nor last
 * ("1", "1.2"), at most DL_VERSION_MAX characters. The binding raises on
 * anything else; dynlib_find answers DYNLIB_E_INVALID and
 * dynlib_candidates NULL. */
int dl_version_valid(const char *version);

/* dynlib_find, also giving (when chosen is not NULL) the file the search
 * chose before links were resolved, malloc'd: the name cache stats it, so
 * a link moved to another file is noticed too. */
char *dl_find(const char *name, const char *version, dynlib_error *err,
              char **chosen);

/* Changes whenever the dynlib path is set (even to the same value). */
unsigned dl_search_generation(void);

#endif
