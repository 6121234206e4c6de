/*
 * call.c - the two call paths: a register fast path and libffi.
 *
 * x86-64 System V and AArch64 assign integer-class arguments (integers,
 * pointers) to integer registers and float/double arguments to vector
 * registers, each class in order and independently of the other. So any
 * non-variadic function with at most 6 integer-class and 8 floating
 * arguments can be called through one pointer of a fixed shape, passing
 * unused registers as junk the callee never reads. A float travels as its
 * 32-bit pattern in the low half of a vector register; narrow integer
 * results are truncated, since the upper bits of the register are
 * undefined. Everything else goes through a prepared libffi call.
 *
 * Win64 assigns registers by position (a double second argument goes in
 * XMM1 whatever the first is), so only one-class signatures take the fast
 * path there: all integer-class through the all-uint64_t shape, all
 * floating through the all-double one. Arguments past the fourth go in
 * 8-byte stack slots after the caller's 32-byte shadow space, which the
 * compiler provides for any call through a prototype; a float's slot holds
 * its bits in the low half, as the double image we pass does. Extra
 * arguments are harmless: the caller owns and pops its stack.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "calls/call.h"

#define MAX_INT_REGS 6 /* System V's rdi..r9 (AArch64 has 8; Win64 4 + stack) */
#define MAX_FP_REGS 8

ffi_type *dl_ffi_type(const dl_type *t) {
  switch (t->kind) {
    case DL_VOID: return &ffi_type_void;
    case DL_BOOL: return &ffi_type_uint8;
    case DL_FLOAT: return &ffi_type_float;
    case DL_DOUBLE: return &ffi_type_double;
    case DL_STRING:
    case DL_PTR: return &ffi_type_pointer;
    case DL_SINT:
      switch (t->size) {
        case 1: return &ffi_type_sint8;
        case 2: return &ffi_type_sint16;
        case 4: return &ffi_type_sint32;
        default: return &ffi_type_sint64;
      }
    default:
      switch (t->size) {
        case 1: return &ffi_type_uint8;
        case 2: return &ffi_type_uint16;
        case 4: return &ffi_type_uint32;
        default: return &ffi_type_uint64;
      }
  }
}

static int is_fp(const dl_type *t) {
  return t->kind == DL_FLOAT || t->kind == DL_DOUBLE;
}

int dl_call_prepare(dl_callable *c, const dl_sig *sig, void *fn,
                    int force_ffi, char *errbuf, size_t errsize) {
  memset(c, 0, sizeof *c);
  c->sig = sig;
  c->fn = fn;
  c->ret_fp = is_fp(&sig->ret);
  for (int i = 0; i < sig->nargs; i++) c->types[i] = dl_ffi_type(&sig->args[i]);
  /* A variadic function's cif depends on each call's extra arguments: it
   * is prepared per call (dl_call_variadic). */
  c->path = DL_PATH_FFI;
  if (sig->variadic) return 0;
  if (ffi_prep_cif(&c->cif, FFI_DEFAULT_ABI, (unsigned)sig->nargs,
                   dl_ffi_type(&sig->ret), c->types) != FFI_OK) {
    snprintf(errbuf, errsize, "libffi cannot prepare a call to '%s'",
             sig->name);
    return -1;
  }
  if (!DL_HAVE_FAST_PATH || force_ffi) return 0;
  int nint = 0, nfp = 0;
  for (int i = 0; i < sig->nargs; i++) {
    if (is_fp(&sig->args[i])) nfp++;
    else nint++;
  }
  if (nint <= MAX_INT_REGS && nfp == 0) c->path = DL_PATH_INT;
  else if (nint == 0 && nfp <= MAX_FP_REGS) c->path = DL_PATH_FP;
  else if (DL_FAST_MIXED && nint <= MAX_INT_REGS && nfp <= MAX_FP_REGS)
    c->path = DL_PATH_MIXED;
  return 0;
}

