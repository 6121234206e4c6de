/*
 * handcalls.c - the floor of the call benchmark: hand-written lua_CFunction
 * bindings of the fixture functions in libcalls.so, as a C programmer would
 * write them for one known signature each.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <ffi.h>
#include <lauxlib.h>
#include <lua.h>
#include <stdint.h>

static int (*p_add)(int, int);
static double (*p_addd)(double, double);
static size_t (*p_strlen)(const char *);
static int64_t (*p_sum6)(int64_t, int64_t, int64_t, int64_t, int64_t, int64_t);
static void (*p_noop)(void);

static int h_add(lua_State *L) {
  lua_pushinteger(L, p_add((int)luaL_checkinteger(L, 1), (int)luaL_checkinteger(L, 2)));
  return 1;
}

static int h_addd(lua_State *L) {
  lua_pushnumber(L, p_addd(luaL_checknumber(L, 1), luaL_checknumber(L, 2)));
  return 1;
}

static int h_strlen(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)p_strlen(luaL_checkstring(L, 1)));
  return 1;
}

static int h_sum6(lua_State *L) {
  lua_pushinteger(L, p_sum6(luaL_checkinteger(L, 1), luaL_checkinteger(L, 2),
                            luaL_checkinteger(L, 3), luaL_checkinteger(L, 4),
                            luaL_checkinteger(L, 5), luaL_checkinteger(L, 6)));
  return 1;
}

static int h_noop(lua_State *L) {
  (void)L;
  p_noop();
  return 0;
}

/* add through libffi, hand-written: the least any libffi path can cost (a
 * prepared cif, the arguments in locals, one ffi_call). */
static ffi_cif add_cif;
static ffi_type *add_args[2] = {&ffi_type_sint, &ffi_type_sint};

static int h_add_ffi(lua_State *L) {
  int a = (int)luaL_checkinteger(L, 1), b = (int)luaL_checkinteger(L, 2);
  void *av[2] = {&a, &b};
  ffi_arg r;
  ffi_call(&add_cif, FFI_FN(p_add), &r, av);
  lua_pushinteger(L, (int)r);
  return 1;
}

#define SYM(var, name) *(void **)&var = dlsym(lib, name)

__attribute__((visibility("default"))) int luaopen_handcalls(lua_State *L) {
  void *lib = dlopen(luaL_checkstring(L, 1), RTLD_NOW);
  if (lib == NULL) return luaL_error(L, "%s", dlerror());
  SYM(p_add, "add");
  SYM(p_addd, "addd");
  SYM(p_strlen, "my_strlen");
  SYM(p_sum6, "sum6");
  SYM(p_noop, "noop");
  if (ffi_prep_cif(&add_cif, FFI_DEFAULT_ABI, 2, &ffi_type_sint, add_args) != FFI_OK)
    return luaL_error(L, "ffi_prep_cif failed");
  static const luaL_Reg f[] = {{"add", h_add},     {"addd", h_addd},
                               {"strlen", h_strlen}, {"sum6", h_sum6},
                               {"noop", h_noop},   {"add_ffi", h_add_ffi},
                               {NULL, NULL}};
  luaL_newlib(L, f);
  return 1;
}
