/*
 * names.h - internal helpers of names.c shared with the binding's checks.
 */
#ifndef DYNLIB_NAMES_H
#define DYNLIB_NAMES_H

/* A version is NULL, or digits and single dots ("1", "1.2"), <= 32 chars. */
int dl_version_valid(const char *version);

#endif
