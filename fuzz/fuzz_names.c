/*
 * fuzz_names.c - libFuzzer over the text and table parsers of the search:
 * GNU ld scripts and ld.so.cache images.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "formats/ldcache.h"
#include "formats/ldscript.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char out[256];
  dl_ldscript_parse((const char *)data, size, out, sizeof out);
  dl_ldcache_parse(data, size);
  dl_ldcache c;
  if (dl_ldcache_open(&c, data, size) == 0) {
    free(dl_ldcache_find(&c, "libc.so.6"));
    free(dl_ldcache_best(&c, "libc.so."));
  }
  return 0;
}
