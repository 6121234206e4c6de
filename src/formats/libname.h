/*
 * libname.h - library file names as the target system writes them: ELF
 * systems "libz.so", "libz.so.1.2.13" (libname_elf.c); Windows "zlib1.dll",
 * "libfoo-1.dll" (libname_pe.c). The build takes the target's file.
 */
#ifndef DYNLIB_LIBNAME_H
#define DYNLIB_LIBNAME_H

#include <stddef.h>

/* Digits and single dots, neither first nor last ("1", "1.2", "0.3.41"). */
int dl_dotted_digits(const char *s, size_t len);

/* Does the file name base end in the system's library suffix (".so",
 * ".so.1.2"; ".dll" in any case)? */
int dl_has_lib_suffix(const char *base);

/* One decorated form of a name: prefix + base + suffix. */
typedef struct dl_name_form {
  const char *prefix;
  const char *suffix;
} dl_name_form;

#define DL_NAME_FORMS 4

/* The forms of base to try, in the system's order (Qt's on ELF systems: a
 * path tries itself first, a bare name its decorated forms first). A
 * prefix or suffix base already has is not added again. The version goes
 * into the suffix, written in buf. Returns the number of forms. */
size_t dl_name_forms(const char *base, const char *version, int is_path,
                     dl_name_form forms[DL_NAME_FORMS], char *buf, size_t bufsize);

#endif
