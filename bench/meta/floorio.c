/*
 * floorio.c - floors for the metadata benchmark: what the least reader
 * costs (open + read 4 KB + close), and memmem over a file's bytes.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <lauxlib.h>
#include <lua.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int read4k(lua_State *L) {
  char buf[4096];
  int fd = open(luaL_checkstring(L, 1), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return luaL_error(L, "open failed");
  ssize_t n = read(fd, buf, sizeof buf);
  close(fd);
  lua_pushinteger(L, n);
  return 1;
}

/* memmem over the whole file in chunks of `chunk` bytes (overlapping by the
 * pattern's length); returns the offset of the pattern or -1. */
static int memmem_file(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  size_t plen;
  const char *pat = luaL_checklstring(L, 2, &plen);
  size_t chunk = (size_t)luaL_optinteger(L, 3, 256 * 1024);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return luaL_error(L, "open failed");
  char *buf = malloc(chunk);
  off_t off = 0;
  lua_Integer found = -1;
  for (;;) {
    ssize_t n = pread(fd, buf, chunk, off);
    if (n <= 0) break;
    char *hit = memmem(buf, (size_t)n, pat, plen);
    if (hit) {
      found = off + (hit - buf);
      break;
    }
    if ((size_t)n < chunk) break;
    off += n - (off_t)(plen - 1);
  }
  free(buf);
  close(fd);
  lua_pushinteger(L, found);
  return 1;
}

__attribute__((visibility("default"))) int luaopen_floorio(lua_State *L) {
  static const luaL_Reg f[] = {{"read4k", read4k}, {"memmem_file", memmem_file},
                               {NULL, NULL}};
  luaL_newlib(L, f);
  return 1;
}
