/*
 * check.h - everything verified before a file reaches dlopen (docs/design.md section 4.3).
 */
#ifndef DYNLIB_CHECK_H
#define DYNLIB_CHECK_H

#include "dynlib.h"
#include "formats/elf.h"
#include "formats/format.h"
#include "formats/pe.h"

/* Checks that `path` is a shared library this process can load: a regular
 * file (stat before open; FIFOs and devices are never opened), of this
 * system's format (ELF, PE on Windows) and of this class, byte order and
 * machine (wrong_arch), a shared object and not an
 * executable, PIE executable, relocatable or core file (not_a_library), not a
 * separate debug file nor a "*.debug" name (debug_file). On success stores
 * the file's device and inode (for the store's identity) and returns 0. */
int dl_check_library(const char *path, unsigned long long *dev,
                     unsigned long long *ino, dynlib_error *err);

/* The ELF part of the check, over an opened reader (the fuzzer feeds it
 * memory): this machine's class, order and machine, a shared object, a
 * dynamic section with bytes, not a PIE, an intact section table. */
int dl_check_elf(const dl_elf *e, dynlib_error *err);

/* The PE part: on a PE system (format.h) a DLL of this machine and class
 * (wrong_arch otherwise; an EXE is not_a_library); elsewhere every PE file
 * is wrong_arch, named as a Windows PE DLL or EXE for its machine. */
int dl_check_pe(const dl_pe *p, dynlib_error *err);

/* The same checks as if this system's format were `native` (the fuzzer and
 * the specs run the Windows rules on Linux with it). */
int dl_check_elf_as(const dl_elf *e, dl_format native, dynlib_error *err);
int dl_check_pe_as(const dl_pe *p, dl_format native, dynlib_error *err);

#endif
