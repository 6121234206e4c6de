/*
 * ffi_struct.c - libffi types for declared types (ffi_struct.h).
 *
 * An aggregate is first reduced to a map of its bytes: what each byte
 * holds (an integer-class scalar, a float, a double, or nothing). That map
 * is all any of the ABIs looks at, and it treats unions (members overlap,
 * an integer wins), bit-fields (their storage unit is an integer), nested
 * structs and arrays alike. The ffi_type then gets elements that make
 * libffi see the same map, and the compiler's size and alignment preset
 * (libffi computes a layout only for types whose size is 0).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calls/ffi_struct.h"

#define MAX_BYVALUE (64 * 1024)

enum { B_NONE, B_FLOAT, B_DOUBLE, B_INT };

struct dl_ffi_cache {
  ffi_type **types; /* by type id; NULL: not built yet */
  size_t n;
};

dl_ffi_cache *dl_ffi_cache_new(void) { return calloc(1, sizeof(dl_ffi_cache)); }

void dl_ffi_cache_free(dl_ffi_cache *cache) {
  if (!cache) return;
  for (size_t i = 0; i < cache->n; i++) free(cache->types[i]);
  free(cache->types);
  free(cache);
}

static ffi_type *int_type(size_t size, int is_unsigned) {
  switch (size) {
    case 1: return is_unsigned ? &ffi_type_uint8 : &ffi_type_sint8;
    case 2: return is_unsigned ? &ffi_type_uint16 : &ffi_type_sint16;
    case 4: return is_unsigned ? &ffi_type_uint32 : &ffi_type_sint32;
    case 8: return is_unsigned ? &ffi_type_uint64 : &ffi_type_sint64;
    default: return NULL;
  }
}

/* ---- the byte map ------------------------------------------------------ */

typedef struct bytemap {
  uint8_t *b;      /* one class per byte */
  int misaligned;  /* a scalar at an offset its alignment does not divide */
  int float_kinds; /* bit per B_FLOAT / B_DOUBLE seen */
  const char *bad; /* what cannot travel by value, when set */
} bytemap;

static void mark(bytemap *m, uint32_t off, uint32_t size, int cls,
                 uint32_t align) {
  if (align > 1 && off % align != 0) m->misaligned = 1;
  if (cls == B_FLOAT || cls == B_DOUBLE) m->float_kinds |= 1 << cls;
  for (uint32_t i = 0; i < size; i++)
    if (m->b[off + i] < cls || cls == B_INT) m->b[off + i] = (uint8_t)cls;
}

/* Marks the bytes of a value of type id at offset off. */
static void map_type(bytemap *m, const dl_creg *reg, dl_ctid id, uint32_t off) {
  const dl_ctype *t = dl_creg_type(reg, id);
  switch (t->kind) {
    case DL_C_BOOL:
    case DL_C_INT:
    case DL_C_PTR:
    case DL_C_ENUM:
      mark(m, off, t->size, B_INT, t->align);
      return;
    case DL_C_FLOAT:
      mark(m, off, t->size, B_FLOAT, t->align);
      return;
    case DL_C_DOUBLE:
      mark(m, off, t->size, B_DOUBLE, t->align);
      return;
    case DL_C_ARRAY: {
      const dl_ctype *e = dl_creg_type(reg, t->base);
      if (t->flags & DL_CF_VLA) {
        m->bad = "a flexible array member";
        return;
      }
      for (uint32_t i = 0; i < t->count && !m->bad; i++)
        map_type(m, reg, t->base, off + i * e->size);
      return;
    }
    case DL_C_STRUCT:
    case DL_C_UNION:
      if (!(t->flags & DL_CF_COMPLETE)) {
        m->bad = "an incomplete struct or union";
        return;
      }
      if (t->flags & DL_CF_FLEX) {
        m->bad = "a flexible array member";
        return;
      }
      for (uint32_t i = 0; i < t->count && !m->bad; i++) {
        const dl_cmember *mb = dl_creg_member(reg, t->first + i);
        if (mb->bit_width) { /* its storage unit holds integers */
          const dl_ctype *u = dl_creg_type(reg, mb->type);
          mark(m, off + mb->offset, u->size, B_INT, 1);
        } else {
          map_type(m, reg, mb->type, off + mb->offset);
        }
      }
      return;
    case DL_C_LDOUBLE:
      m->bad = "long double";
      return;
    default:
      m->bad = "a function or void member";
      return;
  }
}

/* ---- elements for each ABI ------------------------------------------- */

/* Appends up to `n` copies of e; the caller sized the array. */
static size_t put(ffi_type **el, size_t at, ffi_type *e, size_t n) {
  for (size_t i = 0; i < n; i++) el[at + i] = e;
  return at + n;
}

#if defined(__x86_64__) && !defined(_WIN32)
/* System V x86-64: over 16 bytes (or misaligned) is MEMORY; else each
 * eightbyte is INTEGER if any byte of it is, SSE otherwise. */
