/*
 * fuzz_meta.c - libFuzzer over the plugin metadata reader: notes in
 * segments and sections, record validation, and the chunked search.
 *
 * The search is also checked against itself: with a chunk size chosen by
 * the input (so records straddle chunk boundaries), with one chunk holding
 * the whole input, and with runs of zeros reported as holes (as SEEK_DATA
 * would) must all find the same offset. A difference aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "formats/meta.h"

/* 64-byte blocks of zeros stand for the holes of a sparse file: the next
 * offset at or after off whose block holds a non-zero byte. */
static uint64_t mem_next_data(void *ctx, uint64_t off) {
  const dl_mem *m = ctx;
  for (uint64_t b = off & ~(uint64_t)63; b < m->size; b += 64) {
    uint64_t end = b + 64 < m->size ? b + 64 : m->size;
    for (uint64_t i = b; i < end; i++)
      if (m->data[i] != 0) return b > off ? b : off;
  }
  return m->size;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  size_t chunk = 16 + (size_t)data[0] * 4; /* 16 .. 1036 bytes */
  dl_mem mem = {data + 1, size - 1};
  dl_elf e;
  dynlib_error err;
  if (dl_elf_open(&e, dl_mem_read_at, &mem, size - 1, "fuzz", &err) != 0) return 0;
  dl_meta m;
  if (dl_meta_read_elf(&e, mem_next_data, &m, &err) == 0) dl_meta_free(&m);
  int64_t small = dl_meta_search(&e, NULL, chunk);
  int64_t whole = dl_meta_search(&e, NULL, size + 64);
  int64_t holes = dl_meta_search(&e, mem_next_data, chunk);
  if (small != whole || small != holes) abort();
  return 0;
}
