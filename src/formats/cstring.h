/*
 * cstring.h - a NUL-terminated string read from a file through a read-at
 * callback, in growing bounded steps: most names are short, none is read
 * past the bytes the caller allows, and memory grows only with the bytes
 * actually read (the ELF and PE readers' names).
 */
#ifndef DYNLIB_CSTRING_H
#define DYNLIB_CSTRING_H

#include <stddef.h>
#include <stdint.h>

/* The string at off, at most avail bytes with its NUL, read step bytes
 * first and twice as many each time after. Returns 1 with *out (malloc'd),
 * 0 when no NUL lies within avail, -1 when a read failed, -2 when out of
 * memory. The caller has checked that [off, off + avail) is in the file. */
int dl_read_cstring(int (*read)(void *ctx, uint64_t off, void *buf, size_t len),
                    void *ctx, uint64_t off, uint64_t avail, size_t step, char **out);

#endif
