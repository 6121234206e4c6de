/*
 * callback.h - what typed calls need of callbacks (callback.c).
 */
#ifndef DYNLIB_BINDING_CALLBACK_H
#define DYNLIB_BINDING_CALLBACK_H

#include <lua.h>
#include <stdint.h>

/* Shared between the binding's files only (a DLL exports only what is
 * marked, so Windows needs nothing). */
#if defined(_WIN32)
#define LDL_HIDDEN
#else
#define LDL_HIDDEN __attribute__((visibility("hidden")))
#endif

/* A callback's Lua error is raised when the outer dynlib call returns:
 * calls compare ldl_callback_errors before and after and call
 * ldl_raise_callback_error when it moved. */
extern unsigned ldl_callback_errors LDL_HIDDEN;
void ldl_raise_callback_error(lua_State *L);

/* The Lua thread making the current dynlib call on this OS thread (set
 * around the C call by entries whose arguments include pointers, which is
 * how callbacks reach C): callbacks run on it. */
extern _Thread_local lua_State *ldl_current_L LDL_HIDDEN;

/* Metatable name (and __name) of callbacks. */
#define LDL_CB_MT "dynlib.callback"

/* What every callback userdata starts with (callback.c makes them; cbptr.c
 * reads them). */
typedef struct ldl_cb_head {
  void *code;      /* what C calls; NULL once freed */
  uint32_t fptype; /* its type "ret (*)(args)" when the declaration parser
                      read the prototype (signature checks), else 0 */
} ldl_cb_head;

/* The code pointer of the callback at idx (*is_cb = 1), or NULL (cbptr.c). */
void *ldl_callback_code(lua_State *L, int idx, int *is_cb);

/* Whether the callback at idx (cbptr.c) may stand for a value of pointer type
 * ptype (ctype/ctype.h): NULL when it may (or idx is no callback, or
 * either signature is unknown), else pushes and returns a message naming
 * both types. The function types must agree, const aside; a `void *` on
 * ptype's side takes any pointer on the callback's (qsort's comparator). */
const char *ldl_callback_mismatch(lua_State *L, int idx, uint32_t ptype);

#endif
