/*
 * func.h - what typed functions (func.c) offer the library handles: closing
 * a handle disarms the functions made from it.
 */
#ifndef DYNLIB_BINDING_FUNC_H
#define DYNLIB_BINDING_FUNC_H

#include <lua.h>

/* Every typed function made from the handle at idx calls a stub that
 * reports "closed" after the call from now on, instead of the library's
 * code: func.c's fast entries have no closed check before their call. Call
 * it before the library can be unloaded. */
void ldl_fn_disarm_all(lua_State *L, int idx);

#endif
