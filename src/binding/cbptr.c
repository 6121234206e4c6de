/*
 * cbptr.c - callbacks as the pointers they stand for (callback.h): their
 * code where C expects a function pointer, and whether their signature
 * fits a declared function pointer type. Apart from callback.c, which
 * makes them, so that the typed values (cdata.c) that store callbacks and
 * the callbacks that push typed values do not call each other.
 */
#include <lauxlib.h>

#include "binding/callback.h"
#include "binding/ctypes.h"

/* ---- signatures: a callback where a function pointer is expected ------- */

/* Whether a value of type `have` (the callback's side) fits where `want`
 * (the function pointer's side) is declared: the same type, const aside;
 * a `void *` on the wanting side takes any pointer (qsort's comparator). */
static int fits(dl_creg *reg, dl_ctid want, dl_ctid have) {
  want = dl_ctype_qualified(reg, want, 0);
  have = dl_ctype_qualified(reg, have, 0);
  if (want == have) return 1;
  const dl_ctype *w = dl_creg_type(reg, want), *h = dl_creg_type(reg, have);
  if (w->kind != DL_C_PTR || h->kind != DL_C_PTR) return 0;
  if (dl_creg_type(reg, w->base)->kind == DL_C_VOID) return 1;
  return dl_ctype_qualified(reg, w->base, 0) == dl_ctype_qualified(reg, h->base, 0);
}

/* Whether the function types of two function pointer types agree. */
static int same_signature(dl_creg *reg, dl_ctid want_ptr, dl_ctid have_ptr) {
  const dl_ctype *w = dl_creg_type(reg, dl_creg_type(reg, want_ptr)->base);
  const dl_ctype *h = dl_creg_type(reg, dl_creg_type(reg, have_ptr)->base);
  if (w->count != h->count || (w->flags & DL_CF_VARIADIC) != (h->flags & DL_CF_VARIADIC) ||
      !fits(reg, w->base, h->base))
    return 0;
  for (uint32_t i = 0; i < w->count; i++)
    if (!fits(reg, dl_creg_member(reg, w->first + i)->type,
              dl_creg_member(reg, h->first + i)->type))
      return 0;
  return 1;
}

static int is_function_pointer(dl_creg *reg, dl_ctid id) {
  const dl_ctype *t = dl_creg_type(reg, id);
  return t->kind == DL_C_PTR && dl_creg_type(reg, t->base)->kind == DL_C_FUNC;
}

const char *ldl_callback_mismatch(lua_State *L, int idx, dl_ctid ptype) {
  ldl_cb_head *cb = luaL_testudata(L, idx, LDL_CB_MT);
  if (cb == NULL || ptype == 0 || cb->fptype == 0) return NULL;
  dl_creg *reg = ldl_creg(L);
  if (!is_function_pointer(reg, ptype) || same_signature(reg, ptype, cb->fptype)) return NULL;
  char want[200], have[200];
  dl_ctype_name(reg, ptype, want, sizeof want);
  dl_ctype_name(reg, cb->fptype, have, sizeof have);
  return lua_pushfstring(L, "a callback of type '%s' where '%s' is expected", have, want);
}

/* The code pointer of the callback at idx, or NULL when idx is not one
 * (used by pointer arguments: a callback passes as its code). */
void *ldl_callback_code(lua_State *L, int idx, int *is_cb) {
  ldl_cb_head *cb = luaL_testudata(L, idx, LDL_CB_MT);
  *is_cb = cb != NULL;
  if (cb && cb->code == NULL) luaL_error(L, "dynlib: callback used after free()");
  return cb ? cb->code : NULL;
}

