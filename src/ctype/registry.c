/*
 * registry.c - the registry's storage: growable arrays, interned strings
 * and types, declared names, and the transaction that undoes a failed
 * dl_cdef.
 */
#include <stdlib.h>
#include <string.h>

#include "ctype/cint.h"

int dl_vec_push(dl_vec *v, const void *rec) {
  if (v->len == v->cap) {
    size_t cap = v->cap ? v->cap * 2 : 64;
    void *d = realloc(v->data, cap * v->elem);
    if (!d) return -1;
    v->data = d;
    v->cap = cap;
  }
  memcpy((char *)v->data + v->len * v->elem, rec, v->elem);
  v->len++;
  return 0;
}

void dl_vec_free(dl_vec *v) {
  free(v->data);
  v->data = NULL;
  v->len = v->cap = 0;
}

/* ---- hash sets of 1-based indexes ---- */

static uint32_t hash_bytes(uint32_t h, const void *p, size_t n) {
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 16777619u; /* FNV-1a */
  return h;
}

typedef uint32_t (*hash_fn)(const dl_creg *, uint32_t idx);

/* Finds the slot of key (hash h, equal per eq) or the empty slot for it. */
static size_t hset_slot(const dl_hset *s, uint32_t h, const dl_creg *reg,
                        int (*eq)(const dl_creg *, uint32_t, const void *),
                        const void *key) {
  size_t mask = s->cap - 1, i = h & mask;
  while (s->slot[i] && !eq(reg, s->slot[i] - 1, key)) i = (i + 1) & mask;
  return i;
}

static int hset_grow(dl_hset *s, const dl_creg *reg, hash_fn hf) {
  if (s->cap && (s->used + 1) * 4 < s->cap * 3) return 0;
  size_t cap = s->cap ? s->cap * 2 : 256;
  uint32_t *slot = calloc(cap, sizeof *slot);
  if (!slot) return -1;
  for (size_t i = 0; i < s->cap; i++) {
    if (!s->slot[i]) continue;
    size_t j = hf(reg, s->slot[i] - 1) & (cap - 1);
    while (slot[j]) j = (j + 1) & (cap - 1);
    slot[j] = s->slot[i];
  }
  free(s->slot);
  s->slot = slot;
  s->cap = cap;
  return 0;
}

/* Inserts idx (whose key is new) into the set. */
static int hset_add(dl_hset *s, const dl_creg *reg, hash_fn hf, uint32_t idx) {
  if (hset_grow(s, reg, hf)) return -1;
  size_t j = hf(reg, idx) & (s->cap - 1);
  while (s->slot[j]) j = (j + 1) & (s->cap - 1);
  s->slot[j] = idx + 1;
  s->used++;
  return 0;
}

/* ---- strings ---- */

typedef struct str_key {
  const char *s;
  size_t len;
} str_key;

static uint32_t str_hash(const dl_creg *reg, uint32_t id) {
  const char *s = (const char *)reg->strs.data + id;
  return hash_bytes(2166136261u, s, strlen(s));
}

static int str_eq(const dl_creg *reg, uint32_t id, const void *k) {
  const str_key *key = k;
  const char *s = (const char *)reg->strs.data + id;
  return strncmp(s, key->s, key->len) == 0 && s[key->len] == '\0';
}

uint32_t dl_creg_find_str(const dl_creg *reg, const char *s, size_t len) {
  if (len == 0) return 0;
  str_key key = {s, len};
  size_t i = hset_slot(&reg->str_set, hash_bytes(2166136261u, s, len), reg,
                       str_eq, &key);
  return reg->str_set.slot[i] ? reg->str_set.slot[i] - 1 : 0;
}

uint32_t dl_creg_intern(dl_creg *reg, const char *s, size_t len) {
  if (len == 0) return 0;
  uint32_t id = dl_creg_find_str(reg, s, len);
  if (id) return id;
  if (memchr(s, '\0', len)) return 0;
  id = (uint32_t)reg->strs.len;
  for (size_t i = 0; i < len; i++)
    if (dl_vec_push(&reg->strs, s + i)) return 0;
  if (dl_vec_push(&reg->strs, "")) return 0;
  if (hset_add(&reg->str_set, reg, str_hash, id)) return 0;
  return id;
}

const char *dl_creg_str(const dl_creg *reg, uint32_t id) {
  return id ? (const char *)reg->strs.data + id : "";
}

/* ---- types ---- */

/* The const variant of a struct, union or enum is its own record, found
 * by (kind, flags, base = the plain type): the rest changes when the plain
 * type is completed. Other types are the same type when every field is
 * the same, and for functions the parameters' types too. */
