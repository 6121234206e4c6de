/*
 * fuzz_names.c - libFuzzer over the text and table parsers of the search:
 * GNU ld scripts and ld.so.cache images.
 */
#include <stddef.h>
#include <stdint.h>

#include "../src/ldcache.h"
#include "../src/ldscript.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char out[256];
  dl_ldscript_parse((const char *)data, size, out, sizeof out);
  dl_ldcache_parse(data, size);
  return 0;
}
