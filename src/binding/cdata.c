/*
 * cdata.c - typed objects (dynlib.new) and typed pointers (cdata.h).
 *
 * One userdata layout and one metatable serve both:
 *  - an owned object holds its bytes (data[]); its user value is the table
 *    of what its pointer fields keep alive (made on first need), keyed by
 *    the field's address;
 *  - a view (a struct or array member, p[i] of a struct pointer) and a
 *    typed pointer hold an address; their user value is the owner of the
 *    memory (an owned object, a buffer, a callback) when dynlib knows it,
 *    which keeps it alive, and nil for foreign memory.
 * Every access is checked against [lo, hi): the memory known to be valid.
 * For foreign memory that is the whole address space (unchecked, as the
 * README says), so the check costs the same and never fails.
 *
 * Field names resolve through a per-state cache keyed by (aggregate type,
 * key string address): the key strings are anchored so that an address
 * cannot be reused by another string while its entry exists. A hit costs
 * a hash and two compares; no allocation, no formatting on that path.
 */
#include <stdint.h>
#include <string.h>

#include "binding/buffer.h"
#include "binding/callback.h"
#include "binding/cconv.h"
#include "binding/cdata.h"
#include "binding/ctypes.h"
#include "binding/module.h"
#include "binding/util.h"

#define CD_MT "dynlib.cdata"
#define FCACHE 512 /* field cache entries (a power of two) */
#define PCACHE 256 /* typed pointers kept for callbacks (a power of two) */

enum { CD_OWNED, CD_VIEW, CD_PTR };

typedef struct ldl_cd {
  unsigned char *ptr; /* the value's address; a pointer's value */
  uintptr_t lo, hi;   /* accesses stay in [lo, hi) */
  size_t size;        /* object: bytes of the value; pointer: 0 */
  dl_ctid type;       /* object: its type; pointer: the pointer type */
  dl_ctid etype;      /* p[i]: array element, pointee or the scalar; 0: none */
  dl_ctid agg;        /* .name: the struct or union (itself or pointee) */
  uint32_t esize;     /* bytes of etype */
  uint8_t kind;       /* CD_* */
  uint8_t ecls;       /* access class of etype */
  uint8_t econst;     /* elements are const: no stores */
  uint8_t vla;        /* made as "T[?]": typeof shows the length */
  /* An owned object's bytes, from the first 16-byte boundary: Lua aligns
   * userdata to 8 (or less) only, and C code may want 16. */
  unsigned char data[];
} ldl_cd;

#define CD_ALIGN 16

/* A place to read or write: a member or an element. */
typedef struct slot {
  dl_ctid type;
  uint32_t size;
  uint8_t cls, bit, width, is_const; /* width 0: not a bit-field */
} slot;

typedef struct fentry {
  const char *key; /* the Lua string's bytes (anchored) */
  dl_ctid agg;
  uint32_t offset;
  slot s;
} fentry;

/* What a typed pointer in the reuse cache stands for; addr NULL: none. */
typedef struct pkey {
  const void *addr;
  dl_ctid type;
} pkey;

/* Typed pointers recently handed to callbacks, for reuse: slot k's object
 * is element k + 1 of a weak-valued table (registry reference `ref`), and
 * key[k] says what it points to. */
struct ldl_ptrcache {
  int ref;
  pkey key[PCACHE];
};

typedef struct cstate {
  dl_creg *reg;
  fentry fc[FCACHE];
  ldl_ptrcache pc;
} cstate;

static const char STATE_KEY = 0; /* registry: the cstate userdata */

/* --- state, construction ------------------------------------------------ */

static cstate *get_state(lua_State *L) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &STATE_KEY);
  cstate *S = lua_touserdata(L, -1);
  lua_pop(L, 1);
  return S;
}

static int is_cd(lua_State *L, int idx) {
  return luaL_testudata(L, idx, CD_MT) != NULL;
}

/* Pushes a new userdata with `extra` data bytes and the cdata metatable. */
static ldl_cd *push_cd(lua_State *L, size_t extra, uint8_t kind) {
  ldl_cd *c = lua_newuserdatauv(L, sizeof *c + extra, 1);
  memset(c, 0, sizeof *c);
  c->kind = kind;
  luaL_setmetatable(L, CD_MT);
  return c;
}

/* The element and field views of a value of `type` at c->ptr. */
static void describe_object(const cstate *S, ldl_cd *c) {
  const dl_ctype *t = dl_creg_type(S->reg, c->type);
  if (t->kind == DL_C_STRUCT || t->kind == DL_C_UNION) {
    c->agg = c->type;
    return;
  }
  c->etype = t->kind == DL_C_ARRAY ? t->base : c->type;
  const dl_ctype *e = dl_creg_type(S->reg, c->etype);
  c->esize = e->size;
  c->ecls = ldl_cclass(S->reg, c->etype);
  c->econst = (e->flags & DL_CF_CONST) != 0;
  if (c->esize == 0) c->etype = 0;
}

static void describe_pointer(const cstate *S, ldl_cd *c) {
  dl_ctid base = dl_creg_type(S->reg, c->type)->base;
  const dl_ctype *b = dl_creg_type(S->reg, base);
  if (b->kind == DL_C_STRUCT || b->kind == DL_C_UNION) c->agg = base;
  if (b->size == 0 || b->kind == DL_C_FUNC) return; /* not indexable */
  c->etype = base;
  c->esize = b->size;
  c->ecls = ldl_cclass(S->reg, base);
  c->econst = (b->flags & DL_CF_CONST) != 0;
}

void *ldl_cdata_new(lua_State *L, dl_ctid type, size_t size) {
  cstate *S = get_state(L);
  ldl_cd *c = push_cd(L, size + CD_ALIGN - 1, CD_OWNED);
  uintptr_t start = ((uintptr_t)c->data + CD_ALIGN - 1) & ~(uintptr_t)(CD_ALIGN - 1);
  c->ptr = (unsigned char *)start;
  memset(c->ptr, 0, size);
  c->lo = start;
  c->hi = c->lo + size;
  c->size = size;
  c->type = type;
  describe_object(S, c);
  return c->ptr;
}

/* Pushes what keeps the memory of the value at idx alive: an owned
 * object itself, a view's or pointer's owner (nil when foreign), a buffer
 * or callback itself; nil for anything else. */
