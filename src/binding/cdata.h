/*
 * cdata.h - typed C values owned or viewed by Lua (cdata.c): objects made
 * by dynlib.new (memory owned by Lua, bounds-checked) and typed pointers
 * (a view of memory dynlib may not own: unchecked past what it knows).
 * The conversions between Lua values and C values of a declared type live
 * here too, shared by field access, typed calls and callbacks.
 */
#ifndef DYNLIB_BINDING_CDATA_H
#define DYNLIB_BINDING_CDATA_H

#include <lua.h>

#include "ctype/ctype.h"

/* Pushes a new zeroed object of `type` holding `size` bytes (the type's
 * size, or a "[?]" array's size for its length) and returns its memory. */
void *ldl_cdata_new(lua_State *L, dl_ctid type, size_t size);

/* Pushes a typed pointer of pointer type `ptype` with value p; nil when p
 * is NULL (never a truthy NULL). A `void *` type pushes light userdata. */
void ldl_cdata_push_pointer(lua_State *L, dl_ctid ptype, void *p);

/* Typed pointers handed to callbacks are reused: a per-state cache keeps
 * the pointer made for a (pointer type, address) seen recently (weakly:
 * one no script holds may be collected), so a sort's comparator, which
 * sees each element about log n times, mostly makes none. A reused pointer
 * is the very object an earlier call got: nothing else about it differs,
 * as callbacks' pointers are foreign ones (no owner, no bounds), and a
 * typed pointer never changes once made.
 *
 * ldl_cdata_ptrcache returns the state's cache (it lives as long as the
 * state) and sets *ref to the registry reference of the table anchoring
 * its objects; callers push that table and pass its stack index as
 * `anchor`. */
typedef struct ldl_ptrcache ldl_ptrcache;
ldl_ptrcache *ldl_cdata_ptrcache(lua_State *L, int *ref);

/* Pushes the cached typed pointer of the model's type (see below) with
 * value p (nil for NULL) and returns 1; returns 0, pushing nothing, when
 * there is none. Never allocates or raises. */
int ldl_cdata_reuse(lua_State *L, const ldl_ptrcache *pc, int anchor, const void *model,
                    void *p);

/* For hot paths pushing many typed pointers of one type (a callback's
 * arguments): a typed pointer made once by ldl_cdata_push_pointer (with a
 * value that is not NULL) is the model; ldl_cdata_push_like then pushes a
 * typed pointer of the model's type with value p (nil for NULL), copying
 * the model's description instead of looking anything up. model is the
 * model's memory (lua_touserdata; the caller keeps the model alive), mt
 * the stack index of its metatable (lua_getmetatable of the model). With
 * a cache (pc not NULL), the pointer is reused when cached, else made and
 * entered; the model must then be a foreign pointer (as the callback's
 * are), since the cache knows no owners. */
void ldl_cdata_push_like(lua_State *L, const void *model, int mt, ldl_ptrcache *pc,
                         int anchor, void *p);

/* What the value at idx stands for in C: for an object, its memory and
 * its type (is_object 1); for a typed pointer, the pointer's value and
 * its pointer type (is_object 0). 0 when idx holds no typed value. */
int ldl_cdata_get(lua_State *L, int idx, void **addr, dl_ctid *type,
                  int *is_object);

/* Pushes the C value of `type` stored at p as Lua sees it: integers and
 * floats as numbers, bool as boolean, pointers as typed pointers (nil for
 * NULL), struct/union/array values as a new object holding a copy. */
void ldl_cdata_push_value(lua_State *L, dl_ctid type, const void *p);

/* Stores the Lua value at idx into the C object of `type` at p, checked
 * as typed-call arguments are (range, type, pointer compatibility; a table
 * initialises a struct or array). Raises naming `what` ("field 'tm_year'",
 * "argument #2 to 'div'") on a bad value. Keeps nothing alive: p is memory
 * the caller owns (field stores through __newindex do keep what they point
 * to, on the object holding the field). */
void ldl_cdata_store(lua_State *L, int idx, dl_ctid type, void *p,
                     const char *what);

#endif
