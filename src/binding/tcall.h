/*
 * tcall.h - libffi calls of a declared function type (tcall.c), one
 * conversion for every caller: declared functions (cfunc.c) and function
 * pointers (fnptr.c). Arguments are converted by the typed values' store
 * (cdata.h: ranges, pointer types, callbacks' signatures checked), structs
 * and unions by value travel with the libffi types of calls/ffi_struct.c
 * (an object of the type or a table in, a new object out), enums take a
 * constant's name, const byte pointers a Lua string; results are pushed as
 * a field of their type reads.
 */
#ifndef DYNLIB_BINDING_TCALL_H
#define DYNLIB_BINDING_TCALL_H

#include <lua.h>

#include "calls/call.h"
#include "calls/sig.h"
#include "ctype/ctype.h"

/* What a call reports after its result (lib:func's options). */
enum { LDL_REPORT_ERRNO = 1, LDL_REPORT_LAST_ERROR = 2 };

/* A function type's prepared call. Its messages live in text the caller
 * provides (ldl_tcall_text bytes), usually right after it in a userdata. */
typedef struct ldl_tcall {
  dl_creg *reg; /* the state's registry (cdef.c): found once, not per call */
  int nargs, variadic;
  dl_ctid ret;
  uint8_t ret_how;
  uint8_t how[DL_MAX_ARGS];
  dl_ctid args[DL_MAX_ARGS];
  uint32_t size[DL_MAX_ARGS]; /* argument sizes */
  size_t ret_size;
  ffi_cif cif; /* variadic: made per call */
  ffi_type *rtype, *types[DL_MAX_ARGS];
  const char *name;              /* 'div', 'int (*)(int, int)' */
  const char *what[DL_MAX_ARGS]; /* "argument #2 to 'div'" */
} ldl_tcall;

/* Is type id exactly `const char *`, the pointer a result is a Lua string
 * for? (Not signed or unsigned char; typedefs leave no trace, so `typedef
 * const char *cstr` counts too, as C sees the same type.) */
int ldl_is_const_char_ptr(dl_creg *reg, dl_ctid id);

/* Bytes of text a call of function type ftype named name needs. */
size_t ldl_tcall_text(const dl_creg *reg, dl_ctid ftype, const char *name);

/* Prepares c to call function type ftype, naming it name in messages
 * (copied into text). Raises for what cannot be called: a parameter or
 * result that cannot travel by value, too many parameters. */
void ldl_tcall_prepare(lua_State *L, ldl_tcall *c, dl_ctid ftype,
                       const char *name, char *text);

/* Calls fn with the Lua values at 1..top as its arguments (raising for a
 * wrong count or value), then pushes its result and what report asks for
 * (LDL_REPORT_*); returns how many values it pushed. */
int ldl_tcall_call(lua_State *L, const ldl_tcall *c, void *fn, int report);

#endif