static void push_owner(lua_State *L, int idx) {
  ldl_cd *c = luaL_testudata(L, idx, CD_MT);
  if (c == NULL) {
    int is_cb;
    if (ldl_buffer_data(L, idx) || (ldl_callback_code(L, idx, &is_cb), is_cb))
      lua_pushvalue(L, idx);
    else
      lua_pushnil(L);
  } else if (c->kind == CD_OWNED) {
    lua_pushvalue(L, idx);
  } else {
    lua_getiuservalue(L, idx, 1);
  }
}

/* Pushes a view or pointer that shares the holder's owner and bounds. */
static ldl_cd *push_derived(lua_State *L, int holder, uint8_t kind) {
  holder = lua_absindex(L, holder);
  ldl_cd *c = push_cd(L, 0, kind);
  push_owner(L, holder);
  lua_setiuservalue(L, -2, 1);
  return c;
}

static const uintptr_t UNCHECKED_HI = UINTPTR_MAX;

/* A view of the value of `type` at a, inside the holder at idx. A view of
 * an array without a length (a flexible member) reaches to the end of the
 * holder's memory. */
static void push_view(lua_State *L, cstate *S, int holder, unsigned char *a,
                      dl_ctid type, size_t size) {
  const ldl_cd *h = lua_touserdata(L, holder);
  int checked = h->hi != UNCHECKED_HI;
  ldl_cd *c = push_derived(L, holder, CD_VIEW);
  const dl_ctype *t = dl_creg_type(S->reg, type);
  if (t->kind == DL_C_ARRAY && (t->flags & DL_CF_VLA))
    size = checked ? h->hi - (uintptr_t)a : 0;
  c->ptr = a;
  c->type = type;
  c->size = size;
  c->lo = (uintptr_t)a;
  c->hi = size || checked ? (uintptr_t)a + size : UNCHECKED_HI;
  if (c->hi == UNCHECKED_HI) c->lo = 0;
  describe_object(S, c);
}

static ldl_cd *new_pointer(lua_State *L, cstate *S, dl_ctid ptype, void *p) {
  ldl_cd *c = push_cd(L, 0, CD_PTR);
  c->ptr = p;
  c->type = ptype;
  c->lo = 0;
  c->hi = UNCHECKED_HI;
  describe_pointer(S, c);
  return c;
}

void ldl_cdata_push_pointer(lua_State *L, dl_ctid ptype, void *p) {
  cstate *S = get_state(L);
  if (p == NULL) {
    lua_pushnil(L);
  } else if (ldl_cclass(S->reg, ptype) == LDL_K_VPTR) {
    lua_pushlightuserdata(L, p);
  } else {
    new_pointer(L, S, ptype, p);
  }
}

ldl_ptrcache *ldl_cdata_ptrcache(lua_State *L, int *ref) {
  cstate *S = get_state(L);
  *ref = S->pc.ref;
  return &S->pc;
}

/* The slot of a pointer of the model's type to p: PCACHE consecutive
 * elements of an array take PCACHE different slots (the address in units
 * of the element size's power of two: an odd stride, so every residue once),
 * which is what a sort going over part of an array needs. Each type starts
 * elsewhere. */
static unsigned pointer_slot(const ldl_cd *m, const void *p) {
  unsigned shift = m->esize ? (unsigned)__builtin_ctz(m->esize) : 0;
  return (unsigned)(((uintptr_t)p >> shift) + m->type * 0x9E3779B1u) & (PCACHE - 1);
}

int ldl_cdata_reuse(lua_State *L, const ldl_ptrcache *pc, int anchor, const void *model,
                    void *p) {
  if (p == NULL) {
    lua_pushnil(L);
    return 1;
  }
  const ldl_cd *m = model;
  unsigned k = pointer_slot(m, p);
  if (pc->key[k].addr != p || pc->key[k].type != m->type) return 0;
  if (lua_rawgeti(L, anchor, (lua_Integer)k + 1) != LUA_TNIL) return 1;
  lua_pop(L, 1); /* collected since: the key outlived it */
  return 0;
}

/* Makes the typed pointer on top of the stack (of the model's type, to p)
 * its slot's. */
static void enter_pointer(lua_State *L, ldl_ptrcache *pc, int anchor, const ldl_cd *m,
                          void *p) {
  unsigned k = pointer_slot(m, p);
  /* The key never names another object than the slot's: none while the
   * slot changes. */
  pc->key[k].addr = NULL;
  lua_pushvalue(L, -1);
  lua_rawseti(L, anchor, (lua_Integer)k + 1);
  pc->key[k].addr = p;
  pc->key[k].type = m->type;
}

void ldl_cdata_push_like(lua_State *L, const void *model, int mt, ldl_ptrcache *pc,
                         int anchor, void *p) {
  const ldl_cd *m = model;
  if (pc && ldl_cdata_reuse(L, pc, anchor, model, p)) return;
  if (p == NULL) {
    lua_pushnil(L);
    return;
  }
  ldl_cd *c = lua_newuserdatauv(L, sizeof *c, 1);
  memcpy(c, model, sizeof *c); /* a foreign pointer's: no owner to copy */
  c->ptr = p;
  lua_pushvalue(L, mt);
  lua_setmetatable(L, -2);
  if (pc) enter_pointer(L, pc, anchor, m, p);
}

int ldl_cdata_get(lua_State *L, int idx, void **addr, dl_ctid *type,
                  int *is_object) {
  ldl_cd *c = luaL_testudata(L, idx, CD_MT);
  if (c == NULL) return 0;
  *addr = c->ptr;
  *type = c->type;
  *is_object = c->kind != CD_PTR;
  return 1;
}

/* --- names and errors --------------------------------------------------- */

/* Pushes C's spelling of a type. */
static const char *push_ctype_name(lua_State *L, const cstate *S, dl_ctid type) {
  char buf[256];
  size_t n = dl_ctype_name(S->reg, type, buf, sizeof buf);
  if (n < sizeof buf) return lua_pushstring(L, buf);
  luaL_Buffer b;
  char *big = luaL_buffinitsize(L, &b, n + 1);
  dl_ctype_name(S->reg, type, big, n + 1);
  luaL_pushresultsize(&b, n);
  return lua_tostring(L, -1);
}

