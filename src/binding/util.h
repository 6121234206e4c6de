/*
 * util.h - helpers every file of the Lua binding shares (util.c): the
 * bottom of the binding, calling nothing above it. Only the binding
 * includes lua.h; the core below it never does.
 */
#ifndef DYNLIB_BINDING_UTIL_H
#define DYNLIB_BINDING_UTIL_H

#include <lauxlib.h>
#include <lua.h>

#include "dynlib.h"

/* Metatable name (and __name) of library handles. */
#define LDL_LIB_MT "dynlib.library"

typedef struct ldl_lib {
  dynlib_handle *h; /* points into mem; NULL until opened and after __gc */
  int open;         /* mirrors dynlib_is_open(h): read on every typed call */
  /* dynlib_handle_size() bytes, aligned for a pointer (dynlib.h asks no
   * more): a userdata with user values gives 8-byte alignment only */
  _Alignas(void *) unsigned char mem[];
} ldl_lib;

/* The library handle at idx (raises on anything else). */
ldl_lib *ldl_checklib(lua_State *L, int idx);

/* Pushes nil, message, code (the expected-failure convention); returns 3. */
int ldl_fail(lua_State *L, const dynlib_error *err);

/* A string argument that must not hold NUL bytes (C would cut it short and
 * could load or resolve something else): raises on misuse. */
const char *ldl_checkcstr(lua_State *L, int idx);

/* Raises unless every key of the options table at idx is one of valid
 * (NULL-terminated): "bad option 'verison' to 'open' (valid: version, ...)".
 * A misspelled option is a programmer error, never silently ignored. */
void ldl_check_options(lua_State *L, int idx, const char *fname,
                       const char *const valid[]);

/* Raises unless the table at idx is a list (keys 1..n only): what names a
 * list argument holds, for errors. */
void ldl_check_list(lua_State *L, int idx, const char *what);

/* Pushes the registry table stored under the light key `key`, making it
 * (empty) on first use. */
void ldl_registry_table(lua_State *L, const void *key);

/* Adds methods to library handles (lib:func, ...); makes the handles'
 * metatable when it does not exist yet. */
void ldl_add_lib_methods(lua_State *L, const luaL_Reg *methods);

#endif
