/*
 * libname_elf.c - library file names on ELF systems (libname.h): below
 * both the name search and the ld script reader.
 */
#include <stdio.h>
#include <string.h>

#include "dynlib.h"
#include "formats/libname.h"

/* ".so" or ".so.<digits and dots>", with something before the ".so"; the
 * last ".so" counts: "liboil-0.3.so.0.1.0". */
int dl_has_lib_suffix(const char *base) {
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
  return dl_has_lib_suffix(slash ? slash + 1 : file);
}

/* Qt's order (qlibrary_unix.cpp), with the version after ".so". */
size_t dl_name_forms(const char *base, const char *version, int is_path,
                     dl_name_form f[DL_NAME_FORMS], char *buf, size_t bufsize) {
  snprintf(buf, bufsize, ".so%s%s", version ? "." : "", version ? version : "");
  const char *pre = strncmp(base, "lib", 3) == 0 ? "" : "lib";
  const char *suf = dl_has_lib_suffix(base) ? "" : buf;
  if (is_path) {
    f[0] = (dl_name_form){"", ""};
    f[1] = (dl_name_form){"", suf};
    f[2] = (dl_name_form){pre, ""};
    f[3] = (dl_name_form){pre, suf};
  } else {
    f[0] = (dl_name_form){pre, suf};
    f[1] = (dl_name_form){pre, ""};
    f[2] = (dl_name_form){"", suf};
    f[3] = (dl_name_form){"", ""};
  }
  return 4;
}