/* Pushes the C type of a typed value: an object made as "T[?]" shows the
 * length it was made with ("int[10]"). */
static const char *push_cd_name(lua_State *L, const cstate *S, const ldl_cd *c) {
  const char *name = push_ctype_name(L, S, c->type);
  const char *q = c->vla ? strstr(name, "[?]") : NULL;
  if (q == NULL || c->esize == 0) return name;
  lua_pushlstring(L, name, (size_t)(q - name));
  lua_pushfstring(L, "[%I]%s", (lua_Integer)(c->size / c->esize), q + 3);
  lua_concat(L, 2);
  lua_remove(L, -2);
  return lua_tostring(L, -1);
}

/* What a store wrote to, for its errors: a text, or a field name (the key
 * at stack index `key`), or an element index. Built only on failure. */
typedef struct where {
  const char *text;
  int key;
  lua_Integer index;
} where;

static const char *push_where(lua_State *L, const where *w) {
  if (w->text) return lua_pushstring(L, w->text);
  if (w->key) return lua_pushfstring(L, "field '%s'", lua_tostring(L, w->key));
  return lua_pushfstring(L, "element %I", w->index);
}

/* A value's type for errors: a userdata by its metatable's __name. */
static const char *type_name(lua_State *L, int idx) {
  int t = luaL_getmetafield(L, idx, "__name");
  if (t == LUA_TSTRING) return lua_tostring(L, -1);
  if (t != LUA_TNIL) lua_pop(L, 1);
  return luaL_typename(L, idx);
}

static int is_integer_class(uint8_t cls) {
  return cls <= LDL_K_U64;
}

static const char *expected_text(uint8_t cls) {
  if (cls == LDL_K_BOOL) return "boolean";
  return is_integer_class(cls) ? "integer" : "number";
}

static int bad_value(lua_State *L, cstate *S, int rc, const slot *s, int val,
                     const where *w) {
  val = lua_absindex(L, val);
  const char *what = push_where(L, w);
  if (rc == LDL_CW_RANGE) {
    const char *v = luaL_tolstring(L, val, NULL);
    const char *t = push_ctype_name(L, S, s->type);
    if (s->width)
      return luaL_error(L, "dynlib: %s: value %s out of range for a %d-bit %s",
                        what, v, (int)s->width, t);
    return luaL_error(L, "dynlib: %s: value %s out of range for %s", what, v, t);
  }
  if (lua_type(L, val) == LUA_TNUMBER && is_integer_class(s->cls))
    return luaL_error(L, "dynlib: %s: number has no integer representation", what);
  return luaL_error(L, "dynlib: %s: %s expected, got %s", what,
                    expected_text(s->cls), type_name(L, val));
}

/* --- pointers: compatibility, ownership --------------------------------- */

static int is_byte_type(const dl_ctype *t) {
  return t->kind == DL_C_INT && t->size == 1;
}

/* Whether a pointer to `have` may be stored where a pointer to `want` is
 * expected: the same type up to const, anything for void, and the byte
 * types (char, signed char, unsigned char, int8_t, uint8_t) for each other:
 * a "char[?]" object fills an "unsigned char *" field. */
static int same_pointee(cstate *S, dl_ctid want, dl_ctid have) {
  const dl_ctype *w = dl_creg_type(S->reg, want);
  if (w->kind == DL_C_VOID) return 1;
  if (dl_ctype_qualified(S->reg, want, 0) == dl_ctype_qualified(S->reg, have, 0))
    return 1;
  return is_byte_type(w) && is_byte_type(dl_creg_type(S->reg, have));
}

/* A typed value where a pointer of type ptype is expected: a pointer of a
 * compatible type, or an object (an array by its elements, as C decays
 * it; anything else as its address). */
static int pointer_fits(cstate *S, dl_ctid ptype, const ldl_cd *c) {
  dl_ctid want = dl_creg_type(S->reg, ptype)->base;
  if (c->kind == CD_PTR)
    return same_pointee(S, want, dl_creg_type(S->reg, c->type)->base);
  if (same_pointee(S, want, c->type)) return 1;
  const dl_ctype *t = dl_creg_type(S->reg, c->type);
  return t->kind == DL_C_ARRAY && same_pointee(S, want, t->base);
}

static int refuse_pointer(lua_State *L, cstate *S, dl_ctid ptype, const ldl_cd *c,
                          const where *w) {
  const char *what = push_where(L, w);
  const char *have = push_cd_name(L, S, c);
  const char *want = push_ctype_name(L, S, ptype);
  return luaL_error(L, "dynlib: %s: a '%s' %s cannot be stored where '%s' is expected",
                    what, have, c->kind == CD_PTR ? "pointer" : "object", want);
}

/* The address a dynlib userdata at idx stands for, as a value of pointer
 * type ptype (class cls): checked typed values, buffers, callbacks. */
static void *userdata_pointer(lua_State *L, cstate *S, int idx, dl_ctid ptype,
                              uint8_t cls, const where *w) {
  ldl_cd *c = luaL_testudata(L, idx, CD_MT);
  if (c) {
    if (!pointer_fits(S, ptype, c)) refuse_pointer(L, S, ptype, c, w);
    return c->ptr;
  }
  void *data = ldl_buffer_data(L, idx);
  if (data) return data;
  int is_cb;
  void *code = ldl_callback_code(L, idx, &is_cb);
  if (is_cb && (cls == LDL_K_FPTR || cls == LDL_K_VPTR)) {
    const char *bad = ldl_callback_mismatch(L, idx, ptype); /* signatures */
    if (bad) luaL_error(L, "dynlib: %s: %s", push_where(L, w), bad);
    return code;
  }
  const char *what = push_where(L, w);
  return (void *)(intptr_t)luaL_error(
      L, "dynlib: %s: pointer expected, got %s (only dynlib's typed values, "
         "buffers and callbacks are pointers)", what, type_name(L, idx));
}

/* Makes the object owning the holder's memory keep the owner of the value
 * at val alive (val 0: forget) while its pointer at a holds that address.
 * Memory no object of dynlib owns keeps nothing: foreign memory is the
 * caller's to keep valid. */
