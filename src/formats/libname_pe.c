/*
 * libname_pe.c - library file names on Windows (libname.h): "name.dll",
 * and mingw's "libname.dll", "libname-1.dll" for a version. The file
 * system ignores case, so does the suffix test.
 */
#include <stdio.h>
#include <string.h>

#include "dynlib.h"
#include "formats/libname.h"
#include "os/os.h"

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

int dl_has_lib_suffix(const char *base) {
  size_t n = strlen(base);
  if (n <= 4) return 0; /* something before ".dll" */
  const char *s = base + n - 4;
  return s[0] == '.' && lower(s[1]) == 'd' && lower(s[2]) == 'l' && lower(s[3]) == 'l';
}

int dynlib_is_library(const char *file) {
  if (file == NULL) return 0;
  return dl_has_lib_suffix(dl_os_path_base(file));
}

/* A bare name tries name.dll, then libname.dll (mingw's builds), then the
 * name as given; a path tries itself first. A version is mingw's "-N". */
size_t dl_name_forms(const char *base, const char *version, int is_path,
                     dl_name_form f[DL_NAME_FORMS], char *buf, size_t bufsize) {
  snprintf(buf, bufsize, "%s%s.dll", version ? "-" : "", version ? version : "");
  int has_lib = lower(base[0]) == 'l' && lower(base[1]) == 'i' && lower(base[2]) == 'b';
  const char *pre = has_lib ? "" : "lib";
  const char *suf = dl_has_lib_suffix(base) ? "" : buf;
  size_t n = 0;
  if (is_path) f[n++] = (dl_name_form){"", ""};
  f[n++] = (dl_name_form){"", suf};
  f[n++] = (dl_name_form){pre, suf};
  if (!is_path) f[n++] = (dl_name_form){"", ""};
  return n;
}
