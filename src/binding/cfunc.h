/*
 * cfunc.h - typed calls of declared C types (cfunc.c): functions whose
 * prototypes use declared typedefs, structs and unions by value, enums and
 * typed pointers, called through libffi with the conversions of typed
 * values (cdata.h); and lib:cdef. Prototypes of plain scalar shapes keep
 * func.c's paths (the register fast path where it exists).
 */
#ifndef DYNLIB_BINDING_CFUNC_H
#define DYNLIB_BINDING_CFUNC_H

#include <lua.h>

#include "calls/call.h"
#include "calls/sig.h"
#include "binding/tcall.h" /* LDL_REPORT_* */

/* A declared function of a scalar shape, for func.c to make: its
 * signature and the symbol to resolve. */
typedef struct ldl_cfunc_sig {
  dl_sig sig;
  char symbol[DL_NAME_MAX];
} ldl_cfunc_sig;

/* lib:func(name) of a function declared by cdef. Pushes it, resolved in
 * the library at lib_idx (or nil, message, code), and returns how many
 * values it pushed; or returns 0 with *out filled for a scalar shape.
 * Raises when `name` was not declared or is an inline definition. */
int ldl_cfunc_declared(lua_State *L, int lib_idx, const char *name,
                       int report, ldl_cfunc_sig *out);

/* lib:func(proto) or lib:func(name, proto) for a prototype func.c's parser
 * did not take, parsed with the declared types: as above, or -1 (nothing
 * pushed) when the declared types do not make sense of it either. */
int ldl_cfunc_proto(lua_State *L, int lib_idx, const char *name,
                    const char *proto, int report, ldl_cfunc_sig *out);

#endif
