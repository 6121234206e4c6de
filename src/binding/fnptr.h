/*
 * fnptr.h - C function pointers called from Lua (fnptr.c): a typed
 * pointer whose type is a pointer to a function (a struct field, a call's
 * result, dynlib.cast("int (*)(int, int)", p)) is callable.
 */
#ifndef DYNLIB_BINDING_FNPTR_H
#define DYNLIB_BINDING_FNPTR_H

#include <lua.h>

/* Gives typed values (cdata.c, set up first) a __call: f(...) calls the
 * function f points to with its arguments checked against the declared
 * parameters and returns its result; raises for any other typed value. */
void ldl_open_fnptr(lua_State *L);

#endif
