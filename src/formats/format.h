/*
 * format.h - the executable formats dynlib reads, and the one this build
 * loads. The native format is chosen here and nowhere else: ELF on every
 * system but Windows, PE there (the compiler's _WIN32, or -DDYNLIB_NATIVE_PE
 * to build the Windows checks on another host). check.c, inspect and the
 * readers' "compatible" answers all follow it.
 */
#ifndef DYNLIB_FORMAT_H
#define DYNLIB_FORMAT_H

#include <stddef.h>

typedef enum dl_format {
  DL_FORMAT_UNKNOWN = 0,
  DL_FORMAT_ELF,
  DL_FORMAT_PE
} dl_format;

#if defined(_WIN32) || defined(DYNLIB_NATIVE_PE)
#define DL_NATIVE_FORMAT DL_FORMAT_PE
#else
#define DL_NATIVE_FORMAT DL_FORMAT_ELF
#endif

/* The format a file's first bytes announce (ELF magic, "MZ"); the
 * format's reader decides whether the rest holds. */
dl_format dl_format_sniff(const unsigned char *head, size_t len);

/* "elf", "pe", "unknown". */
const char *dl_format_name(dl_format f);

#endif
