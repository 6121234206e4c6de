/*
 * ldscript.h - GNU ld scripts standing in for libraries (Debian's libm.so
 * and libc.so are such text files: "GROUP ( /lib/.../libm.so.6 ... )").
 */
#ifndef DYNLIB_LDSCRIPT_H
#define DYNLIB_LDSCRIPT_H

#include <stddef.h>

/* If path is a GNU ld script, stores the first library its GROUP or INPUT
 * command names (a path, or "libNAME.so" for -lNAME) and returns 1; returns
 * 0 for anything else (ELF files, other text, unreadable files). Reads at
 * most 64 KiB; never opens anything but a regular file. */
int dl_ldscript_target(const char *path, char *out, size_t outsize);

/* The same over a buffer in memory (for tests and the fuzzer). */
int dl_ldscript_parse(const char *text, size_t len, char *out, size_t outsize);

#endif
