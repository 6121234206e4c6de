/*
 * layout.c - struct and union layout as the target's C compiler does it:
 * gcc's rules for System V targets (bit-fields packed into any unit of
 * their type's alignment they do not overflow), and Microsoft's for
 * Windows (mingw-w64 defaults to -mms-bitfields: a run of bit-fields of
 * one type size shares a unit of that type; any change starts a new one).
 */
#include <stdio.h>

#include "ctype/cint.h"

#if defined(_WIN32)
#define MS_BITFIELDS 1
#else
#define MS_BITFIELDS 0
#endif

/* ARM's ABIs (gcc's align_anon_bitfield): unnamed bit-fields, zero-width
 * ones too, give the aggregate their type's alignment; elsewhere only
 * named ones do. */
#if defined(__aarch64__) || defined(__arm__)
#define ANON_BITFIELD_ALIGNS 1
#else
#define ANON_BITFIELD_ALIGNS 0
#endif

typedef struct lay {
  const dl_creg *reg;
  int is_union, packed;
  uint32_t pack;     /* #pragma pack: members' alignments capped; 0 none */
  uint64_t bitpos;   /* next free bit (struct), or size so far (union) */
  uint32_t align;    /* bytes */
  /* Microsoft: the open bit-field unit, if any */
  uint64_t unit_end; /* bit after the unit; 0: no unit open */
  uint32_t unit_size;
} lay;

static uint64_t round_up(uint64_t v, uint64_t a) {
  return a ? (v + a - 1) / a * a : v;
}

static uint32_t max_u32(uint32_t a, uint32_t b) { return a > b ? a : b; }

/* A member type's alignment under #pragma pack. */
static uint32_t capped(const lay *l, uint32_t align) {
  return l->pack && l->pack < align ? l->pack : align;
}

static void place_plain(lay *l, const dl_cfield *f, const dl_ctype *t,
                        dl_cmember *m) {
  /* #pragma pack caps even an aligned(N) member (gcc's
   * maximum_field_alignment) */
  uint32_t a = (l->packed || f->packed) ? 1 : t->align;
  a = capped(l, max_u32(a, f->align_attr));
  if (l->unit_end && l->bitpos < l->unit_end) l->bitpos = l->unit_end;
  l->unit_end = 0;
  uint64_t off = l->is_union ? 0 : round_up((l->bitpos + 7) / 8, a);
  m->offset = (uint32_t)off;
  uint64_t end = (off + t->size) * 8;
  l->bitpos = l->is_union && l->bitpos > end ? l->bitpos : end;
  l->align = max_u32(l->align, a);
}

/* gcc (PCC_BITFIELD_TYPE_MATTERS): a bit-field that would span more units
 * of its type's alignment than the type has moves to the next unit. */
static void place_bits_sysv(lay *l, const dl_cfield *f, const dl_ctype *t,
                            dl_cmember *m) {
  uint64_t abits = (uint64_t)capped(l, t->align) * 8, w = (uint64_t)f->bits;
  int packed = l->packed || f->packed;
  uint64_t pos = l->is_union ? 0 : l->bitpos;
  if (w == 0) {
    if (!l->is_union) l->bitpos = round_up(pos, abits);
    if (ANON_BITFIELD_ALIGNS) l->align = max_u32(l->align, (uint32_t)(abits / 8));
    return;
  }
  if (!packed && !l->pack) { /* under #pragma pack, never moved */
    uint64_t spans = (pos % abits + w + abits - 1) / abits;
    if (spans > t->size * 8 / abits) pos = round_up(pos, abits);
  }
  uint32_t attr = capped(l, f->align_attr);
  if (attr) pos = round_up(pos, (uint64_t)attr * 8);
  uint64_t unit = packed || l->pack ? 8 : abits;
  m->offset = (uint32_t)(pos / unit * (unit / 8));
  m->bit_offset = (uint8_t)(pos - (uint64_t)m->offset * 8);
  m->bit_width = (uint8_t)w;
  uint64_t end = pos + w;
  l->bitpos = l->is_union && l->bitpos > end ? l->bitpos : end;
  if (f->name || ANON_BITFIELD_ALIGNS)
    l->align = max_u32(l->align, packed ? 1 : (uint32_t)(abits / 8));
  l->align = max_u32(l->align, attr);
}

/* Microsoft: bit-fields share a unit of their type's size while the type
 * size stays the same and they fit; a zero width closes the unit. */