/* Truncates a raw integer-register result to its declared type. */
void dl_narrow(const dl_type *t, uint64_t raw, dl_value *ret) {
  switch (t->kind) {
    case DL_BOOL: ret->i = (uint8_t)raw != 0; return;
    case DL_SINT:
      switch (t->size) {
        case 1: ret->i = (int8_t)raw; return;
        case 2: ret->i = (int16_t)raw; return;
        case 4: ret->i = (int32_t)raw; return;
        default: ret->i = (int64_t)raw; return;
      }
    case DL_UINT:
      switch (t->size) {
        case 1: ret->u = (uint8_t)raw; return;
        case 2: ret->u = (uint16_t)raw; return;
        case 4: ret->u = (uint32_t)raw; return;
        default: ret->u = raw; return;
      }
    case DL_VOID: ret->u = 0; return;
    default: ret->u = (uintptr_t)raw; return; /* a pointer, whole in u */
  }
}

double dl_float_reg(float f) {
  uint32_t bits;
  uint64_t wide;
  double d;
  memcpy(&bits, &f, sizeof bits);
  wide = bits;
  memcpy(&d, &wide, sizeof d);
  return d;
}

#if DL_HAVE_FAST_PATH
static float reg_float(double d) {
  uint64_t wide;
  uint32_t bits;
  float f;
  memcpy(&wide, &d, sizeof wide);
  bits = (uint32_t)wide;
  memcpy(&f, &bits, sizeof f);
  return f;
}

typedef uint64_t u64;
typedef double (*int_fp_fn)(u64, u64, u64, u64, u64, u64);
typedef u64 (*fp_fn)(double, double, double, double, double, double, double,
                     double);
typedef double (*fp_fp_fn)(double, double, double, double, double, double,
                           double, double);
#if DL_FAST_MIXED
typedef u64 (*mixed_fn)(u64, u64, u64, u64, u64, u64, double, double, double,
                        double, double, double, double, double);
typedef double (*mixed_fp_fn)(u64, u64, u64, u64, u64, u64, double, double,
                              double, double, double, double, double, double);
#endif

/* Object pointer to function pointer of a given shape (ABI-exact here). */
#define AS_FN(type, p) ((type)(uintptr_t)(p))
#define FR8(fr) fr[0], fr[1], fr[2], fr[3], fr[4], fr[5], fr[6], fr[7]
#define IR6(ir) ir[0], ir[1], ir[2], ir[3], ir[4], ir[5]

/* The raw integer result register, by the path's shape. */
static u64 call_int_ret(const dl_callable *c, const u64 *ir, const double *fr) {
  if (c->path == DL_PATH_INT) return dl_call_ints(c, ir);
#if DL_FAST_MIXED
  if (c->path == DL_PATH_MIXED)
    return AS_FN(mixed_fn, c->fn)(IR6(ir), FR8(fr));
#endif
  return AS_FN(fp_fn, c->fn)(FR8(fr));
}

/* The raw floating result register, by the path's shape. */
static double call_fp_ret(const dl_callable *c, const u64 *ir,
                          const double *fr) {
  if (c->path == DL_PATH_INT) return AS_FN(int_fp_fn, c->fn)(IR6(ir));
#if DL_FAST_MIXED
  if (c->path == DL_PATH_MIXED)
    return AS_FN(mixed_fp_fn, c->fn)(IR6(ir), FR8(fr));
#endif
  return AS_FN(fp_fp_fn, c->fn)(FR8(fr));
}

void dl_call_regs(const dl_callable *c, const uint64_t *ir, const double *fr,
                  dl_value *ret) {
  const dl_sig *sig = c->sig;
  if (!c->ret_fp) {
    dl_narrow(&sig->ret, call_int_ret(c, ir, fr), ret);
    return;
  }
  double d = call_fp_ret(c, ir, fr);
  if (sig->ret.kind == DL_FLOAT) ret->f = reg_float(d);
  else ret->d = d;
}

