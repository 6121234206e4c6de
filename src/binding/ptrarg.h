/*
 * ptrarg.h - which Lua values pass where C expects a pointer (ptrarg.c),
 * one rule for every typed call: nil (NULL), light userdata, and dynlib's
 * own objects (buffers, callbacks, typed objects and pointers). Any other
 * full userdata is refused: its block is some module's private state (Lua's
 * io.stdout is no FILE *), so passing it would be undefined behaviour.
 */
#ifndef DYNLIB_BINDING_PTRARG_H
#define DYNLIB_BINDING_PTRARG_H

#include <lua.h>

#include "calls/call.h"

/* The pointer the value at idx stands for: 1 and *out, or 0 when the value
 * is no pointer (a table, a number, another module's userdata). */
int ldl_to_pointer(lua_State *L, int idx, void **out);

/* What a refused value is, for messages: its __name ("FILE*") when its
 * metatable has one, else its Lua type name. */
const char *ldl_value_name(lua_State *L, int idx);

/* A typed value as a variadic argument (the value at i, of the call to
 * fname): a scalar object with its own type after C's default promotions,
 * an array object or a typed pointer as a pointer; raises for a struct or
 * union object. 1 and *t, *v; 0 when the value is no typed value. */
int ldl_variadic_cdata(lua_State *L, int i, const char *fname, dl_type *t,
                       dl_value *v);

#endif
