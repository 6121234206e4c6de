/*
 * fuzz_sig.c - libFuzzer over the C prototype parser (sig.c): any text,
 * with and without a separate function name.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "calls/sig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char proto[512];
  size_t n = size < sizeof proto - 1 ? size : sizeof proto - 1;
  memcpy(proto, data, n);
  proto[n] = '\0';
  dl_sig sig;
  char err[300];
  dl_sig_parse(proto, NULL, &sig, err, sizeof err);
  dl_sig_parse(proto, "f", &sig, err, sizeof err);
  return 0;
}