static size_t elements(const bytemap *m, size_t size, size_t align,
                       ffi_type **el) {
  (void)align; /* preset on the type */
  size_t n = 0;
  if (size > 16) return put(el, 0, &ffi_type_uint8, size); /* MEMORY */
  for (size_t eb = 0; eb < size; eb += 8) {
    size_t len = size - eb < 8 ? size - eb : 8;
    int has_int = 0, has_fp = 0, has_double = 0;
    for (size_t i = 0; i < len; i++) {
      has_int |= m->b[eb + i] == B_INT;
      has_fp |= m->b[eb + i] == B_FLOAT || m->b[eb + i] == B_DOUBLE;
      has_double |= m->b[eb + i] == B_DOUBLE;
    }
    /* Padding is NO_CLASS: an eightbyte of floats and padding is SSE. */
    if (has_int || !has_fp)
      n = len == 8 ? put(el, n, &ffi_type_uint64, 1) : put(el, n, &ffi_type_uint8, len);
    else if (has_double)
      n = put(el, n, &ffi_type_double, 1);
    else
      n = put(el, n, &ffi_type_float, (len + 3) / 4);
  }
  return n;
}
#define ELEMENTS_MAX(size) ((size) > 16 ? (size) : 16)
#elif defined(__aarch64__) && !defined(_WIN32)
/* AAPCS64: a homogeneous float aggregate (one float type, at most 4) goes
 * in vector registers; anything else only by its size. */
static size_t elements(const bytemap *m, size_t size, size_t align,
                       ffi_type **el) {
  int kinds = m->float_kinds;
  int only_fp = 1;
  for (size_t i = 0; i < size; i++) only_fp &= m->b[i] != B_INT && m->b[i] != B_NONE;
  if (only_fp && (kinds == 1 << B_FLOAT || kinds == 1 << B_DOUBLE)) {
    size_t es = kinds == 1 << B_FLOAT ? 4 : 8;
    if (size % es == 0 && size / es <= 4)
      return put(el, 0, es == 4 ? &ffi_type_float : &ffi_type_double, size / es);
  }
  size_t unit = align < 8 ? align : 8;
  return put(el, 0, int_type(unit, 1), size / unit);
}
#define ELEMENTS_MAX(size) (size)
#else
/* i386 and Win64 pass and return aggregates by size and alignment only. */
static size_t elements(const bytemap *m, size_t size, size_t align,
                       ffi_type **el) {
  (void)m;
  size_t unit = align < 8 ? align : 8;
  return put(el, 0, int_type(unit, 1), size / unit);
}
#define ELEMENTS_MAX(size) (size)
#endif

/* A built aggregate: the ffi_type, then its NULL-terminated elements. */
static ffi_type *build(const dl_creg *reg, dl_ctid id, char *err,
                       size_t errsize) {
  const dl_ctype *t = dl_creg_type(reg, id);
  char name[128];
  dl_ctype_name(reg, id, name, sizeof name);
  if (t->size == 0 || t->size > MAX_BYVALUE || !(t->flags & DL_CF_COMPLETE)) {
    snprintf(err, errsize, "%s cannot pass by value (%s)", name,
             t->size > MAX_BYVALUE ? "over 64 KiB" : "incomplete or empty");
    return NULL;
  }
  bytemap m = {calloc(t->size, 1), 0, 0, NULL};
  size_t max = ELEMENTS_MAX((size_t)t->size);
  ffi_type *ft = m.b ? malloc(sizeof *ft + (max + 1) * sizeof(ffi_type *)) : NULL;
  if (!ft) {
    free(m.b);
    snprintf(err, errsize, "out of memory");
    return NULL;
  }
  map_type(&m, reg, id, 0);
#if defined(__x86_64__) && !defined(_WIN32)
  if (!m.bad && m.misaligned)
    m.bad = "a packed member at a misaligned offset (x86-64 passes it in "
            "memory, which libffi cannot express): pass a pointer";
#endif
  if (m.bad) {
    snprintf(err, errsize, "%s cannot pass by value: it holds %s", name, m.bad);
    free(m.b);
    free(ft);
    return NULL;
  }
  ffi_type **el = (ffi_type **)(ft + 1);
  size_t n = elements(&m, t->size, t->align, el);
  el[n] = NULL;
  free(m.b);
  ft->size = t->size; /* preset: libffi keeps them */
  ft->alignment = (unsigned short)t->align;
  ft->type = FFI_TYPE_STRUCT;
  ft->elements = el;
  return ft;
}

static ffi_type *scalar(const dl_creg *reg, const dl_ctype *t) {
  switch (t->kind) {
    case DL_C_VOID: return &ffi_type_void;
    case DL_C_BOOL: return int_type(t->size, 1);
    case DL_C_INT: return int_type(t->size, t->flags & DL_CF_UNSIGNED);
    case DL_C_FLOAT: return &ffi_type_float;
    case DL_C_DOUBLE: return &ffi_type_double;
    case DL_C_PTR:
    case DL_C_ARRAY: return &ffi_type_pointer;
    case DL_C_ENUM: return scalar(reg, dl_creg_type(reg, t->base));
    default: return NULL;
  }
}

ffi_type *dl_ffi_ctype(dl_ffi_cache *cache, const dl_creg *reg, dl_ctid id,
                       char *err, size_t errsize) {
  const dl_ctype *t = dl_creg_type(reg, id);
  if (t->kind != DL_C_STRUCT && t->kind != DL_C_UNION) {
    ffi_type *s = scalar(reg, t);
    if (!s) {
      char name[128];
      dl_ctype_name(reg, id, name, sizeof name);
      snprintf(err, errsize, "%s cannot pass by value", name);
    }
    return s;
  }
  if (id < cache->n && cache->types[id]) return cache->types[id];
  if (id >= cache->n) {
    size_t n = (size_t)id + 64;
    ffi_type **grown = realloc(cache->types, n * sizeof *grown);
    if (!grown) {
      snprintf(err, errsize, "out of memory");
      return NULL;
    }
    memset(grown + cache->n, 0, (n - cache->n) * sizeof *grown);
    cache->types = grown;
    cache->n = n;
  }
  cache->types[id] = build(reg, id, err, errsize);
  return cache->types[id];
}