static int is_const_agg(const dl_ctype *t) {
  return (t->kind == DL_C_STRUCT || t->kind == DL_C_UNION ||
          t->kind == DL_C_ENUM) && (t->flags & DL_CF_CONST);
}

static uint32_t key_hash(const dl_ctype *t, const dl_cmember *mem) {
  dl_ctype c = *t;
  if (is_const_agg(t)) {
    dl_ctype k = {0};
    k.kind = c.kind, k.flags = c.flags, k.base = c.base;
    c = k;
  }
  if (c.kind == DL_C_FUNC) c.first = 0; /* not known before it is stored */
  uint32_t h = hash_bytes(2166136261u, &c, sizeof c);
  if (c.kind == DL_C_FUNC)
    for (uint32_t i = 0; i < c.count; i++)
      h = hash_bytes(h, &mem[i].type, sizeof mem[i].type);
  return h;
}

static uint32_t type_hash_stored(const dl_creg *reg, uint32_t id) {
  const dl_ctype *t = &DL_VEC_AT(reg->types, dl_ctype, id);
  return key_hash(t, t->kind == DL_C_FUNC && t->count
                         ? dl_creg_member(reg, t->first) : NULL);
}

typedef struct type_key {
  const dl_ctype *t;
  const dl_cmember *mem;
} type_key;

static int type_same(const dl_creg *reg, const dl_ctype *a, const dl_ctype *b,
                     const dl_cmember *bm) {
  if (is_const_agg(a) || is_const_agg(b))
    return a->kind == b->kind && a->flags == b->flags && a->base == b->base;
  if (a->kind != b->kind || a->flags != b->flags || a->size != b->size ||
      a->align != b->align || a->base != b->base || a->count != b->count ||
      a->name != b->name)
    return 0;
  if (a->kind != DL_C_FUNC) return a->first == b->first;
  for (uint32_t i = 0; i < a->count; i++)
    if (dl_creg_member(reg, a->first + i)->type != bm[i].type) return 0;
  return 1;
}

static int type_eq(const dl_creg *reg, uint32_t id, const void *k) {
  const type_key *key = k;
  return type_same(reg, &DL_VEC_AT(reg->types, dl_ctype, id), key->t, key->mem);
}

dl_ctid dl_creg_new_type(dl_creg *reg, const dl_ctype *t) {
  if (reg->types.len >= UINT32_MAX - 1) return 0;
  dl_ctid id = (dl_ctid)reg->types.len;
  return dl_vec_push(&reg->types, t) ? 0 : id;
}

dl_ctid dl_creg_intern_type(dl_creg *reg, const dl_ctype *t,
                            const dl_cmember *mem) {
  type_key key = {t, mem};
  size_t i = hset_slot(&reg->type_set, key_hash(t, mem), reg, type_eq, &key);
  if (reg->type_set.slot[i]) return reg->type_set.slot[i] - 1;
  dl_ctype c = *t;
  if (c.kind == DL_C_FUNC) {
    c.first = dl_creg_add_members(reg, mem, c.count);
    if (c.first == UINT32_MAX) return 0;
  }
  dl_ctid id = dl_creg_new_type(reg, &c);
  if (!id || hset_add(&reg->type_set, reg, type_hash_stored, id)) return 0;
  return id;
}

uint32_t dl_creg_add_members(dl_creg *reg, const dl_cmember *m, size_t n) {
  uint32_t first = (uint32_t)reg->members.len;
  for (size_t i = 0; i < n; i++)
    if (dl_vec_push(&reg->members, &m[i])) return UINT32_MAX;
  return first;
}

dl_ctid dl_creg_ntypes(const dl_creg *reg) { return (dl_ctid)reg->types.len; }

const dl_ctype *dl_creg_type(const dl_creg *reg, dl_ctid id) {
  return &DL_VEC_AT(reg->types, dl_ctype, id);
}

const dl_cmember *dl_creg_member(const dl_creg *reg, uint32_t index) {
  return &DL_VEC_AT(reg->members, dl_cmember, index);
}

static int log_change(dl_creg *reg, dl_ctid id) {
  dl_cundo u = {id, DL_VEC_AT(reg->types, dl_ctype, id)};
  return reg->in_txn ? dl_vec_push(&reg->undo, &u) : 0;
}

/* A struct's const variant is its own record (interned with base = the
 * plain struct): completing the struct completes it too. */
