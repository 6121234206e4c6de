/*
 * fuzz_pe.c - libFuzzer over the PE/COFF reader, from memory: DOS, COFF and
 * optional headers, data directories, the section table and long section
 * names, RVA mapping, the checks before loading (with both native formats:
 * the Linux rules and the Windows ones), the inspection (imports, exports
 * with forwarders and ordinals, sections) and the .dynlib metadata record.
 * Any out-of-bounds read, overflow, leak or huge allocation is a finding.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/check.h"
#include "formats/meta.h"
#include "formats/pe.h"
#include "formats/pe_inspect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  dl_mem mem = {data, size};
  dl_pe p;
  dynlib_error err;
  if (dl_pe_open(&p, dl_mem_read_at, &mem, size, "fuzz", &err) != 0) return 0;
  dl_check_pe_as(&p, DL_FORMAT_ELF, &err);
  dl_check_pe_as(&p, DL_FORMAT_PE, &err);
  char name[256];
  for (unsigned i = 0; i < p.nsections; i++)
    dl_pe_section_name(&p, i, name, sizeof name);
  dl_pe_inspect_fuzz(&p); /* sections, imports, exports, forwarders */
  dl_meta m;
  if (dl_meta_read_pe(&p, &m, &err) == 0) dl_meta_free(&m);
  /* A few RVAs read through the mapping, chosen by the input. */
  if (size >= 8) {
    uint32_t rva = (uint32_t)data[size - 4] | (uint32_t)data[size - 3] << 8 |
                   (uint32_t)data[size - 2] << 16;
    char *s;
    if (dl_pe_strdup_rva(&p, rva, 64, &s, "string", &err) == 0) free(s);
  }
  return 0;
}