static void keep_alive(lua_State *L, int holder, const void *a, int val) {
  push_owner(L, holder);
  ldl_cd *root = luaL_testudata(L, -1, CD_MT);
  if (root == NULL || root->kind != CD_OWNED) {
    lua_pop(L, 1);
    return;
  }
  if (lua_getiuservalue(L, -1, 1) != LUA_TTABLE) {
    lua_pop(L, 1);
    if (val == 0) {
      lua_pop(L, 1);
      return;
    }
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_setiuservalue(L, -3, 1);
  }
  lua_pushlightuserdata(L, (void *)a);
  if (val) push_owner(L, val);
  else lua_pushnil(L);
  lua_rawset(L, -3);
  lua_pop(L, 2);
}

static int store_pointer(lua_State *L, cstate *S, int holder, unsigned char *a,
                         const slot *s, int val, const where *w) {
  void *p = NULL;
  switch (lua_type(L, val)) {
    case LUA_TNIL: break;
    case LUA_TLIGHTUSERDATA: p = lua_touserdata(L, val); break;
    case LUA_TUSERDATA: p = userdata_pointer(L, S, val, s->type, s->cls, w); break;
    case LUA_TSTRING:
      return luaL_error(L, "dynlib: %s: a Lua string cannot be stored in a pointer "
                           "(Lua owns its memory): store dynlib.new(\"char[?]\", n, s)",
                        push_where(L, w));
    default:
      return luaL_error(L, "dynlib: %s: pointer expected, got %s%s", push_where(L, w),
                        type_name(L, val),
                        lua_type(L, val) == LUA_TNUMBER ? " (dynlib.cast makes one)" : "");
  }
  memcpy(a, &p, sizeof p);
  if (holder) keep_alive(L, holder, a, lua_type(L, val) == LUA_TUSERDATA ? val : 0);
  return 0;
}

/* Gives a pointer read from the holder's memory the bounds and owner of
 * the object it points into, when dynlib knows it: the holder's own
 * object, or the object its pointer field keeps alive. */
static ldl_cd *owner_of(ldl_cd *o, const void *v) {
  if (o == NULL || o->kind != CD_OWNED) return NULL;
  return (uintptr_t)v >= o->lo && (uintptr_t)v <= o->hi ? o : NULL;
}

static void adopt(lua_State *L, int holder, const unsigned char *a, ldl_cd *p) {
  int top = lua_gettop(L);
  push_owner(L, holder);
  ldl_cd *root = luaL_testudata(L, -1, CD_MT);
  ldl_cd *o = owner_of(root, p->ptr);
  if (o == NULL && root && root->kind == CD_OWNED &&
      lua_getiuservalue(L, -1, 1) == LUA_TTABLE) {
    lua_rawgetp(L, -1, a);
    o = owner_of(luaL_testudata(L, -1, CD_MT), p->ptr);
    /* A buffer or callback the field keeps: kept alive, not checked. */
    if (o == NULL && lua_type(L, -1) == LUA_TUSERDATA && !is_cd(L, -1))
      lua_setiuservalue(L, top, 1);
  }
  if (o) {
    p->lo = o->lo;
    p->hi = o->hi;
    lua_setiuservalue(L, top, 1); /* o is on top */
  }
  lua_settop(L, top);
}

/* Pushes the pointer of the slot's type stored at a inside the holder. */
static void push_stored_pointer(lua_State *L, cstate *S, int holder,
                                const unsigned char *a, const slot *s) {
  void *v;
  memcpy(&v, a, sizeof v);
  if (v == NULL) {
    lua_pushnil(L);
  } else if (s->cls == LDL_K_VPTR) {
    lua_pushlightuserdata(L, v);
  } else {
    holder = lua_absindex(L, holder);
    ldl_cd *p = new_pointer(L, S, s->type, v);
    adopt(L, holder, a, p);
  }
}

/* --- slots: fields and elements ----------------------------------------- */

static slot make_slot(const cstate *S, dl_ctid type, size_t size) {
  const dl_ctype *t = dl_creg_type(S->reg, type);
  slot s = {type, (uint32_t)size, ldl_cclass(S->reg, type), 0, 0,
            (t->flags & DL_CF_CONST) != 0};
  return s;
}

static slot elem_slot(const ldl_cd *c) {
  slot s = {c->etype, c->esize, c->ecls, 0, 0, c->econst};
  return s;
}

static int no_field(lua_State *L, cstate *S, dl_ctid agg, int key) {
  const char *t = push_ctype_name(L, S, agg);
  return luaL_error(L, "dynlib: '%s' has no field '%s'", t, lua_tostring(L, key));
}

/* Fills the cache entry for (agg, key string at idx) from the registry and
 * anchors the string in the state's table (one string per entry). */
static const fentry *field_miss(lua_State *L, cstate *S, dl_ctid agg, int key,
                                fentry *e) {
  size_t len;
  const char *k = lua_tolstring(L, key, &len);
  dl_cmember m;
  if (dl_ctype_field(S->reg, agg, k, len, &m) != 0) no_field(L, S, agg, key);
  /* Anchor first: an entry must never name a string that can be freed. */
  e->key = NULL;
  lua_rawgetp(L, LUA_REGISTRYINDEX, &STATE_KEY);
  lua_getiuservalue(L, -1, 1);
  lua_pushvalue(L, key);
  lua_rawseti(L, -2, (lua_Integer)(e - S->fc) + 1);
  lua_pop(L, 2);
  e->key = k;
  e->agg = agg;
  e->offset = m.offset;
  e->s = make_slot(S, m.type, dl_creg_type(S->reg, m.type)->size);
  if (m.bit_width) {
    e->s.bit = m.bit_offset;
    e->s.width = m.bit_width;
    e->s.size = (uint32_t)(m.bit_offset + m.bit_width + 7) / 8;
  }
  return e;
}

static inline const fentry *field_entry(lua_State *L, cstate *S, dl_ctid agg,
                                        int key) {
  const char *k = lua_tostring(L, key);
  size_t h = (((uintptr_t)k >> 4) ^ ((uintptr_t)agg * 0x9E3779B1u)) & (FCACHE - 1);
  fentry *e = &S->fc[h];
  if (e->key == k && e->agg == agg) return e;
  return field_miss(L, S, agg, key, e);
}

