/*
 * buffer.h - what typed calls and typed memory need of buffers (buffer.c).
 * The layout is here so that recognising a buffer is no call into
 * buffer.c: typed memory (cdata.c) takes buffers as pointers, and buffer.c
 * uses typed memory's conversions, without a cycle between the files.
 */
#ifndef DYNLIB_BINDING_BUFFER_H
#define DYNLIB_BINDING_BUFFER_H

#include <lauxlib.h>
#include <lua.h>
#include <stddef.h>

#define LDL_BUF_MT "dynlib.buffer"

typedef struct ldl_buf {
  size_t size;
  _Alignas(16) unsigned char data[];
} ldl_buf;

/* The data of the buffer at idx, or NULL when idx is not a buffer. */
static inline void *ldl_buffer_data(lua_State *L, int idx) {
  ldl_buf *b = luaL_testudata(L, idx, LDL_BUF_MT);
  return b ? b->data : NULL;
}

#endif
