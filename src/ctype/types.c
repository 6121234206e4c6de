/*
 * types.c - derived types (pointers, arrays, const), sizes of variable
 * arrays, and members by name.
 */
#include <string.h>

#include "ctype/cint.h"

dl_ctid dl_ctype_ptr(dl_creg *reg, dl_ctid base) {
  dl_ctype t = {DL_C_PTR, 0, 0, dl_cptr_size, dl_cptr_align,
                base, 0, 0, 0};
  return dl_creg_intern_type(reg, &t, NULL);
}

dl_ctid dl_ctype_array(dl_creg *reg, dl_ctid elem, int64_t n) {
  const dl_ctype *e = dl_creg_type(reg, elem);
  dl_ctype t = {DL_C_ARRAY, 0, 0, 0, e->align, elem, 0, 0, 0};
  if (n < 0) {
    t.flags = DL_CF_VLA;
  } else {
    if (e->size && (uint64_t)n > UINT32_MAX / e->size) return 0;
    t.count = (uint32_t)n;
    t.size = (uint32_t)(e->size * (uint64_t)n);
  }
  return dl_creg_intern_type(reg, &t, NULL);
}

static int is_agg(const dl_ctype *t) {
  return t->kind == DL_C_STRUCT || t->kind == DL_C_UNION ||
         t->kind == DL_C_ENUM;
}

dl_ctid dl_ctype_qualified(dl_creg *reg, dl_ctid id, int is_const) {
  const dl_ctype *t = dl_creg_type(reg, id);
  if (!!(t->flags & DL_CF_CONST) == !!is_const) return id;
  if (is_agg(t)) { /* const variants point at the plain record */
    if (!is_const) return t->base;
    dl_ctype c = *t;
    c.flags |= DL_CF_CONST;
    c.base = id;
    return dl_creg_intern_type(reg, &c, NULL);
  }
  dl_ctype c = *t;
  c.flags = (uint8_t)(is_const ? c.flags | DL_CF_CONST : c.flags & ~DL_CF_CONST);
  const dl_cmember *mem =
      c.kind == DL_C_FUNC && c.count ? dl_creg_member(reg, c.first) : NULL;
  return dl_creg_intern_type(reg, &c, mem);
}

int64_t dl_ctype_sizeof_n(const dl_creg *reg, dl_ctid id, int64_t n) {
  const dl_ctype *t = dl_creg_type(reg, id);
  if (n < 0) return -1;
  if (t->kind == DL_C_ARRAY && (t->flags & DL_CF_VLA)) {
    uint64_t es = dl_creg_type(reg, t->base)->size;
    if (es && (uint64_t)n > (uint64_t)INT64_MAX / es) return -1;
    return (int64_t)(es * (uint64_t)n);
  }
  if (t->kind == DL_C_STRUCT && (t->flags & DL_CF_FLEX) && t->count) {
    const dl_cmember *last = dl_creg_member(reg, t->first + t->count - 1);
    uint64_t es = dl_creg_type(reg, dl_creg_type(reg, last->type)->base)->size;
    if (es && (uint64_t)n > ((uint64_t)INT64_MAX - last->offset) / es - 1) return -1;
    uint64_t end = last->offset + es * (uint64_t)n;
    uint64_t size = end > t->size ? end : t->size;
    return (int64_t)((size + t->align - 1) / t->align * t->align);
  }
  return t->size;
}

static int field_in(const dl_creg *reg, dl_ctid agg, uint32_t name,
                    uint32_t base, dl_cmember *out, int depth) {
  const dl_ctype *t = dl_creg_type(reg, agg);
  if ((t->kind != DL_C_STRUCT && t->kind != DL_C_UNION) || depth > 32) return -1;
  for (uint32_t i = 0; i < t->count; i++) {
    const dl_cmember *m = dl_creg_member(reg, t->first + i);
    if (m->name == name) {
      *out = *m;
      out->offset += base;
      return 0;
    }
    if (!m->name && !field_in(reg, m->type, name, base + m->offset, out, depth + 1))
      return 0;
  }
  return -1;
}

int dl_ctype_field(const dl_creg *reg, dl_ctid agg, const char *name,
                   size_t len, dl_cmember *out) {
  uint32_t s = dl_creg_find_str(reg, name, len);
  if (!s) return -1;
  return field_in(reg, agg, s, 0, out, 0);
}