static int bad_key(lua_State *L, cstate *S, int obj, int key) {
  const ldl_cd *c = lua_touserdata(L, obj);
  const char *t = push_cd_name(L, S, c);
  if (lua_type(L, key) == LUA_TSTRING)
    return luaL_error(L, "dynlib: '%s' has no fields (field '%s')", t,
                      lua_tostring(L, key));
  if (c->etype == 0)
    return luaL_error(L, "dynlib: '%s' cannot be indexed by number", t);
  return luaL_error(L, "dynlib: '%s' indexed with a %s (an integer expected)", t,
                    luaL_typename(L, key));
}

static int index_error(lua_State *L, cstate *S, int obj, lua_Integer i) {
  const ldl_cd *c = lua_touserdata(L, obj);
  const char *t = push_cd_name(L, S, c);
  lua_Integer first = -(lua_Integer)(((uintptr_t)c->ptr - c->lo) / c->esize);
  lua_Integer last = (lua_Integer)((c->hi - (uintptr_t)c->ptr) / c->esize) - 1;
  if (last < first)
    return luaL_error(L, "dynlib: index %I out of range for '%s' (it has no elements)",
                      i, t);
  return luaL_error(L, "dynlib: index %I out of range for '%s' (valid: %I..%I)", i,
                    t, first, last);
}

/* The address of element i of the value at obj, bounds-checked. */
static inline unsigned char *element(lua_State *L, cstate *S, int obj, int key) {
  const ldl_cd *c = lua_touserdata(L, obj);
  int ok;
  lua_Integer i = lua_tointegerx(L, key, &ok);
  if (!ok || c->etype == 0) bad_key(L, S, obj, key);
  uintptr_t p = (uintptr_t)c->ptr;
  if (i >= 0 ? (lua_Unsigned)i < (c->hi - p) / c->esize
             : (lua_Unsigned)0 - (lua_Unsigned)i <= (p - c->lo) / c->esize)
    return c->ptr + (ptrdiff_t)i * (ptrdiff_t)c->esize;
  index_error(L, S, obj, i);
  return NULL;
}

static int field_bounds(lua_State *L, cstate *S, int obj, int key) {
  const ldl_cd *c = lua_touserdata(L, obj);
  const char *t = push_cd_name(L, S, c);
  return luaL_error(L, "dynlib: field '%s' lies outside the memory of '%s' "
                       "(a pointer past its object's end)", lua_tostring(L, key), t);
}

/* The address of field `key` of the struct at or pointed to by obj. */
static inline unsigned char *field(lua_State *L, cstate *S, int obj, int key,
                                   const fentry **out) {
  const ldl_cd *c = lua_touserdata(L, obj);
  if (c->agg == 0) bad_key(L, S, obj, key);
  const fentry *e = field_entry(L, S, c->agg, key);
  if ((uintptr_t)c->ptr + e->offset + e->s.size > c->hi) field_bounds(L, S, obj, key);
  *out = e;
  return c->ptr + e->offset;
}

static int no_value(lua_State *L, cstate *S, const slot *s) {
  const char *t = push_ctype_name(L, S, s->type);
  if (s->cls == LDL_K_LDOUBLE)
    return luaL_error(L, "dynlib: '%s' is laid out but has no Lua value", t);
  return luaL_error(L, "dynlib: a '%s' has no value", t);
}

/* Pushes the value in a slot at a, inside the value at holder. */
static int read_slot(lua_State *L, cstate *S, int holder, unsigned char *a,
                     const slot *s) {
  if (s->cls <= LDL_K_DOUBLE) {
    if (s->width) ldl_cread_bits(L, s->cls, a, s->bit, s->width);
    else ldl_cread_scalar(L, s->cls, a);
    return 1;
  }
  switch (s->cls) {
    case LDL_K_VPTR:
    case LDL_K_PTR:
    case LDL_K_FPTR:
      push_stored_pointer(L, S, holder, a, s);
      return 1;
    case LDL_K_AGG:
      push_view(L, S, holder, a, s->type, s->size);
      return 1;
    default:
      return no_value(L, S, s);
  }
}

static int write_slot(lua_State *L, cstate *S, int holder, unsigned char *a,
                      const slot *s, int val, const where *w);

static int is_byte_array(const cstate *S, const dl_ctype *t) {
  return t->kind == DL_C_ARRAY && is_byte_type(dl_creg_type(S->reg, t->base));
}

/* A table's fields by name into the struct or union at a. */
static void init_fields(lua_State *L, cstate *S, int holder, unsigned char *a,
                        dl_ctid agg, int tbl) {
  lua_pushnil(L);
  while (lua_next(L, tbl)) {
    int key = lua_gettop(L) - 1;
    if (lua_type(L, key) != LUA_TSTRING)
      luaL_error(L, "dynlib: initialiser of '%s': field names expected, got a %s key",
                 push_ctype_name(L, S, agg), luaL_typename(L, key));
    const fentry *e = field_entry(L, S, agg, key);
    where w = {NULL, key, 0};
    write_slot(L, S, holder, a + e->offset, &e->s, key + 1, &w);
    lua_pop(L, 1);
  }
}

/* A list's values in order into the array at a of `size` bytes. */
static void init_elements(lua_State *L, cstate *S, int holder, unsigned char *a,
                          const dl_ctype *t, size_t size, int tbl) {
  const dl_ctype *e = dl_creg_type(S->reg, t->base);
  slot s = make_slot(S, t->base, e->size);
  size_t count = e->size ? size / e->size : 0;
  ldl_check_list(L, tbl, "an array's initialiser");
  lua_Unsigned n = lua_rawlen(L, tbl);
  if (n > count)
    luaL_error(L, "dynlib: %I values for an array of %I elements", (lua_Integer)n,
               (lua_Integer)count);
  for (lua_Unsigned i = 0; i < n; i++) {
    lua_rawgeti(L, tbl, (lua_Integer)i + 1);
    where w = {NULL, 0, (lua_Integer)i};
    write_slot(L, S, holder, a + i * e->size, &s, -1, &w);
    lua_pop(L, 1);
  }
}

/* A struct, union or array slot from a table (zeroed first, as a C
 * initialiser leaves the rest zero), a string (byte arrays) or an object
 * of the same type (copied). */