int dl_creg_set_type(dl_creg *reg, dl_ctid id, const dl_ctype *t) {
  if (log_change(reg, id)) return -1;
  DL_VEC_AT(reg->types, dl_ctype, id) = *t;
  for (size_t i = 1; i < reg->types.len; i++) {
    dl_ctype *v = &DL_VEC_AT(reg->types, dl_ctype, i);
    if (v->base != id || v->kind != t->kind || !(v->flags & DL_CF_CONST))
      continue;
    if (log_change(reg, (dl_ctid)i)) return -1;
    dl_ctid base = v->base;
    *v = *t;
    v->base = base;
    v->flags |= DL_CF_CONST;
  }
  return 0;
}

/* ---- names ---- */

typedef struct sym_key {
  uint32_t name;
  int ns;
} sym_key;

static uint32_t sym_hash2(uint32_t name, int ns) {
  uint32_t v[2] = {name, (uint32_t)ns};
  return hash_bytes(2166136261u, v, sizeof v);
}

static uint32_t sym_hash(const dl_creg *reg, uint32_t idx) {
  const dl_csym *s = &DL_VEC_AT(reg->syms, dl_csym, idx);
  return sym_hash2(s->name, s->ns);
}

static int sym_eq(const dl_creg *reg, uint32_t idx, const void *k) {
  const dl_csym *s = &DL_VEC_AT(reg->syms, dl_csym, idx);
  const sym_key *key = k;
  return s->name == key->name && s->ns == key->ns;
}

const dl_csym *dl_creg_sym(const dl_creg *reg, int ns, uint32_t name) {
  if (!name || !reg->sym_set.cap) return NULL;
  sym_key key = {name, ns};
  size_t i = hset_slot(&reg->sym_set, sym_hash2(name, ns), reg, sym_eq, &key);
  return reg->sym_set.slot[i]
             ? &DL_VEC_AT(reg->syms, dl_csym, reg->sym_set.slot[i] - 1)
             : NULL;
}

int dl_creg_add_sym(dl_creg *reg, const dl_csym *s) {
  uint32_t idx = (uint32_t)reg->syms.len;
  if (dl_vec_push(&reg->syms, s)) return -1;
  return hset_add(&reg->sym_set, reg, sym_hash, idx);
}

int dl_creg_add_func(dl_creg *reg, const dl_cfunc *f, uint32_t *index) {
  *index = (uint32_t)reg->funcs.len;
  return dl_vec_push(&reg->funcs, f);
}

const dl_cfunc *dl_creg_func(const dl_creg *reg, const char *name) {
  const dl_csym *s =
      dl_creg_sym(reg, DL_NS_ORD, dl_creg_find_str(reg, name, strlen(name)));
  if (!s || s->what != DL_SYM_FUNC) return NULL;
  return &DL_VEC_AT(reg->funcs, dl_cfunc, s->value);
}

void dl_creg_each_func(const dl_creg *reg,
                       void (*fn)(const char *, const dl_cfunc *, void *),
                       void *ud) {
  for (size_t i = 0; i < reg->syms.len; i++) {
    const dl_csym *s = &DL_VEC_AT(reg->syms, dl_csym, i);
    if (s->what == DL_SYM_FUNC && s->ns == DL_NS_ORD)
      fn(dl_creg_str(reg, s->name), &DL_VEC_AT(reg->funcs, dl_cfunc, s->value),
         ud);
  }
}

int dl_creg_const(const dl_creg *reg, const char *name, int64_t *value,
                  dl_ctid *type) {
  const dl_csym *s =
      dl_creg_sym(reg, DL_NS_ORD, dl_creg_find_str(reg, name, strlen(name)));
  if (!s || s->what != DL_SYM_CONST) return -1;
  if (value) *value = s->value;
  if (type) *type = s->type;
  return 0;
}

/* ---- transactions ---- */

void dl_creg_begin(dl_creg *reg, dl_cmark *m) {
  m->types = reg->types.len;
  m->members = reg->members.len;
  m->strs = reg->strs.len;
  m->syms = reg->syms.len;
  m->funcs = reg->funcs.len;
  reg->undo.len = 0;
  reg->in_txn = 1;
}

void dl_creg_commit(dl_creg *reg) {
  reg->undo.len = 0;
  reg->in_txn = 0;
}

/* Rebuilds a set from the records [start, n) of an array. */
static void rebuild(dl_creg *reg, dl_hset *s, size_t start, size_t n,
                    hash_fn hf, int (*keep)(const dl_creg *, uint32_t)) {
  memset(s->slot, 0, s->cap * sizeof *s->slot);
  s->used = 0;
  for (size_t i = start; i < n; i++)
    if (!keep || keep(reg, (uint32_t)i))
      hset_add(s, reg, hf, (uint32_t)i); /* cannot grow past its old size */
}

