/*
 * call.h - calling a C function described by a dl_sig: a prepared libffi
 * call for every signature, and a register fast path where the ABI makes it
 * exact (x86-64 System V, AArch64).
 */
#ifndef DYNLIB_CALL_H
#define DYNLIB_CALL_H

#include <ffi.h>

#include "sig.h"

/* One argument or result, already converted and range-checked. Integers
 * are held sign- or zero-extended to 64 bits; a float as a float. */
typedef union dl_value {
  int64_t i;
  uint64_t u;
  double d;
  float f;
  void *p;
  const char *s;
} dl_value;

/* The fast path's shapes: integer-class arguments go in the integer
 * registers, float and double ones in the vector registers, each class
 * counted on its own (as both ABIs assign them). */
enum {
  DL_PATH_FFI = 0,
  DL_PATH_INT,  /* only integer-class arguments (<= 6) */
  DL_PATH_MIXED /* <= 6 integer-class and <= 8 floating arguments */
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

/* Calls with args[0..nargs); stores the result (truncated to its declared
 * type and extended back to 64 bits for integers) in *ret. */
void dl_call(const dl_callable *c, const dl_value *args, dl_value *ret);

#endif
