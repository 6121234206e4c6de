/*
 * cconv.h - C scalars <-> Lua values for typed memory (cconv.c): the
 * access class of a declared type, computed once per type (field cache,
 * typed pointer) so that every access is one switch, and the checked
 * stores that typed objects, pointers and buf:get/set share.
 */
#ifndef DYNLIB_BINDING_CCONV_H
#define DYNLIB_BINDING_CCONV_H

#include <lua.h>
#include <stdint.h>
#include <string.h>

#include "ctype/ctype.h"

/* How a value of a type is read and written. Classes up to LDL_K_DOUBLE
 * are plain scalars (ldl_cread_scalar, ldl_cwrite_scalar). */
enum {
  LDL_K_I8, LDL_K_I16, LDL_K_I32, LDL_K_I64,
  LDL_K_U8, LDL_K_U16, LDL_K_U32, LDL_K_U64,
  LDL_K_BOOL, LDL_K_FLOAT, LDL_K_DOUBLE,
  LDL_K_VPTR,    /* void *: light userdata, nil for NULL */
  LDL_K_PTR,     /* T *: a typed pointer, nil for NULL */
  LDL_K_FPTR,    /* pointer to a function (typed calls make it callable) */
  LDL_K_AGG,     /* struct, union, array: a view or a copy */
  LDL_K_LDOUBLE, /* laid out, never converted */
  LDL_K_VOID,    /* void, functions, incomplete types: no value */
  LDL_K_COUNT
};

/* The access class of `type` (enums as their integer type). */
uint8_t ldl_cclass(const dl_creg *reg, dl_ctid type);

/* Why a store failed (ldl_cwrite_scalar, ldl_cwrite_bits). */
enum { LDL_CW_OK, LDL_CW_TYPE, LDL_CW_RANGE };

/* Pushes the scalar of class cls (<= LDL_K_DOUBLE) stored at p. Inline:
 * it is the body of every field and element read. */
static inline void ldl_cread_scalar(lua_State *L, uint8_t cls, const void *p) {
  union { int8_t i8; int16_t i16; int32_t i32; int64_t i64; uint8_t u8;
          uint16_t u16; uint32_t u32; float f; double d; } v;
  switch (cls) {
    case LDL_K_I8: memcpy(&v.i8, p, 1); lua_pushinteger(L, v.i8); return;
    case LDL_K_I16: memcpy(&v.i16, p, 2); lua_pushinteger(L, v.i16); return;
    case LDL_K_I32: memcpy(&v.i32, p, 4); lua_pushinteger(L, v.i32); return;
    case LDL_K_U8: memcpy(&v.u8, p, 1); lua_pushinteger(L, v.u8); return;
    case LDL_K_U16: memcpy(&v.u16, p, 2); lua_pushinteger(L, v.u16); return;
    case LDL_K_U32: memcpy(&v.u32, p, 4); lua_pushinteger(L, v.u32); return;
    case LDL_K_BOOL: memcpy(&v.u8, p, 1); lua_pushboolean(L, v.u8 != 0); return;
    case LDL_K_FLOAT: memcpy(&v.f, p, 4); lua_pushnumber(L, v.f); return;
    case LDL_K_DOUBLE: memcpy(&v.d, p, 8); lua_pushnumber(L, v.d); return;
    default: /* 64-bit: unsigned ones wrap, as typed-call results do */
      memcpy(&v.i64, p, 8);
      lua_pushinteger(L, (lua_Integer)v.i64);
      return;
  }
}

/* Converts the Lua value at idx to class cls (<= LDL_K_DOUBLE) and
 * stores it at p, checked as typed-call arguments are: integers in the
 * type's range (64-bit ones take every integer), numbers for floats (a
 * finite value past FLT_MAX is out of range), booleans for bool. Nothing
 * is stored on failure. Returns LDL_CW_*. */
int ldl_cwrite_scalar(lua_State *L, int idx, uint8_t cls, void *p);

/* A bit-field of `width` bits from bit `bit` of the little-endian unit at
 * p; cls is the declared type's class (signed ones sign-extend, bool is a
 * boolean). */
void ldl_cread_bits(lua_State *L, uint8_t cls, const void *p, unsigned bit,
                    unsigned width);
int ldl_cwrite_bits(lua_State *L, int idx, uint8_t cls, void *p, unsigned bit,
                    unsigned width);

#endif
