/*
 * internal.h - helpers shared by the core's files; not installed.
 */
#ifndef DYNLIB_INTERNAL_H
#define DYNLIB_INTERNAL_H

#include "dynlib.h"

#if defined(__MINGW32__) && defined(__GNUC__) && !defined(__clang__)
/* mingw-w64: the build uses its C99 printf (__USE_MINGW_ANSI_STDIO, for %zu
 * and %lld), which gcc's -Wformat knows as gnu_printf; "printf" there means
 * msvcrt's. */
#define DL_PRINTF(a, b) __attribute__((format(gnu_printf, a, b)))
#elif defined(__GNUC__)
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
