/*
 * check.h - everything verified before a file reaches dlopen (DESIGN 4.3).
 */
#ifndef DYNLIB_CHECK_H
#define DYNLIB_CHECK_H

#include "dynlib.h"
#include "formats/elf.h"

/* Checks that `path` is a shared library this process can load: a regular
 * file (stat before open; FIFOs and devices are never opened), an ELF file of
 * this class, byte order and machine (wrong_arch), a shared object and not an
 * executable, PIE executable, relocatable or core file (not_a_library), not a
 * separate debug file nor a "*.debug" name (debug_file). On success stores
 * the file's device and inode (for the store's identity) and returns 0. */
int dl_check_library(const char *path, unsigned long long *dev,
                     unsigned long long *ino, dynlib_error *err);

/* The ELF part of the check, over an opened reader (the fuzzer feeds it
 * memory): this machine's class, order and machine, a shared object, a
 * dynamic section with bytes, not a PIE, an intact section table. */
int dl_check_elf(const dl_elf *e, dynlib_error *err);

#endif