static int is_interned(const dl_creg *reg, uint32_t id) {
  dl_ctype t = DL_VEC_AT(reg->types, dl_ctype, id);
  /* struct/union/enum records are unique, their const variants interned */
  return !((t.kind == DL_C_STRUCT || t.kind == DL_C_UNION ||
            t.kind == DL_C_ENUM) && !(t.flags & DL_CF_CONST));
}

static void rebuild_strs(dl_creg *reg) {
  memset(reg->str_set.slot, 0, reg->str_set.cap * sizeof *reg->str_set.slot);
  reg->str_set.used = 0;
  const char *base = reg->strs.data;
  for (size_t i = 1; i < reg->strs.len; i += strlen(base + i) + 1)
    hset_add(&reg->str_set, reg, str_hash, (uint32_t)i);
}

void dl_creg_rollback(dl_creg *reg, const dl_cmark *m) {
  for (size_t i = reg->undo.len; i-- > 0;) {
    dl_cundo *u = &DL_VEC_AT(reg->undo, dl_cundo, i);
    if (u->id < m->types) DL_VEC_AT(reg->types, dl_ctype, u->id) = u->old;
  }
  reg->types.len = m->types;
  reg->members.len = m->members;
  reg->strs.len = m->strs;
  reg->syms.len = m->syms;
  reg->funcs.len = m->funcs;
  rebuild(reg, &reg->type_set, 1, reg->types.len, type_hash_stored,
          is_interned);
  rebuild(reg, &reg->sym_set, 0, reg->syms.len, sym_hash, NULL);
  rebuild_strs(reg);
  dl_creg_commit(reg);
}

/* ---- lifetime and base types ---- */

static int add_builtin(dl_creg *reg, const dl_cbase *b) {
  uint32_t name = dl_creg_intern(reg, b->name, strlen(b->name));
  dl_ctype t = {b->kind, b->flags, 0, b->size, b->align, 0, 0, 0, name};
  dl_ctid id = name ? dl_creg_intern_type(reg, &t, NULL) : 0;
  if (!id || reg->nbuiltin == (int)(sizeof reg->builtin / sizeof *reg->builtin))
    return -1;
  reg->builtin[reg->nbuiltin] = id;
  reg->builtin_name[reg->nbuiltin++] = name;
  return 0;
}

static int add_alias(dl_creg *reg, const dl_calias *a) {
  dl_ctid base = dl_creg_builtin(reg, a->base);
  if (!base) return 0; /* __int128 where the target has none */
  dl_csym s = {dl_creg_intern(reg, a->name, strlen(a->name)), DL_NS_ORD,
               DL_SYM_TYPEDEF, base, 0};
  return s.name ? dl_creg_add_sym(reg, &s) : -1;
}

dl_creg *dl_creg_new(void) {
  dl_creg *reg = calloc(1, sizeof *reg);
  if (!reg) return NULL;
  reg->types.elem = sizeof(dl_ctype);
  reg->members.elem = sizeof(dl_cmember);
  reg->strs.elem = 1;
  reg->syms.elem = sizeof(dl_csym);
  reg->funcs.elem = sizeof(dl_cfunc);
  reg->undo.elem = sizeof(dl_cundo);
  dl_ctype none = {0};
  int bad = dl_vec_push(&reg->types, &none) || dl_vec_push(&reg->strs, "") ||
            hset_grow(&reg->str_set, reg, str_hash) ||
            hset_grow(&reg->type_set, reg, type_hash_stored) ||
            hset_grow(&reg->sym_set, reg, sym_hash);
  for (size_t i = 0; !bad && i < dl_ncbases; i++)
    bad = add_builtin(reg, &dl_cbases[i]);
  for (size_t i = 0; !bad && i < dl_ncaliases; i++)
    bad = add_alias(reg, &dl_caliases[i]);
  if (bad) {
    dl_creg_free(reg);
    return NULL;
  }
  return reg;
}

void dl_creg_free(dl_creg *reg) {
  if (!reg) return;
  dl_vec_free(&reg->types);
  dl_vec_free(&reg->members);
  dl_vec_free(&reg->strs);
  dl_vec_free(&reg->syms);
  dl_vec_free(&reg->funcs);
  dl_vec_free(&reg->undo);
  free(reg->str_set.slot);
  free(reg->type_set.slot);
  free(reg->sym_set.slot);
  free(reg);
}

dl_ctid dl_creg_builtin(const dl_creg *reg, const char *name) {
  uint32_t s = dl_creg_find_str(reg, name, strlen(name));
  for (int i = 0; s && i < reg->nbuiltin; i++)
    if (reg->builtin_name[i] == s) return reg->builtin[i];
  const dl_csym *sym = dl_creg_sym(reg, DL_NS_ORD, s);
  return sym && sym->what == DL_SYM_TYPEDEF ? sym->type : 0;
}
