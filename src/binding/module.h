/*
 * module.h - the registration function of each binding file, called once
 * by luaopen_dynlib_core (module.c) with the module table on top of the
 * stack. Each file registers its own functions, metatables and methods.
 */
#ifndef DYNLIB_BINDING_MODULE_H
#define DYNLIB_BINDING_MODULE_H

#include <lua.h>

void ldl_open_library(lua_State *L);  /* library.c: open, handles, names, store */
void ldl_open_call(lua_State *L);     /* func.c: lib:func, force_ffi, signature */
void ldl_open_inspect(lua_State *L);  /* inspect.c: inspect, section (ELF, PE) */
void ldl_open_meta(lua_State *L);     /* meta.c: metadata, scan, plugin support */
void ldl_open_callback(lua_State *L); /* callback.c: dynlib.callback */
void ldl_open_buffer(lua_State *L);   /* buffer.c: dynlib.buffer */
void ldl_open_cdef(lua_State *L);     /* cdef.c: cdef, sizeof, alignof, offsetof */
void ldl_open_cdata(lua_State *L);    /* cdata.c: dynlib.new, cast, typeof, string */
void ldl_open_cfunc(lua_State *L);    /* cfunc.c: lib:cdef, declared functions */
void ldl_open_fnptr(lua_State *L);    /* fnptr.c: function pointers called (after cdata) */

#endif