static void fast_call(const dl_callable *c, const dl_value *args,
                      dl_value *ret) {
  const dl_sig *sig = c->sig;
  u64 ir[MAX_INT_REGS] = {0};
  double fr[MAX_FP_REGS] = {0};
  int ni = 0, nf = 0;
  for (int i = 0; i < sig->nargs; i++) {
    switch (sig->args[i].kind) {
      case DL_FLOAT: fr[nf++] = dl_float_reg(args[i].f); break;
      case DL_DOUBLE: fr[nf++] = args[i].d; break;
      default: ir[ni++] = args[i].u; break;
    }
  }
  dl_call_regs(c, ir, fr, ret);
}
#else
void dl_call_regs(const dl_callable *c, const uint64_t *ir, const double *fr,
                  dl_value *ret) {
  (void)c; (void)ir; (void)fr;
  ret->u = 0; /* never reached: prepare picks libffi on other ABIs */
}
#endif

static void to_slot(const dl_type *t, const dl_value *v, dl_slot *s) {
  switch (t->kind) {
    case DL_FLOAT: s->f = v->f; return;
    case DL_DOUBLE: s->d = v->d; return;
    case DL_STRING:
    case DL_PTR: s->p = (void *)(uintptr_t)v->u; return;
    case DL_BOOL: s->u8 = (uint8_t)(v->u != 0); return;
    default: break;
  }
  switch (t->size) {
    case 1: s->u8 = (uint8_t)v->u; return;
    case 2: s->u16 = (uint16_t)v->u; return;
    case 4: s->u32 = (uint32_t)v->u; return;
    default: s->u64 = v->u; return;
  }
}

/* One libffi call: n arguments of the given types, result of type rt. */
static void ffi_invoke(ffi_cif *cif, void *fn, const dl_type *rt, int n,
                       const dl_type *types, const dl_value *args,
                       dl_value *ret) {
  dl_slot slots[DL_MAX_ARGS];
  void *ptrs[DL_MAX_ARGS];
  for (int i = 0; i < n; i++) {
    to_slot(&types[i], &args[i], &slots[i]);
    ptrs[i] = &slots[i];
  }
  dl_ffi_ret r;
  memset(&r, 0, sizeof r);
  ffi_call(cif, FFI_FN(fn), &r, ptrs);
  switch (rt->kind) {
    case DL_FLOAT: ret->f = r.f; return;
    case DL_DOUBLE: ret->d = r.d; return;
    case DL_STRING:
    case DL_PTR: ret->u = (uintptr_t)r.p; return; /* whole in u: see dl_value */
    case DL_VOID: ret->u = 0; return;
    default: break;
  }
  uint64_t raw = rt->size < sizeof(ffi_arg)
                     ? (rt->kind == DL_SINT ? (uint64_t)(int64_t)r.s
                                            : (uint64_t)r.a)
                     : r.u;
  dl_narrow(rt, raw, ret);
}

static void ffi_path(const dl_callable *c, const dl_value *args,
                     dl_value *ret) {
  const dl_sig *sig = c->sig;
  ffi_invoke((ffi_cif *)&c->cif, c->fn, &sig->ret, sig->nargs, sig->args,
             args, ret);
}

int dl_call_variadic(const dl_callable *c, int n, const dl_type *types,
                     const dl_value *args, dl_value *ret, char *errbuf,
                     size_t errsize) {
  const dl_sig *sig = c->sig;
  if (n > DL_MAX_ARGS) {
    snprintf(errbuf, errsize, "too many arguments to '%s' (at most %d)",
             sig->name, DL_MAX_ARGS);
    return -1;
  }
  ffi_type *atypes[DL_MAX_ARGS];
  for (int i = 0; i < n; i++) atypes[i] = dl_ffi_type(&types[i]);
  ffi_cif cif;
  if (ffi_prep_cif_var(&cif, FFI_DEFAULT_ABI, (unsigned)sig->nargs,
                       (unsigned)n, dl_ffi_type(&sig->ret), atypes) != FFI_OK) {
    snprintf(errbuf, errsize, "libffi cannot prepare this call to '%s'",
             sig->name);
    return -1;
  }
  ffi_invoke(&cif, c->fn, &sig->ret, n, types, args, ret);
  return 0;
}

void dl_call(const dl_callable *c, const dl_value *args, dl_value *ret) {
#if DL_HAVE_FAST_PATH
  if (c->path != DL_PATH_FFI) {
    fast_call(c, args, ret);
    return;
  }
#endif
  ffi_path(c, args, ret);
}
