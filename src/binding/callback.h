/*
 * callback.h - what typed calls need of callbacks (callback.c).
 */
#ifndef DYNLIB_BINDING_CALLBACK_H
#define DYNLIB_BINDING_CALLBACK_H

#include <lua.h>

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

/* The code pointer of the callback at idx (*is_cb = 1), or NULL. */
void *ldl_callback_code(lua_State *L, int idx, int *is_cb);

#endif
