/*
 * libname.c - what a shared library's file name looks like on ELF systems
 * (libname.h): below both the name search and the ld script reader.
 */
#include <string.h>

#include "dynlib.h"
#include "formats/libname.h"

/* Digits and single dots, neither first nor last ("1", "1.2", "0.3.41"). */
int dl_dotted_digits(const char *s, size_t len) {
  if (len == 0 || s[0] == '.' || s[len - 1] == '.') return 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] == '.' ? s[i + 1] == '.' : (s[i] < '0' || s[i] > '9')) return 0;
  }
  return 1;
}

/* Does base end in ".so" or ".so.<digits and dots>", with something before
 * the ".so"? The last ".so" counts: "liboil-0.3.so.0.1.0". */
int dl_has_so_suffix(const char *base) {
  const char *so = NULL;
  for (const char *p = strstr(base, ".so"); p; p = strstr(p + 1, ".so"))
    so = p;
  if (so == NULL || so == base) return 0;
  const char *rest = so + 3;
  if (*rest == '\0') return 1;
  return *rest == '.' && dl_dotted_digits(rest + 1, strlen(rest + 1));
}

int dynlib_is_library(const char *file) {
  if (file == NULL) return 0;
  const char *slash = strrchr(file, '/');
  return dl_has_so_suffix(slash ? slash + 1 : file);
}
