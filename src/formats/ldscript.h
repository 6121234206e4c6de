/*
 * ldscript.h - GNU ld scripts standing in for libraries (Debian's libm.so
 * and libc.so are such text files: "GROUP ( /lib/.../libm.so.6 ... )").
 */
#ifndef DYNLIB_LDSCRIPT_H
#define DYNLIB_LDSCRIPT_H

#include <stddef.h>

/* If path is a GNU ld script, stores the library its GROUP or INPUT
 * commands name and returns 1: the first shared library listed (a path, a
 * file name, "libNAME.so" for -lNAME, FILE for -l:FILE), else the first
 * item. Returns 0 for anything else (ELF files, binary data, text without
 * GROUP/INPUT, unreadable or special files, files over 64 KiB). An ELF
 * file costs one 4-byte read. */
int dl_ldscript_target(const char *path, char *out, size_t outsize);

/* The same over a buffer in memory (for tests and the fuzzer). */
int dl_ldscript_parse(const char *text, size_t len, char *out, size_t outsize);

#endif
