/*
 * buffer.h - what typed calls need of buffers (buffer.c).
 */
#ifndef DYNLIB_BINDING_BUFFER_H
#define DYNLIB_BINDING_BUFFER_H

#include <lua.h>

/* The data of the buffer at idx, or NULL when idx is not a buffer. */
void *ldl_buffer_data(lua_State *L, int idx);

#endif
