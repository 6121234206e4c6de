/*
 * ctypes.h - this Lua state's C type registry (dynlib.cdef and friends,
 * cdef.c) as the other binding files use it.
 */
#ifndef DYNLIB_BINDING_CTYPES_H
#define DYNLIB_BINDING_CTYPES_H

#include <lua.h>

#include "ctype/ctype.h"

/* The state's registry, made on first use; freed when the state closes. */
dl_creg *ldl_creg(lua_State *L);

/* A type from its text ("struct tm *", "int[?]"), parsed once per state
 * and cached by its text: every later use is one table lookup. Raises
 * "dynlib: bad type '...': line 1, column 8: ..." on a bad type. */
dl_ctid ldl_ctype_from(lua_State *L, const char *text, size_t len);

/* The string argument at idx as a type (ldl_ctype_from). */
dl_ctid ldl_check_ctype(lua_State *L, int idx);

#endif
