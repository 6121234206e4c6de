/*
 * cconv.c - the scalar conversions of typed memory (cconv.h).
 */
#include <float.h>
#include <math.h>

#include "binding/cconv.h"

static uint8_t int_class(uint32_t size, int is_unsigned) {
  static const uint8_t sint[] = {LDL_K_I8, LDL_K_I16, LDL_K_VOID, LDL_K_I32};
  static const uint8_t uint[] = {LDL_K_U8, LDL_K_U16, LDL_K_VOID, LDL_K_U32};
  if (size == 8) return is_unsigned ? LDL_K_U64 : LDL_K_I64;
  if (size == 0 || size > 4) return LDL_K_VOID; /* __int128: no value */
  return is_unsigned ? uint[size - 1] : sint[size - 1];
}

static uint8_t pointer_class(const dl_creg *reg, dl_ctid base) {
  switch (dl_creg_type(reg, base)->kind) {
    case DL_C_VOID: return LDL_K_VPTR;
    case DL_C_FUNC: return LDL_K_FPTR;
    default: return LDL_K_PTR;
  }
}

uint8_t ldl_cclass(const dl_creg *reg, dl_ctid type) {
  const dl_ctype *t = dl_creg_type(reg, type);
  switch (t->kind) {
    case DL_C_BOOL: return LDL_K_BOOL;
    case DL_C_INT: return int_class(t->size, t->flags & DL_CF_UNSIGNED);
    case DL_C_FLOAT: return LDL_K_FLOAT;
    case DL_C_DOUBLE: return LDL_K_DOUBLE;
    case DL_C_LDOUBLE: return LDL_K_LDOUBLE;
    case DL_C_ENUM:
      /* An enum without a body has no integer type yet: no value. */
      return t->base ? ldl_cclass(reg, t->base) : LDL_K_VOID;
    case DL_C_PTR: return pointer_class(reg, t->base);
    case DL_C_ARRAY:
    case DL_C_STRUCT:
    case DL_C_UNION:
      return LDL_K_AGG;
    default: return LDL_K_VOID;
  }
}

/* The range of each integer class (64-bit ones: every integer). */
static const lua_Integer int_lo[] = {INT8_MIN, INT16_MIN, INT32_MIN, LUA_MININTEGER,
                                     0, 0, 0, LUA_MININTEGER};
static const lua_Integer int_hi[] = {INT8_MAX, INT16_MAX, INT32_MAX, LUA_MAXINTEGER,
                                     UINT8_MAX, UINT16_MAX, UINT32_MAX, LUA_MAXINTEGER};
static const uint8_t int_size[] = {1, 2, 4, 8, 1, 2, 4, 8};

/* Stores the low `size` bytes of x as the integer of that width (the
 * same on little- and big-endian hosts). */
static void store_int(void *p, lua_Integer x, unsigned size) {
  union { int8_t i8; int16_t i16; int32_t i32; int64_t i64; } v;
  switch (size) {
    case 1: v.i8 = (int8_t)x; break;
    case 2: v.i16 = (int16_t)x; break;
    case 4: v.i32 = (int32_t)x; break;
    default: v.i64 = (int64_t)x; break;
  }
  memcpy(p, &v, size);
}

static int write_float(lua_State *L, int idx, uint8_t cls, void *p) {
  int ok;
  double d = (double)lua_tonumberx(L, idx, &ok);
  if (!ok) return LDL_CW_TYPE;
  if (cls == LDL_K_DOUBLE) {
    memcpy(p, &d, sizeof d);
    return LDL_CW_OK;
  }
  if (isfinite(d) && fabs(d) > FLT_MAX) return LDL_CW_RANGE;
  float f = (float)d;
  memcpy(p, &f, sizeof f);
  return LDL_CW_OK;
}

int ldl_cwrite_scalar(lua_State *L, int idx, uint8_t cls, void *p) {
  if (cls == LDL_K_BOOL) {
    if (lua_type(L, idx) != LUA_TBOOLEAN) return LDL_CW_TYPE;
    uint8_t b = (uint8_t)lua_toboolean(L, idx);
    memcpy(p, &b, 1);
    return LDL_CW_OK;
  }
  if (cls == LDL_K_FLOAT || cls == LDL_K_DOUBLE) return write_float(L, idx, cls, p);
  int ok;
  lua_Integer x = lua_tointegerx(L, idx, &ok);
  if (!ok) return LDL_CW_TYPE;
  if (x < int_lo[cls] || x > int_hi[cls]) return LDL_CW_RANGE;
  store_int(p, x, int_size[cls]);
  return LDL_CW_OK;
}

/* Bit-fields: the bytes holding bits [bit, bit + width) as one
 * little-endian number (every target dynlib builds for is little-endian;
 * a packed field may straddle its declared type's unit). */
static unsigned bits_bytes(unsigned bit, unsigned width) {
  return (bit + width + 7) / 8;
}

static uint64_t load_le(const unsigned char *p, unsigned n) {
  uint64_t u = 0;
  for (unsigned i = 0; i < n && i < 8; i++) u |= (uint64_t)p[i] << (8 * i);
  return u;
}

static void store_le(unsigned char *p, unsigned n, uint64_t u) {
  for (unsigned i = 0; i < n && i < 8; i++) p[i] = (unsigned char)(u >> (8 * i));
}

static uint64_t low_mask(unsigned width) {
  return width >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << width) - 1;
}

static int is_signed_class(uint8_t cls) {
  return cls <= LDL_K_I64;
}

void ldl_cread_bits(lua_State *L, uint8_t cls, const void *p, unsigned bit,
                    unsigned width) {
  uint64_t u = load_le(p, bits_bytes(bit, width)) >> bit & low_mask(width);
  if (cls == LDL_K_BOOL) {
    lua_pushboolean(L, u != 0);
    return;
  }
  if (is_signed_class(cls) && width < 64 && (u >> (width - 1)) & 1)
    u |= ~low_mask(width); /* sign-extend */
  lua_pushinteger(L, (lua_Integer)u);
}

/* The range of a bit-field of `width` bits. */
static void bits_range(uint8_t cls, unsigned width, lua_Integer *lo, lua_Integer *hi) {
  if (width >= 64) {
    *lo = LUA_MININTEGER;
    *hi = LUA_MAXINTEGER;
  } else if (is_signed_class(cls)) {
    *lo = -((lua_Integer)1 << (width - 1));
    *hi = ((lua_Integer)1 << (width - 1)) - 1;
  } else {
    *lo = 0;
    *hi = (lua_Integer)low_mask(width);
  }
}

int ldl_cwrite_bits(lua_State *L, int idx, uint8_t cls, void *p, unsigned bit,
                    unsigned width) {
  lua_Integer x, lo, hi;
  if (cls == LDL_K_BOOL) {
    if (lua_type(L, idx) != LUA_TBOOLEAN) return LDL_CW_TYPE;
    x = lua_toboolean(L, idx);
  } else {
    int ok;
    x = lua_tointegerx(L, idx, &ok);
    if (!ok) return LDL_CW_TYPE;
    bits_range(cls, width, &lo, &hi);
    if (x < lo || x > hi) return LDL_CW_RANGE;
  }
  unsigned n = bits_bytes(bit, width);
  uint64_t mask = low_mask(width) << bit;
  uint64_t u = load_le(p, n);
  u = (u & ~mask) | (((uint64_t)x << bit) & mask);
  store_le(p, n, u);
  return LDL_CW_OK;
}