static int store_agg(lua_State *L, cstate *S, int holder, unsigned char *a,
                     const slot *s, int val, const where *w) {
  const dl_ctype *t = dl_creg_type(S->reg, s->type);
  val = lua_absindex(L, val);
  slot flex;
  if (t->kind == DL_C_ARRAY && (t->flags & DL_CF_VLA) && s->size == 0 && holder) {
    /* A flexible array member: to the end of the holder's memory. */
    const ldl_cd *h = lua_touserdata(L, holder);
    flex = *s;
    flex.size = h->hi == UNCHECKED_HI ? 0 : (uint32_t)(h->hi - (uintptr_t)a);
    s = &flex;
  }
  if (lua_type(L, val) == LUA_TTABLE) {
    memset(a, 0, s->size);
    if (t->kind == DL_C_ARRAY) init_elements(L, S, holder, a, t, s->size, val);
    else init_fields(L, S, holder, a, s->type, val);
    return 0;
  }
  if (lua_type(L, val) == LUA_TSTRING && is_byte_array(S, t)) {
    size_t len;
    const char *str = lua_tolstring(L, val, &len);
    if (len > s->size)
      return luaL_error(L, "dynlib: %s: a string of %I bytes does not fit in %I",
                        push_where(L, w), (lua_Integer)len, (lua_Integer)s->size);
    memcpy(a, str, len);
    memset(a + len, 0, s->size - len);
    return 0;
  }
  ldl_cd *c = luaL_testudata(L, val, CD_MT);
  if (c && c->kind != CD_PTR && c->size == s->size &&
      dl_ctype_qualified(S->reg, c->type, 0) == dl_ctype_qualified(S->reg, s->type, 0)) {
    memmove(a, c->ptr, s->size);
    return 0;
  }
  const char *what = push_where(L, w);
  return luaL_error(L, "dynlib: %s: a table%s or a '%s' expected, got %s", what,
                    is_byte_array(S, t) ? ", a string" : "",
                    push_ctype_name(L, S, s->type), type_name(L, val));
}

static int write_slot(lua_State *L, cstate *S, int holder, unsigned char *a,
                      const slot *s, int val, const where *w) {
  val = lua_absindex(L, val);
  if (s->cls <= LDL_K_DOUBLE) {
    int rc = s->width ? ldl_cwrite_bits(L, val, s->cls, a, s->bit, s->width)
                      : ldl_cwrite_scalar(L, val, s->cls, a);
    return rc == LDL_CW_OK ? 0 : bad_value(L, S, rc, s, val, w);
  }
  switch (s->cls) {
    case LDL_K_VPTR:
    case LDL_K_PTR:
    case LDL_K_FPTR:
      return store_pointer(L, S, holder, a, s, val, w);
    case LDL_K_AGG:
      return store_agg(L, S, holder, a, s, val, w);
    default:
      return no_value(L, S, s);
  }
}

void ldl_cdata_push_value(lua_State *L, dl_ctid type, const void *p) {
  cstate *S = get_state(L);
  const dl_ctype *t = dl_creg_type(S->reg, type);
  slot s = make_slot(S, type, t->size);
  if (s.cls <= LDL_K_DOUBLE) {
    ldl_cread_scalar(L, s.cls, p);
  } else if (s.cls == LDL_K_AGG) {
    memcpy(ldl_cdata_new(L, type, t->size), p, t->size);
  } else if (s.cls <= LDL_K_FPTR) {
    void *v;
    memcpy(&v, p, sizeof v);
    ldl_cdata_push_pointer(L, type, v);
  } else {
    no_value(L, S, &s);
  }
}

void ldl_cdata_store(lua_State *L, int idx, dl_ctid type, void *p,
                     const char *what) {
  cstate *S = get_state(L);
  slot s = make_slot(S, type, dl_creg_type(S->reg, type)->size);
  where w = {what, 0, 0};
  write_slot(L, S, 0, p, &s, idx, &w);
}

/* --- metamethods -------------------------------------------------------- */

#define STATE(L) ((cstate *)lua_touserdata(L, lua_upvalueindex(1)))

/* v.name, v[i] in general: fields, pointers, views, and every error. */
static __attribute__((noinline)) int index_any(lua_State *L,
                                               const ldl_cd *c) {
  cstate *S = STATE(L);
  unsigned char *a;
  slot es;
  const slot *s;
  if (lua_type(L, 2) == LUA_TSTRING) {
    const fentry *e;
    a = field(L, S, 1, 2, &e);
    s = &e->s;
  } else {
    a = element(L, S, 1, 2);
    es = elem_slot(c);
    s = &es;
  }
  if (s->cls <= LDL_K_DOUBLE && s->width == 0) {
    ldl_cread_scalar(L, s->cls, a);
    return 1;
  }
  return read_slot(L, S, 1, a, s);
}

/* v.name, v[i]. Only values with the cdata metatable reach here (its
 * __metatable hides it from getmetatable). p[i] of a scalar comes first (a
 * comparator's a[0]): no state, no slot, one bounds check, and a small
 * frame (index_any, which has a large one, is not inlined). */
static int cd_index(lua_State *L) {
  const ldl_cd *c = lua_touserdata(L, 1);
  if (c->etype && c->ecls <= LDL_K_DOUBLE && lua_isinteger(L, 2)) {
    lua_Integer i = lua_tointeger(L, 2);
    uintptr_t p = (uintptr_t)c->ptr;
    if (i >= 0 && (lua_Unsigned)i < (c->hi - p) / c->esize) {
      ldl_cread_scalar(L, c->ecls, c->ptr + (ptrdiff_t)i * (ptrdiff_t)c->esize);
      return 1;
    }
  }
  return index_any(L, c);
}

static int const_error(lua_State *L, const where *w) {
  return luaL_error(L, "dynlib: %s is const", push_where(L, w));
}

