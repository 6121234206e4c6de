/*
 * fuzz_cdef.c - libFuzzer over the C declaration parser (src/ctype/): any
 * text as declarations, then as a type name, in a fresh registry; every
 * type made is then spelled (name.c) and, if an aggregate, its members
 * looked up by name, so that whatever the parser builds is read back.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ctype/ctype.h"

static void read_back(dl_creg *reg, dl_ctid id) {
  char name[128];
  dl_ctype_name(reg, id, name, sizeof name);
  const dl_ctype *t = dl_creg_type(reg, id);
  if (t->kind == DL_C_STRUCT || t->kind == DL_C_UNION) {
    for (uint32_t i = 0; i < t->count; i++) {
      const char *m = dl_creg_str(reg, dl_creg_member(reg, t->first + i)->name);
      dl_cmember out;
      dl_ctype_field(reg, id, m, strlen(m), &out);
    }
  }
  dl_ctype_sizeof_n(reg, id, 3);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  dl_creg *reg = dl_creg_new();
  if (!reg) return 0;
  dl_cerr err;
  dl_cdef(reg, (const char *)data, size, &err);
  dl_ctid id;
  if (dl_ctype_parse(reg, (const char *)data, size, &id, &err) == 0)
    read_back(reg, id);
  dl_ctid n = dl_creg_ntypes(reg);
  for (dl_ctid i = 1; i < n; i++) read_back(reg, i);
  dl_creg_free(reg);
  return 0;
}
