/*
 * libname.h - shared library file names: "libz.so", "libz.so.1.2.13".
 */
#ifndef DYNLIB_LIBNAME_H
#define DYNLIB_LIBNAME_H

#include <stddef.h>

/* Digits and single dots, neither first nor last ("1", "1.2", "0.3.41"). */
int dl_dotted_digits(const char *s, size_t len);

/* Does base end in ".so" or ".so.<digits and dots>", with something before
 * the ".so"? The last ".so" counts: "liboil-0.3.so.0.1.0". */
int dl_has_so_suffix(const char *base);

#endif