static void place_bits_ms(lay *l, const dl_cfield *f, const dl_ctype *t,
                          dl_cmember *m) {
  uint64_t w = (uint64_t)f->bits;
  uint32_t a = l->packed || f->packed ? 1 : capped(l, t->align);
  if (w == 0) {
    if (l->unit_end && !l->is_union)
      l->bitpos = round_up(l->unit_end, (uint64_t)a * 8);
    l->unit_end = 0;
    return;
  }
  if (l->is_union) {
    m->offset = 0, m->bit_offset = 0, m->bit_width = (uint8_t)w;
    if (l->bitpos < t->size * 8) l->bitpos = t->size * 8;
    l->align = max_u32(l->align, a);
    return;
  }
  if (!l->unit_end || l->unit_size != t->size || l->bitpos + w > l->unit_end) {
    uint64_t start = l->unit_end ? l->unit_end : l->bitpos;
    start = round_up((start + 7) / 8, a) * 8;
    l->bitpos = start;
    l->unit_end = start + (uint64_t)t->size * 8;
    l->unit_size = t->size;
  }
  uint64_t unit_start = l->unit_end - (uint64_t)t->size * 8;
  m->offset = (uint32_t)(unit_start / 8);
  m->bit_offset = (uint8_t)(l->bitpos - unit_start);
  m->bit_width = (uint8_t)w;
  l->bitpos += w;
  l->align = max_u32(l->align, a);
}

static int is_integer(const dl_ctype *t) {
  return t->kind == DL_C_INT || t->kind == DL_C_BOOL || t->kind == DL_C_ENUM;
}

/* Checks field i; NULL or what is wrong with it. */
static const char *check_field(const lay *l, const dl_cfield *f,
                               const dl_ctype *t, int last) {
  if (f->bits >= 0) {
    if (!is_integer(t)) return "bit-field of a type that is not an integer";
    if ((uint64_t)f->bits > (uint64_t)t->size * 8)
      return "bit-field wider than its type";
    if (f->bits == 0 && f->name) return "named bit-field of width zero";
    return NULL;
  }
  if (t->kind == DL_C_ARRAY && (t->flags & DL_CF_VLA)) {
    if (l->is_union) return "flexible array member in a union";
    if (!last) return "flexible array member not at the end";
    return NULL;
  }
  if (t->kind == DL_C_FUNC) return "member of function type";
  if (t->kind == DL_C_VOID || (t->size == 0 && !(t->flags & DL_CF_COMPLETE) &&
                               (t->kind == DL_C_STRUCT || t->kind == DL_C_UNION ||
                                t->kind == DL_C_ENUM)))
    return "member of incomplete type";
  return NULL;
}

int dl_clayout(const dl_creg *reg, dl_ctype *agg, uint32_t align_attr,
               uint32_t pack, const dl_cfield *f, size_t n, dl_cmember *out, size_t *bad,
               char *msg, size_t msgsize) {
  lay l = {reg, agg->kind == DL_C_UNION, (agg->flags & DL_CF_PACKED) != 0,
           pack, 0, 1, 0, 0};
  for (size_t i = 0; i < n; i++) {
    const dl_ctype *t = dl_creg_type(reg, f[i].type);
    const char *wrong = check_field(&l, &f[i], t, i + 1 == n);
    if (wrong) {
      snprintf(msg, msgsize, "%s", wrong);
      *bad = i;
      return -1;
    }
    dl_cmember *m = &out[i];
    m->name = f[i].name, m->type = f[i].type;
    m->offset = 0, m->bit_offset = 0, m->bit_width = 0, m->spare = 0;
    if (f[i].bits < 0) place_plain(&l, &f[i], t, m);
    else if (MS_BITFIELDS) place_bits_ms(&l, &f[i], t, m);
    else place_bits_sysv(&l, &f[i], t, m);
    if (t->kind == DL_C_ARRAY && (t->flags & DL_CF_VLA)) agg->flags |= DL_CF_FLEX;
  }
  if (l.unit_end && l.bitpos < l.unit_end) l.bitpos = l.unit_end;
  uint32_t align = max_u32(l.align, align_attr);
  uint64_t size = round_up((l.bitpos + 7) / 8, align);
  if (size > UINT32_MAX / 2) {
    snprintf(msg, msgsize, "%s too large",
             agg->kind == DL_C_UNION ? "union" : "struct");
    return -1;
  }
  agg->size = (uint32_t)size;
  agg->align = align;
  agg->flags |= DL_CF_COMPLETE;
  return 0;
}
