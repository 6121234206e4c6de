/*
 * fuzz_elf.c - libFuzzer over the whole ELF reader, from memory: header,
 * program and section headers, the pre-dlopen checks, section names and
 * bytes, the dynamic table and its strings, the build ID note, exports with
 * their versions (through the section table and, when it is stripped,
 * through PT_DYNAMIC and the hash tables). Any out-of-bounds read,
 * overflow, leak or huge allocation is a finding.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/check.h"
#include "formats/elf.h"
#include "formats/elf_dynamic.h"
#include "formats/inspect.h"

/* The dynamic table and every string it names. */
static void dynamic(const dl_elf *e) {
  dynlib_error err;
  dl_elf_dynamic d;
  if (dl_elf_dynamic_read(e, &d, &err) != 0) return;
  char *s;
  for (size_t i = 0; i < d.nneeded; i++)
    if (dl_elf_dynamic_string(e, &d, d.needed[i], &s, &err) == 0) free(s);
  if (d.has_soname && dl_elf_dynamic_string(e, &d, d.soname, &s, &err) == 0)
    free(s);
  dl_elf_dynamic_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  dl_mem mem = {data, size};
  dl_elf e;
  dynlib_error err;
  if (dl_elf_open(&e, dl_mem_read_at, &mem, size, "fuzz", &err) != 0) return 0;
  dl_check_elf(&e, &err);
  dynamic(&e);
  dl_elf_shdr sh;
  dl_elf_section_by_name(&e, ".dynamic", &sh, &err);
  dl_inspection in;
  if (dl_inspect_dynamic(&e, &in, &err) == 0) dl_inspect_free(&in);
  dl_inspect_fuzz(&e); /* sections, dynamic, notes, exports, section bytes */
  return 0;
}
