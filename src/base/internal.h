/*
 * internal.h - helpers shared by the core's files; not installed.
 */
#ifndef DYNLIB_INTERNAL_H
#define DYNLIB_INTERNAL_H

#include "dynlib.h"

#if defined(__GNUC__)
#define DL_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define DL_PRINTF(a, b)
#endif

/* Fill err (may be NULL) with code and a formatted message; returns -1 so
 * callers can `return dl_seterr(...)`. */
int dl_seterr(dynlib_error *err, dynlib_code code, const char *fmt, ...)
    DL_PRINTF(3, 4);

/* Clear err to DYNLIB_OK and an empty message. */
void dl_clearerr(dynlib_error *err);

#endif
