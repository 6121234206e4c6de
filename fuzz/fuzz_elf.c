/*
 * fuzz_elf.c - libFuzzer over the ELF reader and the pre-dlopen checks:
 * header, program headers, section headers and names, dynamic segment.
 * Any out-of-bounds read, overflow or huge allocation is a finding.
 */
#include <stddef.h>
#include <stdint.h>

#include "../src/check.h"
#include "../src/elf.h"
#include "../src/inspect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  dl_mem mem = {data, size};
  dl_elf e;
  dynlib_error err;
  if (dl_elf_open(&e, dl_mem_read_at, &mem, size, "fuzz", &err) != 0) return 0;
  dl_check_elf(&e, &err);
  for (unsigned i = 0; i < e.phnum && i < 64; i++) {
    dl_elf_phdr ph;
    if (dl_elf_phdr_get(&e, i, &ph, &err) != 0) break;
  }
  dl_elf_shdr sh;
  dl_elf_section_by_name(&e, ".dynamic", &sh, &err);
  dl_inspect_fuzz(&e);
  return 0;
}
