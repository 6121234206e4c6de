/*
 * floorio.c - floors for the metadata benchmark: what the least reader
 * costs (open + read 4 KB + close), memmem over a file's bytes, plain
 * dlopen + dlclose, and a wall clock (os.clock is CPU time summed over
 * threads, so it cannot show what the reader waits for).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <lauxlib.h>
#include <lua.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <dlfcn.h>

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

/* Seconds on the monotonic clock. */
static int now(lua_State *L) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  lua_pushnumber(L, (lua_Number)t.tv_sec + (lua_Number)t.tv_nsec * 1e-9);
  return 1;
}

/* dlopen(RTLD_NOW) of every path in the array, then dlclose of each: what
 * opening the plugins costs the loader alone. Returns the opens' seconds. */
static int dlopen_all(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_Integer n = luaL_len(L, 1);
  void **h = lua_newuserdatauv(L, sizeof(void *) * (size_t)(n > 0 ? n : 1), 0);
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (lua_Integer i = 0; i < n; i++) {
    lua_geti(L, 1, i + 1);
    h[i] = dlopen(lua_tostring(L, -1), RTLD_NOW | RTLD_LOCAL);
    lua_pop(L, 1);
    if (h[i] == NULL) return luaL_error(L, "dlopen: %s", dlerror());
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  for (lua_Integer i = 0; i < n; i++) dlclose(h[i]);
  lua_pushnumber(L, (lua_Number)(b.tv_sec - a.tv_sec) + (lua_Number)(b.tv_nsec - a.tv_nsec) * 1e-9);
  return 1;
}

__attribute__((visibility("default"))) int luaopen_floorio(lua_State *L) {
  static const luaL_Reg f[] = {{"read4k", read4k}, {"memmem_file", memmem_file},
                               {"now", now},            {"dlopen_all", dlopen_all},
                               {NULL, NULL}};
  luaL_newlib(L, f);
  return 1;
}
