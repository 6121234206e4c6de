/*
 * pe_check.c - the checks before loading under the Windows rules, run on
 * Linux (spec/pe_spec.lua): for each file, what dl_check_pe_as or
 * dl_check_elf_as says with PE as the native format, one line each:
 * "ok" or "<code> <message>".
 */
#include <stdio.h>
#include <string.h>

#include "base/file.h"
#include "core/check.h"
#include "formats/format.h"

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    dynlib_error err;
    dl_file f;
    int rc = dl_file_open(&f, argv[i], &err);
    if (rc == 0) {
      unsigned char head[4] = {0};
      size_t n = f.size < 4 ? (size_t)f.size : 4;
      dl_file_read_at(&f, 0, head, n);
      if (dl_format_sniff(head, n) == DL_FORMAT_PE) {
        dl_pe p;
        rc = dl_pe_open(&p, dl_file_read_at, &f, f.size, argv[i], &err);
        if (rc == 0) rc = dl_check_pe_as(&p, DL_FORMAT_PE, &err);
      } else {
        dl_elf e;
        rc = dl_elf_open(&e, dl_file_read_at, &f, f.size, argv[i], &err);
        if (rc == 0) rc = dl_check_elf_as(&e, DL_FORMAT_PE, &err);
      }
      dl_file_close(&f);
    }
    if (rc == 0) printf("ok\n");
    else printf("%s %s\n", dynlib_code_name(err.code), err.msg);
  }
  return 0;
}
