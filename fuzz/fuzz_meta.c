/*
 * fuzz_meta.c - libFuzzer over the plugin metadata reader: notes in
 * segments and sections, record validation, and the chunked search with a
 * chunk size chosen by the input, so records straddling chunk boundaries
 * are exercised.
 */
#include <stddef.h>
#include <stdint.h>

#include "../src/meta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  size_t chunk = 16 + (size_t)data[0] * 4; /* 16 .. 1036 bytes */
  dl_mem mem = {data + 1, size - 1};
  dl_elf e;
  dynlib_error err;
  if (dl_elf_open(&e, dl_mem_read_at, &mem, size - 1, "fuzz", &err) != 0) return 0;
  dl_meta m;
  if (dl_meta_read_elf(&e, NULL, &m, &err) == 0) dl_meta_free(&m);
  dl_meta_search(&e, NULL, chunk);
  return 0;
}
