/*
 * elf_symbols.h - the exports of an ELF file: its dynamic symbol table
 * (.dynsym) with symbol versions (.gnu.version, .gnu.version_d).
 */
#ifndef DYNLIB_ELF_SYMBOLS_H
#define DYNLIB_ELF_SYMBOLS_H

#include <stddef.h>
#include <stdint.h>

#include "formats/elf.h"

enum { DL_SYM_FUNC, DL_SYM_OBJECT, DL_SYM_TLS, DL_SYM_IFUNC, DL_SYM_OTHER };

typedef struct dl_export {
  const char *name;    /* points into dl_exports.strings */
  const char *version; /* NULL when unversioned; into dl_exports.versions */
  uint8_t kind;        /* DL_SYM_* */
  uint8_t is_default;  /* name@@version (1) or name@version (0) */
} dl_export;

/* The exports and the memory their names live in: the symbol string table
 * read once, and the version names (no copy per symbol). */
typedef struct dl_exports {
  dl_export *list;
  size_t n;
  char *strings;
  char **versions; /* by version index */
  size_t nversions;
} dl_exports;

/* The defined global, weak and unique symbols of .dynsym (not absolute
 * ones: those name versions), as nm -D --defined-only lists them. Found
 * through the section table, or through PT_DYNAMIC when it was stripped; a
 * file with neither has none. Counts are checked against the file before
 * anything is allocated. Free with dl_exports_free. */
int dl_elf_exports(const dl_elf *e, dl_exports *out, dynlib_error *err);

void dl_exports_free(dl_exports *x);

#endif
