/*
 * call.h - calling a C function described by a dl_sig: a prepared libffi
 * call for every signature, and a register fast path where the ABI makes it
 * exact (x86-64 System V, AArch64, and on Win64 for signatures of one
 * register class).
 */
#ifndef DYNLIB_CALL_H
#define DYNLIB_CALL_H

#include <ffi.h>

#include "calls/sig.h"

/* 1 where the register fast path is exact for some signatures: then
 * dl_call_ints and dl_call_doubles exist and dl_call_prepare may choose a
 * fast path. 0 elsewhere (i386): every call goes through libffi.
 * - x86-64 System V and AArch64 assign integer-class and floating arguments
 *   to their registers each class on its own, in order.
 * - Win64 assigns the first four arguments to RCX, RDX, R8, R9 or
 *   XMM0-XMM3 by position, the rest to 8-byte stack slots: a signature of
 *   one class (only integer-class, or only float/double arguments) is then
 *   exact through a prototype of that class, a mixed one is not. */
#if (defined(__x86_64__) && !defined(_WIN32)) || defined(__aarch64__)
#define DL_HAVE_FAST_PATH 1
#define DL_FAST_MIXED 1 /* classes counted apart: mixed signatures too */
#elif defined(__x86_64__) && defined(_WIN64)
#define DL_HAVE_FAST_PATH 1
#define DL_FAST_MIXED 0 /* by position: mixed signatures stay on libffi */
#else
#define DL_HAVE_FAST_PATH 0
#define DL_FAST_MIXED 0
#endif

/* One argument or result, already converted and range-checked. Integers
 * are held sign- or zero-extended to 64 bits; a float as a float; pointers
 * and strings zero-extended to 64 bits in u (no pointer member: where
 * pointers have 32 bits, one would cover half of u and leave the other
 * half undefined for readers of u). */
typedef union dl_value {
  int64_t i;
  uint64_t u;
  double d;
  float f;
} dl_value;

/* One argument as libffi reads it: through a pointer to its exact C type. */
typedef union dl_slot {
  int8_t i8;
  int16_t i16;
  int32_t i32;
  int64_t i64;
  uint8_t u8;
  uint16_t u16;
  uint32_t u32;
  uint64_t u64;
  float f;
  double d;
  void *p;
} dl_slot;

/* A libffi result: integers narrower than ffi_arg come back widened to it. */
typedef union dl_ffi_ret {
  ffi_arg a;
  ffi_sarg s;
  uint64_t u;
  double d;
  float f;
  void *p;
} dl_ffi_ret;

/* The fast path's shapes: integer-class arguments go in the integer
 * registers, float and double ones in the vector registers (then the stack
 * on Win64, in 8-byte slots either way). */
enum {
  DL_PATH_FFI = 0,
  DL_PATH_INT,  /* only integer-class arguments (<= 6) */
  DL_PATH_FP,   /* only float/double arguments (1 to 8) */
  DL_PATH_MIXED /* <= 6 integer-class and <= 8 floating (DL_FAST_MIXED) */
};

typedef struct dl_callable {
  const dl_sig *sig;
  void *fn;
  int path;     /* DL_PATH_* */
  int ret_fp;   /* the result comes back in a vector register */
  ffi_cif cif;
  ffi_type *types[DL_MAX_ARGS];
} dl_callable;

/* Prepares a call (libffi's cif always; the fast path when exact and not
 * forced off). Returns 0, or -1 with a message (unsupported signature). */
int dl_call_prepare(dl_callable *c, const dl_sig *sig, void *fn,
                    int force_ffi, char *errbuf, size_t errsize);

/* Calls a variadic function with n arguments: the declared ones, then the
 * extra ones with the types the caller chose (already promoted as C's
 * default argument promotions want: no type narrower than int, double for
 * float). 0, or -1 with a message. */
int dl_call_variadic(const dl_callable *c, int n, const dl_type *types,
                     const dl_value *args, dl_value *ret, char *errbuf,
                     size_t errsize);

/* Calls with args[0..nargs); stores the result (truncated to its declared
 * type and extended back to 64 bits for integers) in *ret. */
void dl_call(const dl_callable *c, const dl_value *args, dl_value *ret);

/* The fast path's direct entry, for callers that convert arguments straight
 * into registers (the binding's hot loop): c->path is not DL_PATH_FFI; ir
 * holds the integer-class arguments in order, fr the floating ones (a float
 * as dl_float_reg of it). */
void dl_call_regs(const dl_callable *c, const uint64_t *ir, const double *fr,
                  dl_value *ret);

/* A prepared libffi call (c->cif: not for variadic functions) with the
 * caller's argument pointers, each at a slot of its argument's exact C
 * type: the binding converts straight into slots it prepared once. */
static inline void dl_call_ffi(const dl_callable *c, void **avalue,
                               dl_ffi_ret *ret) {
  ffi_call((ffi_cif *)&c->cif, FFI_FN(c->fn), ret, avalue);
}

/* The libffi type of a dynlib type. */
ffi_type *dl_ffi_type(const dl_type *t);

/* A float's bits in the low half of a vector register image. */
double dl_float_reg(float f);

/* Truncates a raw integer-register result to its declared type, extended
 * back to 64 bits. */
void dl_narrow(const dl_type *t, uint64_t raw, dl_value *ret);

#if DL_HAVE_FAST_PATH
/* A call with n integer-class arguments in r[0..n), n <= 6 (the binding's
 * specialised entries pass a constant n, so the switch folds away).
 * Returns the raw result register. */
static inline uint64_t dl_call_ints_n(void *fnp, int n, const uint64_t *r) {
  typedef uint64_t u;
  uintptr_t fn = (uintptr_t)fnp; /* object to function pointer: exact here */
  switch (n) {
    case 0: return ((u(*)(void))fn)();
    case 1: return ((u(*)(u))fn)(r[0]);
    case 2: return ((u(*)(u, u))fn)(r[0], r[1]);
    case 3: return ((u(*)(u, u, u))fn)(r[0], r[1], r[2]);
    case 4: return ((u(*)(u, u, u, u))fn)(r[0], r[1], r[2], r[3]);
    case 5: return ((u(*)(u, u, u, u, u))fn)(r[0], r[1], r[2], r[3], r[4]);
    default:
      return ((u(*)(u, u, u, u, u, u))fn)(r[0], r[1], r[2], r[3], r[4], r[5]);
  }
}

/* Integer-class arguments only (c->path == DL_PATH_INT), integer-class or
 * void result: a call with exactly the function's arity. */
static inline uint64_t dl_call_ints(const dl_callable *c, const uint64_t *r) {
  return dl_call_ints_n(c->fn, c->sig->nargs, r);
}

/* n double arguments (n <= 4, constant in the binding's entries) and a
 * double result: libm's shape. */
static inline double dl_call_doubles_n(void *fnp, int n, const double *r) {
  typedef double d;
  uintptr_t fn = (uintptr_t)fnp;
  switch (n) {
    case 0: return ((d(*)(void))fn)();
    case 1: return ((d(*)(d))fn)(r[0]);
    case 2: return ((d(*)(d, d))fn)(r[0], r[1]);
    case 3: return ((d(*)(d, d, d))fn)(r[0], r[1], r[2]);
    default: return ((d(*)(d, d, d, d))fn)(r[0], r[1], r[2], r[3]);
  }
}

/* Only double arguments (at most 4) and a double result. */
static inline double dl_call_doubles(const dl_callable *c, const double *r) {
  return dl_call_doubles_n(c->fn, c->sig->nargs, r);
}
#endif

#endif