static int cd_newindex(lua_State *L) {
  cstate *S = STATE(L);
  const ldl_cd *c = lua_touserdata(L, 1);
  unsigned char *a;
  slot es;
  const slot *s;
  where w = {NULL, 0, 0};
  if (lua_type(L, 2) == LUA_TSTRING) {
    const fentry *e;
    a = field(L, S, 1, 2, &e);
    s = &e->s;
    w.key = 2;
    if (c->econst) const_error(L, &w);
  } else {
    a = element(L, S, 1, 2);
    es = elem_slot(c);
    s = &es;
    w.index = lua_tointeger(L, 2);
  }
  if (s->is_const) const_error(L, &w);
  if (s->cls <= LDL_K_DOUBLE && s->width == 0) {
    int rc = ldl_cwrite_scalar(L, 3, s->cls, a);
    return rc == LDL_CW_OK ? 0 : bad_value(L, S, rc, s, 3, &w);
  }
  write_slot(L, S, 1, a, s, 3, &w);
  return 0;
}

/* #v: the elements of an array object. */
static int cd_len(lua_State *L) {
  cstate *S = STATE(L);
  const ldl_cd *c = lua_touserdata(L, 1);
  if (c->kind == CD_PTR || dl_creg_type(S->reg, c->type)->kind != DL_C_ARRAY ||
      c->esize == 0)
    return luaL_error(L, "dynlib: '%s' has no length (only arrays do)",
                      push_cd_name(L, S, c));
  lua_pushinteger(L, (lua_Integer)(c->size / c->esize));
  return 1;
}

static int cd_tostring(lua_State *L) {
  cstate *S = STATE(L);
  const ldl_cd *c = lua_touserdata(L, 1);
  const char *t = push_cd_name(L, S, c);
  lua_pushfstring(L, "dynlib.cdata<%s>: %p", t, (void *)c->ptr);
  return 1;
}

/* a == b: the same address (typed pointers and objects alike). */
static int cd_eq(lua_State *L) {
  const ldl_cd *a = luaL_testudata(L, 1, CD_MT);
  const ldl_cd *b = luaL_testudata(L, 2, CD_MT);
  lua_pushboolean(L, a && b && a->ptr == b->ptr);
  return 1;
}

/* p + n, p - n: a pointer n elements on (an array object decays to a
 * pointer to its first element). A checked pointer may reach one past
 * its object's end, as in C, and no further. */
static int pointer_step(lua_State *L, int sign) {
  cstate *S = STATE(L);
  int obj = is_cd(L, 1) ? 1 : 2;
  if (sign < 0 && obj == 2) return luaL_error(L, "dynlib: cannot subtract a pointer from a number");
  const ldl_cd *c = lua_touserdata(L, obj);
  lua_Integer n = luaL_checkinteger(L, 3 - obj);
  if (c->etype == 0 || (c->kind != CD_PTR &&
                        dl_creg_type(S->reg, c->type)->kind != DL_C_ARRAY))
    return luaL_error(L, "dynlib: no arithmetic on '%s'", push_cd_name(L, S, c));
  uintptr_t p = (uintptr_t)c->ptr;
  lua_Unsigned steps = n < 0 ? (lua_Unsigned)0 - (lua_Unsigned)n : (lua_Unsigned)n;
  int up = (n >= 0) == (sign > 0);
  if (up ? steps > (c->hi - p) / c->esize : steps > (p - c->lo) / c->esize)
    return luaL_error(L, "dynlib: pointer arithmetic leaves the memory of '%s'",
                      push_cd_name(L, S, c));
  dl_ctid ptype = c->kind == CD_PTR ? c->type : dl_ctype_ptr(S->reg, c->etype);
  if (ptype == 0) return luaL_error(L, "dynlib: out of memory");
  ldl_cd *r = push_derived(L, obj, CD_PTR);
  r->ptr = up ? c->ptr + steps * c->esize : c->ptr - steps * c->esize;
  r->lo = c->lo;
  r->hi = c->hi;
  r->type = ptype;
  describe_pointer(S, r);
  return 1;
}

static int cd_add(lua_State *L) {
  return pointer_step(L, 1);
}

static int cd_sub(lua_State *L) {
  return pointer_step(L, -1);
}

/* --- dynlib.new, cast, typeof, string ----------------------------------- */

static int is_sized_by_length(const dl_ctype *t) {
  return (t->kind == DL_C_ARRAY && (t->flags & DL_CF_VLA)) ||
         (t->kind == DL_C_STRUCT && (t->flags & DL_CF_FLEX));
}

/* The bytes of a new object of `type`; *init: the initialiser's index. */
static size_t object_size(lua_State *L, cstate *S, dl_ctid type, int *init) {
  const dl_ctype *t = dl_creg_type(S->reg, type);
  *init = 2;
  if (is_sized_by_length(t)) {
    lua_Integer n = t->kind == DL_C_STRUCT ? luaL_optinteger(L, 2, 0)
                                           : luaL_checkinteger(L, 2);
    int64_t size = n < 0 ? -1 : dl_ctype_sizeof_n(S->reg, type, n);
    luaL_argcheck(L, size >= 0 && size <= ((int64_t)1 << 40), 2, "length out of range");
    *init = 3;
    return (size_t)size;
  }
  int no_size = t->kind == DL_C_VOID || t->kind == DL_C_FUNC ||
                ((t->kind == DL_C_STRUCT || t->kind == DL_C_UNION) &&
                 !(t->flags & DL_CF_COMPLETE));
  if (no_size)
    luaL_argerror(L, 1, lua_pushfstring(L, "'%s' has no size (incomplete type)",
                                        push_ctype_name(L, S, type)));
  return t->size;
}

/* dynlib.new(type [, init]), dynlib.new("T[?]", n [, init]) */
static int l_new(lua_State *L) {
  cstate *S = STATE(L);
  dl_ctid type = ldl_check_ctype(L, 1);
  int init;
  size_t size = object_size(L, S, type, &init);
  lua_settop(L, init); /* the initialiser, or nil: the object goes above */
  unsigned char *a = ldl_cdata_new(L, type, size);
  int obj = lua_gettop(L);
  ldl_cd *c = lua_touserdata(L, obj);
  c->vla = dl_creg_type(S->reg, type)->kind == DL_C_ARRAY && init == 3;
  if (!lua_isnoneornil(L, init)) {
    slot s = make_slot(S, type, size);
    where w = {"initial value", 0, 0};
    write_slot(L, S, obj, a, &s, init, &w);
  }
  lua_settop(L, obj);
  return 1;
}

