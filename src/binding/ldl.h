/*
 * lua_dynlib.h - what the binding's files (src/lua_*.c) share. Only the
 * binding includes lua.h; the core below it never does.
 */
#ifndef LUA_DYNLIB_H
#define LUA_DYNLIB_H

#include <lauxlib.h>
#include <lua.h>

#include "dynlib.h"

/* Metatable name (and __name) of library handles. */
#define LDL_LIB_MT "dynlib.library"

typedef struct ldl_lib {
  dynlib_handle *h; /* points into mem; NULL until opened and after __gc */
  int open;         /* mirrors dynlib_is_open(h): read on every typed call */
  _Alignas(16) unsigned char mem[]; /* dynlib_handle_size() bytes */
} ldl_lib;

/* The library handle at idx (raises on anything else). */
ldl_lib *ldl_checklib(lua_State *L, int idx);

/* Pushes nil, message, code (the expected-failure convention); returns 3. */
int ldl_fail(lua_State *L, const dynlib_error *err);

/* A string argument that must not hold NUL bytes (C would cut it short and
 * could load or resolve something else): raises on misuse. */
const char *ldl_checkcstr(lua_State *L, int idx);

/* Pushes the registry table stored under the light key `key`, making it
 * (empty) on first use. */
void ldl_registry_table(lua_State *L, const void *key);

/* Adds methods to library handles (lib:func, ...). */
void ldl_add_lib_methods(lua_State *L, const luaL_Reg *methods);

/* Each binding file registers its functions into the module table at the
 * top of the stack. */
void ldl_open_call(lua_State *L); /* lua_call.c: func, callback, null */
void ldl_open_elf(lua_State *L);  /* lua_elf.c: inspect, section */
void ldl_open_meta(lua_State *L); /* lua_meta.c: metadata, plugin support */
void ldl_open_callback(lua_State *L); /* lua_callback.c: dynlib.callback */
void ldl_open_buffer(lua_State *L);   /* lua_buffer.c: dynlib.buffer */

/* The data of the buffer at idx, or NULL when idx is not a buffer. */
void *ldl_buffer_data(lua_State *L, int idx);

/* Callbacks (lua_callback.c). A callback's Lua error is raised when the
 * outer dynlib call returns: calls compare ldl_callback_errors before and
 * after and call ldl_raise_callback_error when it moved. */
extern unsigned ldl_callback_errors __attribute__((visibility("hidden")));
void ldl_raise_callback_error(lua_State *L);
/* The Lua thread making the current dynlib call on this OS thread (set
 * around the C call by entries whose arguments include pointers, which is
 * how callbacks reach C): callbacks run on it. */
extern __thread lua_State *ldl_current_L __attribute__((visibility("hidden")));

/* The code pointer of the callback at idx (*is_cb = 1), or NULL. */
void *ldl_callback_code(lua_State *L, int idx, int *is_cb);

#endif