/* The address the value at idx stands for (nil: NULL): a typed value, a
 * buffer's data, a callback's code, light userdata. */
static void *address_of(lua_State *L, int idx) {
  switch (lua_type(L, idx)) {
    case LUA_TNIL: return NULL;
    case LUA_TLIGHTUSERDATA: return lua_touserdata(L, idx);
    case LUA_TUSERDATA: {
      ldl_cd *c = luaL_testudata(L, idx, CD_MT);
      if (c) return c->ptr;
      void *data = ldl_buffer_data(L, idx);
      if (data) return data;
      int is_cb;
      void *code = ldl_callback_code(L, idx, &is_cb);
      if (is_cb) return code;
      break;
    }
    default: break;
  }
  luaL_typeerror(L, idx, "pointer, typed object or nil");
  return NULL;
}

static int cast_to_integer(lua_State *L, cstate *S, dl_ctid type) {
  if (dl_creg_type(S->reg, type)->size != sizeof(void *))
    return luaL_argerror(L, 1, "an integer cast takes a pointer-sized type (intptr_t, uintptr_t)");
  if (lua_isinteger(L, 2)) {
    lua_settop(L, 2);
    return 1;
  }
  lua_pushinteger(L, (lua_Integer)(intptr_t)address_of(L, 2));
  return 1;
}

/* dynlib.cast(type, v): pointer to pointer (keeping what the pointer knows
 * of its object), integer to pointer (unchecked), pointer to integer. */
static int l_cast(lua_State *L) {
  cstate *S = STATE(L);
  dl_ctid type = ldl_check_ctype(L, 1);
  uint8_t cls = ldl_cclass(S->reg, type);
  if (is_integer_class(cls)) return cast_to_integer(L, S, type);
  if (cls != LDL_K_PTR && cls != LDL_K_VPTR && cls != LDL_K_FPTR)
    return luaL_argerror(L, 1, lua_pushfstring(L, "cannot cast to '%s' (a pointer or "
                         "integer type expected)", push_ctype_name(L, S, type)));
  void *p = lua_isinteger(L, 2) ? (void *)(intptr_t)lua_tointeger(L, 2)
                                : address_of(L, 2);
  if (p == NULL || cls == LDL_K_VPTR) {
    if (p) lua_pushlightuserdata(L, p);
    else lua_pushnil(L);
    return 1;
  }
  const ldl_cd *src = luaL_testudata(L, 2, CD_MT);
  ldl_cd *c = lua_type(L, 2) == LUA_TUSERDATA ? push_derived(L, 2, CD_PTR)
                                              : push_cd(L, 0, CD_PTR);
  c->ptr = p;
  c->type = type;
  c->lo = src ? src->lo : 0;
  c->hi = src ? src->hi : UNCHECKED_HI;
  describe_pointer(S, c);
  return 1;
}

/* dynlib.typeof(v): the C type of a typed value ("struct tm",
 * "struct tm *", "int[10]"); "void *" for light userdata. */
static int l_typeof(lua_State *L) {
  cstate *S = STATE(L);
  ldl_cd *c = luaL_testudata(L, 1, CD_MT);
  if (c) push_cd_name(L, S, c);
  else if (lua_islightuserdata(L, 1)) lua_pushliteral(L, "void *");
  else luaL_typeerror(L, 1, "typed object or pointer");
  return 1;
}

/* dynlib.string(p [, len]): bytes copied out; nil for NULL. Without len,
 * up to the first NUL; within an object dynlib owns, never past its end. */
static int l_string(lua_State *L) {
  const ldl_cd *c = luaL_testudata(L, 1, CD_MT);
  if (c == NULL && !lua_islightuserdata(L, 1) && !lua_isnil(L, 1))
    return luaL_typeerror(L, 1, "typed pointer, object or light userdata");
  const char *p = c ? (const char *)c->ptr : lua_touserdata(L, 1);
  uintptr_t hi = c ? c->hi : UNCHECKED_HI;
  if (p == NULL) {
    lua_pushnil(L);
    return 1;
  }
  size_t avail = hi - (uintptr_t)p, len;
  if (!lua_isnoneornil(L, 2)) {
    lua_Integer n = luaL_checkinteger(L, 2);
    luaL_argcheck(L, n >= 0, 2, "negative length");
    if ((lua_Unsigned)n > avail)
      return luaL_error(L, "dynlib.string: %I bytes asked, the object has %I from there",
                        n, (lua_Integer)avail);
    len = (size_t)n;
  } else if (hi == UNCHECKED_HI) {
    len = strlen(p);
  } else {
    const char *end = memchr(p, 0, avail);
    len = end ? (size_t)(end - p) : avail;
  }
  lua_pushlstring(L, p, len);
  return 1;
}

void ldl_open_cdata(lua_State *L) {
  cstate *S = lua_newuserdatauv(L, sizeof *S, 1);
  memset(S, 0, sizeof *S);
  S->reg = ldl_creg(L);
  lua_newtable(L); /* the field cache's key strings */
  lua_setiuservalue(L, -2, 1);
  /* The reused pointers: weak, so that those no script holds are freed
   * (their keys then find nil and the pointer is made again). */
  lua_createtable(L, PCACHE, 0);
  lua_createtable(L, 0, 1);
  lua_pushliteral(L, "v");
  lua_setfield(L, -2, "__mode");
  lua_setmetatable(L, -2);
  S->pc.ref = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_pushvalue(L, -1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &STATE_KEY);
  static const luaL_Reg meta[] = {
      {"__index", cd_index}, {"__newindex", cd_newindex}, {"__len", cd_len},
      {"__tostring", cd_tostring}, {"__eq", cd_eq}, {"__add", cd_add},
      {"__sub", cd_sub}, {NULL, NULL}};
  luaL_newmetatable(L, CD_MT);
  lua_pushvalue(L, -2);
  luaL_setfuncs(L, meta, 1);
  lua_pushliteral(L, CD_MT);
  lua_setfield(L, -2, "__metatable");
  lua_pop(L, 1);
  static const luaL_Reg funcs[] = {{"new", l_new}, {"cast", l_cast},
                                   {"typeof", l_typeof}, {"string", l_string},
                                   {NULL, NULL}};
  luaL_setfuncs(L, funcs, 1); /* module table below the state */
}
