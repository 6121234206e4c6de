/*
 * decl.c - C declarations: specifiers, declarators, struct/union/enum
 * bodies, prototypes and typedefs, with the GNU extensions system headers
 * use (__attribute__, __asm__ labels, __extension__, inline bodies)
 * understood or skipped. Errors longjmp to dl_cdef, which rolls the
 * registry back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctype/cint.h"

/* ---- tokens ---- */

static int word_in(const dl_ctok *t, const char *const *list) {
  for (int i = 0; list[i]; i++)
    if (dl_cword(t, list[i])) return 1;
  return 0;
}

static const dl_ctok *tok(dl_cparse *p) { return &p->tok[p->pos]; }
static int pragma_pack(dl_cparse *p);
static const dl_ctok *peek(dl_cparse *p, size_t k) {
  size_t i = p->pos + k;
  return &p->tok[i < p->ntok ? i : p->ntok - 1];
}

static int accept(dl_cparse *p, const char *punct) {
  if (!dl_cis(tok(p), punct)) return 0;
  p->pos++;
  return 1;
}

static void expect(dl_cparse *p, const char *punct) {
  if (!accept(p, punct)) {
    const dl_ctok *t = tok(p);
    if (t->kind == DL_T_EOF) dl_cfail(p, t, "expected '%s' at end of input", punct);
    dl_cfail(p, t, "expected '%s' before '%.*s'", punct, (int)t->len, t->s);
  }
}

static void oom(dl_cparse *p) { dl_cfail(p, tok(p), "out of memory"); }

static uint32_t intern_tok(dl_cparse *p, const dl_ctok *t) {
  uint32_t id = dl_creg_intern(p->reg, t->s, t->len);
  if (!id) oom(p);
  return id;
}

/* Skips a balanced (), [] or {} group starting at the current token. */
static void skip_group(dl_cparse *p) {
  const dl_ctok *open = tok(p);
  int depth = 0;
  do {
    const dl_ctok *t = tok(p);
    if (t->kind == DL_T_EOF) dl_cfail(p, open, "unbalanced '%s'", open->p);
    if (dl_cis(t, "(") || dl_cis(t, "[") || dl_cis(t, "{")) depth++;
    if (dl_cis(t, ")") || dl_cis(t, "]") || dl_cis(t, "}")) depth--;
    p->pos++;
  } while (depth > 0);
}

/* ---- attributes ---- */

typedef struct attrs {
  uint32_t align;   /* aligned(N) */
  int packed;
  uint32_t mode;    /* mode(QI...): bytes */
  uint32_t asm_label; /* string id */
} attrs;

static const char *const ATTR_WORDS[] = {"__attribute__", "__attribute", NULL};
static const char *const ASM_WORDS[] = {"__asm__", "__asm", "asm", NULL};

static int attr_name_is(const dl_ctok *t, const char *name) {
  char under[40];
  snprintf(under, sizeof under, "__%s__", name);
  return dl_cword(t, name) || dl_cword(t, under);
}

static uint32_t mode_bytes(const dl_ctok *t) {
  static const char *const names[] = {"QI", "HI", "SI", "DI", "TI"};
  for (int i = 0; i < 5; i++)
    if (attr_name_is(t, names[i])) return 1u << i;
  if (attr_name_is(t, "word") || attr_name_is(t, "pointer")) return dl_cptr_size;
  return 0;
}

/* One attribute inside __attribute__((...)). */
static void attr_one(dl_cparse *p, attrs *a) {
  const dl_ctok *name = tok(p);
  if (name->kind != DL_T_IDENT) dl_cfail(p, name, "expected an attribute name");
  p->pos++;
  if (attr_name_is(name, "packed")) a->packed = 1;
  if (attr_name_is(name, "aligned")) {
    if (!accept(p, "(")) {
      a->align = dl_cmax_align;
      return;
    }
    int64_t n = dl_cexpr(p);
    if (n <= 0 || (n & (n - 1)) || n > (1 << 28))
      dl_cfail(p, name, "alignment must be a power of two");
    if ((uint32_t)n > a->align) a->align = (uint32_t)n;
    expect(p, ")");
    return;
  }
  if (attr_name_is(name, "mode") && dl_cis(tok(p), "(")) {
    a->mode = mode_bytes(peek(p, 1));
    if (!a->mode) dl_cfail(p, peek(p, 1), "unsupported mode");
  }
  if (dl_cis(tok(p), "(")) skip_group(p);
}

static void asm_label(dl_cparse *p, attrs *a) {
  const dl_ctok *at = tok(p);
  p->pos++;
  expect(p, "(");
  char buf[256];
  size_t n = 0;
  while (tok(p)->kind == DL_T_STRING) { /* "a" "b": concatenated */
    const dl_ctok *s = tok(p);
    if (n + s->len > sizeof buf) dl_cfail(p, s, "asm label too long");
    memcpy(buf + n, s->s + 1, s->len - 2);
    n += s->len - 2;
    p->pos++;
  }
  if (!n || memchr(buf, '\\', n)) dl_cfail(p, at, "expected a symbol name in __asm__");
  expect(p, ")");
  a->asm_label = dl_creg_intern(p->reg, buf, n);
  if (!a->asm_label) oom(p);
}

/* Any run of __attribute__((...)) and __asm__("label"). */
static int attributes(dl_cparse *p, attrs *a) {
  int any = 0;
  for (;;) {
    const dl_ctok *t = tok(p);
    if (word_in(t, ATTR_WORDS)) {
      p->pos++;
      expect(p, "(");
      expect(p, "(");
      while (!dl_cis(tok(p), ")")) {
        if (!accept(p, ",")) attr_one(p, a);
      }
      expect(p, ")");
      expect(p, ")");
    } else if (word_in(t, ASM_WORDS)) {
      asm_label(p, a);
    } else if (dl_cword(t, "__declspec")) {
      p->pos++;
      skip_group(p);
    } else {
      return any;
    }
    any = 1;
  }
}

/* ---- specifiers ---- */

typedef struct spec {
  dl_ctid type;
  int is_const, is_typedef, is_static, is_extern, is_inline;
  attrs at;
} spec;

static const char *const QUALS[] = {
    "volatile", "__volatile", "__volatile__", "restrict", "__restrict",
    "__restrict__", "_Nonnull", "_Nullable", "_Null_unspecified", "__extension__",
    "register", "auto", "_Noreturn", "__thread", "_Thread_local", "noreturn",
    NULL};
static const char *const CONSTS[] = {"const", "__const", "__const__", NULL};
static const char *const INLINES[] = {"inline", "__inline", "__inline__", NULL};

/* Counts of the basic type words, combined at the end. */
typedef struct basic {
  int any, v, b, c, s, i, l, f, d, sgn, uns, i128, cplx, f128;
  const dl_ctok *first;
} basic;

static int basic_word(const dl_ctok *t, basic *b) {
  static const char *const words[] = {
      "void", "_Bool", "char", "short", "int", "long", "float", "double",
      "signed", "__signed", "__signed__", "unsigned", "__int128", "_Complex",
      "__complex__", NULL};
  int *slot[] = {&b->v, &b->b, &b->c, &b->s, &b->i, &b->l, &b->f, &b->d,
                 &b->sgn, &b->sgn, &b->sgn, &b->uns, &b->i128, &b->cplx,
                 &b->cplx};
  for (int i = 0; words[i]; i++)
    if (dl_cword(t, words[i])) {
      if (!b->any) b->first = t;
      b->any = 1;
      (*slot[i])++;
      return 1;
    }
  return 0;
}

static dl_ctid builtin(dl_cparse *p, const char *name) {
  dl_ctid id = dl_creg_builtin(p->reg, name);
  if (!id) dl_cfail(p, tok(p), "type '%s' is not available on this target", name);
  return id;
}

/* "double _Complex": laid out as two of its parts, never converted (an
 * array named for its spelling). */
static dl_ctid complex_type(dl_cparse *p, const basic *b, const char *part) {
  if (!b->f && !b->d) dl_cfail(p, b->first, "only floating types can be _Complex");
  const dl_ctype *t = dl_creg_type(p->reg, builtin(p, part));
  char name[40];
  snprintf(name, sizeof name, "%s _Complex", part);
  dl_ctype c = {DL_C_ARRAY, 0, 0, t->size * 2, t->align, builtin(p, part), 2, 0,
                dl_creg_intern(p->reg, name, strlen(name))};
  dl_ctid id = c.name ? dl_creg_intern_type(p->reg, &c, NULL) : 0;
  if (!id) oom(p);
  return id;
}

static dl_ctid basic_type(dl_cparse *p, const basic *b) {
  const char *name = NULL;
  int n = b->v + b->b + b->c + b->s + b->f + b->d + b->i128;
  if (n > 1 || b->sgn + b->uns > 1 || b->l > 2 || (b->l && (b->s || b->c)))
    dl_cfail(p, b->first, "invalid combination of type specifiers");
  if (b->v) name = "void";
  else if (b->b) name = "_Bool";
  else if (b->f) name = "float";
  else if (b->d) name = b->l == 1 ? "long double" : "double";
  else if (b->c) name = b->uns ? "unsigned char" : b->sgn ? "signed char" : "char";
  else if (b->s) name = b->uns ? "unsigned short" : "short";
  else if (b->i128) name = b->uns ? "unsigned __int128" : "__int128";
  else if (b->l == 2) name = b->uns ? "unsigned long long" : "long long";
  else if (b->l == 1) name = b->uns ? "unsigned long" : "long";
  else name = b->uns ? "unsigned int" : "int";
  if ((b->v || b->b || b->f || b->d) && (b->sgn || b->uns || b->i))
    dl_cfail(p, b->first, "invalid combination of type specifiers");
  if (b->d && b->l > 1) dl_cfail(p, b->first, "invalid combination of type specifiers");
  if (b->f && b->l) dl_cfail(p, b->first, "invalid combination of type specifiers");
  if (b->cplx) return complex_type(p, b, name);
  return builtin(p, name);
}

static const dl_csym *typedef_sym(dl_cparse *p, const dl_ctok *t) {
  if (t->kind != DL_T_IDENT) return NULL;
  uint32_t name = dl_creg_find_str(p->reg, t->s, t->len);
  const dl_csym *s = dl_creg_sym(p->reg, DL_NS_ORD, name);
  return s && s->what == DL_SYM_TYPEDEF ? s : NULL;
}

static dl_ctid aggregate(dl_cparse *p, spec *s);
static dl_ctid enumeration(dl_cparse *p);
static dl_ctid declarator(dl_cparse *p, dl_ctid base, const dl_ctok **name,
                          attrs *a);

static const char *const SPEC_WORDS[] = {
    "void", "_Bool", "char", "short", "int", "long", "float", "double",
    "signed", "__signed", "__signed__", "unsigned", "__int128", "_Complex",
    "__complex__", "struct", "union", "enum", "const", "__const", "__const__",
    "volatile", "__volatile", "__volatile__", "restrict", "__restrict",
    "__restrict__", "__extension__", "__typeof__", "__typeof", "typeof",
    "_Atomic", "_Alignas", "__attribute__", "__attribute", "typedef", "extern",
    "static", "inline", "__inline", "__inline__", "_Noreturn", "register",
    "auto", "__thread", "_Thread_local", NULL};

int dl_cstarts_type(dl_cparse *p, size_t i) {
  const dl_ctok *t = &p->tok[i < p->ntok ? i : p->ntok - 1];
  return word_in(t, SPEC_WORDS) || typedef_sym(p, t) != NULL;
}

/* __typeof__(type); an expression's type is not supported. */
static dl_ctid type_of(dl_cparse *p) {
  const dl_ctok *at = tok(p);
  p->pos++;
  expect(p, "(");
  if (!dl_cstarts_type(p, p->pos))
    dl_cfail(p, at, "__typeof__ of an expression is not supported");
  dl_ctid id = dl_ctypename(p);
  expect(p, ")");
  return id;
}

/* Declaration specifiers; s->type is 0 if none named a type. */
static void specifiers(dl_cparse *p, spec *s) {
  basic b = {0};
  memset(s, 0, sizeof *s);
  for (;;) {
    const dl_ctok *t = tok(p);
    if (t->kind != DL_T_IDENT) break;
    if (word_in(t, CONSTS)) s->is_const = 1, p->pos++;
    else if (word_in(t, INLINES)) s->is_inline = 1, p->pos++;
    else if (dl_cword(t, "typedef")) s->is_typedef = 1, p->pos++;
    else if (dl_cword(t, "static")) s->is_static = 1, p->pos++;
    else if (dl_cword(t, "extern")) s->is_extern = 1, p->pos++;
    else if (word_in(t, QUALS)) p->pos++;
    else if (attributes(p, &s->at)) continue;
    else if (dl_cword(t, "_Alignas")) {
      p->pos++;
      expect(p, "(");
      int64_t n;
      if (dl_cstarts_type(p, p->pos)) n = dl_creg_type(p->reg, dl_ctypename(p))->align;
      else n = dl_cexpr(p);
      expect(p, ")");
      if (n > 0 && (uint64_t)n > s->at.align && n <= (1 << 28)) s->at.align = (uint32_t)n;
    } else if (dl_cword(t, "_Atomic")) {
      p->pos++;
      if (dl_cis(tok(p), "(")) dl_cfail(p, t, "_Atomic types are not supported");
    } else if (s->type || b.any) {
      if (!basic_word(t, &b)) break;
      if (s->type) dl_cfail(p, t, "two types in one declaration");
      p->pos++;
    } else if (basic_word(t, &b)) {
      p->pos++;
    } else if (dl_cword(t, "struct") || dl_cword(t, "union")) {
      s->type = aggregate(p, s);
    } else if (dl_cword(t, "enum")) {
      s->type = enumeration(p);
    } else if (dl_cword(t, "__typeof__") || dl_cword(t, "__typeof") ||
               dl_cword(t, "typeof")) {
      s->type = type_of(p);
    } else {
      const dl_csym *sym = typedef_sym(p, t);
      if (!sym) break;
      s->type = sym->type;
      p->pos++;
    }
  }
  if (b.any) s->type = basic_type(p, &b);
  if (s->type && s->is_const) {
    s->type = dl_ctype_qualified(p->reg, s->type, 1);
    if (!s->type) oom(p);
  }
}

/* Specifiers that must name a type (a declaration's, a member's, a
 * parameter's, a type name's): else fails at their first token, naming it
 * when it is an unknown name, or saying what was expected. */
static void type_specifiers(dl_cparse *p, spec *s, const char *expected) {
  const dl_ctok *start = tok(p);
  specifiers(p, s);
  if (s->type) return;
  if (start->kind == DL_T_IDENT)
    dl_cfail(p, start, "unknown type '%.*s'", (int)start->len, start->s);
  dl_cfail(p, start, "%s", expected);
}

/* ---- struct, union ---- */

static int same_type(const dl_creg *reg, dl_ctid a, dl_ctid b, int depth);

/* A struct's members read again: the same names, places and types
 * (anonymous members' types compared by their members). */
static int same_members(dl_cparse *p, const dl_ctype *a, const dl_cmember *m,
                        size_t n) {
  if (a->count != n) return 0;
  for (size_t i = 0; i < n; i++) {
    const dl_cmember *x = dl_creg_member(p->reg, a->first + (uint32_t)i);
    if (x->name != m[i].name || !same_type(p->reg, x->type, m[i].type, 0) ||
        x->offset != m[i].offset || x->bit_offset != m[i].bit_offset ||
        x->bit_width != m[i].bit_width)
      return 0;
  }
  return 1;
}

/* One member declaration: "int a, *b : 3;", an anonymous struct/union. */
static void member_decl(dl_cparse *p) {
  const dl_ctok *start = tok(p);
  if (dl_cword(start, "_Static_assert") || dl_cword(start, "static_assert")) {
    p->pos++;
    skip_group(p);
    expect(p, ";");
    return;
  }
  spec s;
  type_specifiers(p, &s, "expected a member declaration");
  if (dl_cis(tok(p), ";")) {
    const dl_ctype *t = dl_creg_type(p->reg, s.type);
    if (t->kind != DL_C_STRUCT && t->kind != DL_C_UNION)
      dl_cfail(p, start, "declaration declares no member");
    dl_cfield f = {0, s.type, -1, s.at.align, s.at.packed, start};
    if (dl_vec_push(&p->fields, &f)) oom(p);
    p->pos++;
    return;
  }
  for (;;) {
    const dl_ctok *name = NULL, *at_member = tok(p);
    attrs a = s.at;
    dl_ctid type = s.type;
    if (!dl_cis(tok(p), ":")) type = declarator(p, s.type, &name, &a);
    int bits = -1;
    if (accept(p, ":")) {
      const dl_ctok *at = tok(p);
      int64_t w = dl_cexpr(p);
      if (w < 0 || w > 128) dl_cfail(p, at, "bad bit-field width");
      bits = (int)w;
      attributes(p, &a);
    } else if (!name) {
      dl_cfail(p, tok(p), "expected a member name");
    }
    dl_cfield f = {name ? intern_tok(p, name) : 0, type, bits, a.align,
                   a.packed, name ? name : at_member};
    if (dl_vec_push(&p->fields, &f)) oom(p);
    if (!accept(p, ",")) break;
  }
  expect(p, ";");
}

/* Lays out the fields read since `first` into type id. */
static void complete(dl_cparse *p, const dl_ctok *at, dl_ctid id,
                     size_t first, const attrs *a) {
  size_t n = p->fields.len - first;
  dl_ctype t = *dl_creg_type(p->reg, id);
  int redefining = (t.flags & DL_CF_COMPLETE) != 0;
  dl_ctype nt = t;
  nt.flags = (uint8_t)((a->packed ? DL_CF_PACKED : 0));
  dl_cmember *m = calloc(n ? n : 1, sizeof *m);
  if (!m) oom(p);
  char msg[160];
  size_t bad = n;
  if (dl_clayout(p->reg, &nt, a->align, p->pack,
                 &DL_VEC_AT(p->fields, dl_cfield, first), n, m, &bad, msg,
                 sizeof msg)) {
    free(m);
    if (bad < n) at = DL_VEC_AT(p->fields, dl_cfield, first + bad).where;
    dl_cfail(p, at, "%s", msg);
  }
  nt.count = (uint32_t)n;
  if (redefining) {
    int same = same_members(p, &t, m, n) && nt.size == t.size &&
               nt.align == t.align;
    free(m);
    if (!same) {
      dl_cfail(p, at, "redefinition of '%s %s' with different members",
               t.kind == DL_C_UNION ? "union" : "struct",
               dl_creg_str(p->reg, t.name));
    }
    return;
  }
  nt.first = dl_creg_add_members(p->reg, m, n);
  free(m);
  if (nt.first == UINT32_MAX || dl_creg_set_type(p->reg, id, &nt)) oom(p);
}

/* The type a tag names, declared (incomplete) if new. */
static dl_ctid tag_type(dl_cparse *p, const dl_ctok *kw, const dl_ctok *tag,
                        int kind, int defining) {
  uint32_t name = intern_tok(p, tag);
  const dl_csym *s = dl_creg_sym(p->reg, DL_NS_TAG, name);
  if (s) {
    const dl_ctype *t = dl_creg_type(p->reg, s->type);
    if (t->kind != kind)
      dl_cfail(p, tag, "'%.*s' was declared as another kind of tag",
               (int)tag->len, tag->s);
    (void)defining;
    return s->type;
  }
  (void)kw;
  dl_ctype t = {(uint8_t)kind, 0, 0, 0, 1, 0, 0, 0, name};
  dl_ctid id = dl_creg_new_type(p->reg, &t);
  dl_csym sym = {name, DL_NS_TAG, DL_SYM_TAG, id, 0};
  if (!id || dl_creg_add_sym(p->reg, &sym)) oom(p);
  return id;
}

/* What a struct, union or enum head read: its keyword, its tag (NULL when
 * anonymous) and the attributes before and after the tag. */
typedef struct tag_head {
  const dl_ctok *kw, *tag;
  attrs a;
} tag_head;

/* Reads the head shared by struct, union and enum: the keyword, attributes,
 * an optional tag, attributes. Returns the type it names: the tag's (declared
 * incomplete if new), or a new anonymous type. A body follows when the
 * current token is '{'; without one the head was a reference and needs a
 * tag. */
static dl_ctid tagged_head(dl_cparse *p, int kind, tag_head *h) {
  *h = (tag_head){0};
  h->kw = tok(p);
  p->pos++;
  attributes(p, &h->a);
  if (tok(p)->kind == DL_T_IDENT) h->tag = tok(p), p->pos++;
  attributes(p, &h->a);
  int defining = dl_cis(tok(p), "{");
  if (!defining && !h->tag) dl_cfail(p, tok(p), "expected a tag or '{'");
  if (h->tag) return tag_type(p, h->kw, h->tag, kind, defining);
  dl_ctype t = {(uint8_t)kind, 0, 0, 0, 1, 0, 0, 0, 0};
  dl_ctid id = dl_creg_new_type(p->reg, &t);
  if (!id) oom(p);
  return id;
}

static dl_ctid aggregate(dl_cparse *p, spec *s) {
  int kind = dl_cword(tok(p), "union") ? DL_C_UNION : DL_C_STRUCT;
  tag_head h;
  dl_ctid id = tagged_head(p, kind, &h);
  if (!dl_cis(tok(p), "{")) return id; /* a reference: no body */
  const dl_ctok *open = tok(p);
  p->pos++;
  size_t first = p->fields.len;
  if (++p->depth > DL_CDEPTH) dl_cfail(p, open, "nested too deeply");
  while (!accept(p, "}")) {
    if (tok(p)->kind == DL_T_EOF) dl_cfail(p, open, "unterminated '{'");
    if (!accept(p, ";") && !pragma_pack(p)) member_decl(p);
  }
  p->depth--;
  attributes(p, &h.a);
  (void)s;
  complete(p, h.tag ? h.tag : h.kw, id, first, &h.a);
  p->fields.len = first;
  return id;
}

/* ---- enum ---- */

/* The integer type gcc lays an enum with these values out as. */
static dl_ctid enum_base(dl_cparse *p, int64_t lo, int64_t hi, int any_big,
                         int packed) {
  static const char *const uns[] = {"unsigned char", "unsigned short",
                                    "unsigned int", "unsigned long long"};
  static const char *const sgn[] = {"signed char", "short", "int", "long long"};
  int first = packed ? 0 : 2;
  for (int i = first; i < 4; i++) {
    int bits = i == 3 ? 64 : 8 << i;
    if (lo >= 0 && (bits == 64 || (uint64_t)hi < (uint64_t)1 << bits))
      return builtin(p, i == 3 && dl_creg_type(p->reg, builtin(p, "unsigned long"))->size == 8
                            ? "unsigned long" : uns[i]);
    if (lo < 0 && !any_big &&
        (bits == 64 || (lo >= -((int64_t)1 << (bits - 1)) &&
                        hi < ((int64_t)1 << (bits - 1)))))
      return builtin(p, i == 3 && dl_creg_type(p->reg, builtin(p, "long"))->size == 8
                            ? "long" : sgn[i]);
  }
  return builtin(p, "long long");
}

static void declare(dl_cparse *p, const dl_ctok *at, int what, dl_ctid type,
                    int64_t value);

static dl_ctid enumeration(dl_cparse *p) {
  tag_head h;
  dl_ctid id = tagged_head(p, DL_C_ENUM, &h);
  if (!dl_cis(tok(p), "{")) return id; /* a reference: no body */
  const dl_ctok *open = tok(p);
  p->pos++;
  int64_t next = 0, lo = 0, hi = 0;
  int any = 0, big = 0;
  while (!accept(p, "}")) {
    const dl_ctok *name = tok(p);
    if (name->kind != DL_T_IDENT)
      dl_cfail(p, name, name->kind == DL_T_EOF ? "unterminated enum" : "expected an enumerator name");
    (void)open;
    p->pos++;
    attrs ea = {0};
    attributes(p, &ea);
    if (accept(p, "=")) next = dl_cexpr(p);
    declare(p, name, DL_SYM_CONST, id, next);
    if (!any || next < lo) lo = next;
    if (!any || next > hi) hi = next;
    if ((uint64_t)next > INT64_MAX / 2 && next < 0 && lo >= 0) big = 1;
    any = 1;
    next = (int64_t)((uint64_t)next + 1);
    if (!accept(p, ",")) {
      expect(p, "}");
      break;
    }
  }
  attributes(p, &h.a);
  dl_ctid base = enum_base(p, lo, hi, big, h.a.packed);
  const dl_ctype *b = dl_creg_type(p->reg, base);
  dl_ctype t = *dl_creg_type(p->reg, id);
  if (t.flags & DL_CF_COMPLETE) {
    if (t.base != base) dl_cfail(p, h.kw, "redefinition of 'enum %s' with other values",
                                 dl_creg_str(p->reg, t.name));
    return id;
  }
  t.base = base;
  t.size = b->size;
  t.align = b->align;
  t.flags = (uint8_t)(DL_CF_COMPLETE | (b->flags & DL_CF_UNSIGNED));
  if (dl_creg_set_type(p->reg, id, &t)) oom(p);
  return id;
}

/* ---- declarators ---- */

/* Is the '(' at the current token a nested declarator, not parameters? */
static int nested_declarator(dl_cparse *p) {
  const dl_ctok *t = peek(p, 1);
  if (dl_cis(t, "*") || dl_cis(t, "(") || dl_cis(t, "^") || dl_cis(t, "["))
    return 1;
  if (word_in(t, ATTR_WORDS)) return 1;
  if (t->kind == DL_T_IDENT) return !dl_cstarts_type(p, p->pos + 1);
  return 0;
}

/* A parameter list "(int a, ...)" pushed onto p->scratch; its flags. */
static int params(dl_cparse *p, size_t *first, uint32_t *count) {
  p->pos++; /* ( */
  *first = p->scratch.len;
  *count = 0;
  int flags = 0;
  if (dl_cword(tok(p), "void") && dl_cis(peek(p, 1), ")")) p->pos++;
  while (!accept(p, ")")) {
    if (*count && !dl_cis(tok(p), ")")) expect(p, ",");
    if (accept(p, "...")) {
      flags |= DL_CF_VARIADIC;
      expect(p, ")");
      break;
    }
    const dl_ctok *start = tok(p);
    spec s;
    type_specifiers(p, &s, "expected a parameter type");
    const dl_ctok *name = NULL;
    attrs a = {0};
    dl_ctid type = declarator(p, s.type, &name, &a);
    const dl_ctype *t = dl_creg_type(p->reg, type);
    /* arrays and functions as parameters are pointers */
    if (t->kind == DL_C_ARRAY) type = dl_ctype_ptr(p->reg, t->base);
    else if (t->kind == DL_C_FUNC) type = dl_ctype_ptr(p->reg, type);
    if (!type) oom(p);
    if (dl_creg_type(p->reg, type)->kind == DL_C_VOID)
      dl_cfail(p, start, "parameter of type void");
    dl_cmember m = {name ? intern_tok(p, name) : 0, type, 0, 0, 0, 0};
    if (dl_vec_push(&p->scratch, &m)) oom(p);
    (*count)++;
  }
  return flags;
}

typedef struct suffix {
  int is_func, flags;
  int64_t n; /* array: elements, -1 for [] or [?] */
  size_t first;
  uint32_t count;
  const dl_ctok *at;
} suffix;

static dl_ctid apply_suffix(dl_cparse *p, dl_ctid base, const suffix *s) {
  const dl_ctype *b = dl_creg_type(p->reg, base);
  if (s->is_func) {
    if (b->kind == DL_C_ARRAY || b->kind == DL_C_FUNC)
      dl_cfail(p, s->at, "function returning an array or a function");
    dl_ctype t = {DL_C_FUNC, (uint8_t)s->flags, 0, 0, 1, base, s->count, 0, 0};
    const dl_cmember *params =
        s->count ? &DL_VEC_AT(p->scratch, dl_cmember, s->first) : NULL;
    dl_ctid id = dl_creg_intern_type(p->reg, &t, params);
    if (!id) oom(p);
    return id;
  }
  if (b->kind == DL_C_FUNC) dl_cfail(p, s->at, "array of functions");
  if (b->kind == DL_C_VOID || (b->size == 0 && !(b->flags & DL_CF_COMPLETE) &&
                               b->kind != DL_C_ARRAY))
    dl_cfail(p, s->at, "array of an incomplete type");
  if (b->kind == DL_C_ARRAY && (b->flags & DL_CF_VLA))
    dl_cfail(p, s->at, "array of arrays of unknown size");
  if (s->n >= 0 && b->size && (uint64_t)s->n > (UINT32_MAX / 2) / b->size)
    dl_cfail(p, s->at, "array too large");
  dl_ctid id = dl_ctype_array(p->reg, base, s->n);
  if (!id) oom(p);
  return id;
}

/* Array and parameter suffixes, applied right to left ("a[2][3]" is an
 * array of 2 arrays of 3). */
static dl_ctid suffixes(dl_cparse *p, dl_ctid base) {
  suffix sx[16];
  int n = 0;
  size_t mark = p->scratch.len;
  while (dl_cis(tok(p), "[") || dl_cis(tok(p), "(")) {
    if (n == 16) dl_cfail(p, tok(p), "too many array or parameter suffixes");
    suffix *s = &sx[n++];
    memset(s, 0, sizeof *s);
    s->at = tok(p);
    if (dl_cis(tok(p), "(")) {
      s->is_func = 1;
      s->flags = params(p, &s->first, &s->count);
      continue;
    }
    p->pos++;
    while (word_in(tok(p), CONSTS) || word_in(tok(p), QUALS) || dl_cword(tok(p), "static"))
      p->pos++;
    if (accept(p, "]") || (accept(p, "?") && (expect(p, "]"), 1))) {
      s->n = -1;
      continue;
    }
    const dl_ctok *at = tok(p);
    s->n = dl_cexpr(p);
    if (s->n < 0) dl_cfail(p, at, "negative array size");
    expect(p, "]");
  }
  for (int i = n; i-- > 0;) base = apply_suffix(p, base, &sx[i]);
  p->scratch.len = mark;
  return base;
}

/* A declarator applied to base: pointers, a name or a nested declarator,
 * suffixes; attributes anywhere. name is NULL for an abstract one. */
static dl_ctid declarator(dl_cparse *p, dl_ctid base, const dl_ctok **name,
                          attrs *a) {
  if (++p->depth > DL_CDEPTH) dl_cfail(p, tok(p), "declarator nested too deeply");
  attributes(p, a);
  while (accept(p, "*")) {
    base = dl_ctype_ptr(p->reg, base);
    if (!base) oom(p);
    for (;;) {
      if (word_in(tok(p), CONSTS)) {
        p->pos++;
        base = dl_ctype_qualified(p->reg, base, 1);
        if (!base) oom(p);
      } else if (word_in(tok(p), QUALS) || dl_cword(tok(p), "_Atomic")) {
        p->pos++;
      } else if (!attributes(p, a)) {
        break;
      }
    }
  }
  if (dl_cis(tok(p), "(") && nested_declarator(p)) {
    size_t inner = p->pos + 1;
    skip_group(p);
    base = suffixes(p, base);
    size_t after = p->pos;
    p->pos = inner;
    base = declarator(p, base, name, a);
    expect(p, ")");
    p->pos = after;
  } else {
    if (tok(p)->kind == DL_T_IDENT && !word_in(tok(p), ATTR_WORDS) &&
        !word_in(tok(p), ASM_WORDS)) {
      *name = tok(p);
      p->pos++;
    }
    base = suffixes(p, base);
  }
  attributes(p, a);
  p->depth--;
  return base;
}

dl_ctid dl_ctypename(dl_cparse *p) {
  spec s;
  type_specifiers(p, &s, "expected a type");
  const dl_ctok *name = NULL;
  attrs a = {0};
  dl_ctid t = declarator(p, s.type, &name, &a);
  if (name) dl_cfail(p, name, "unexpected name '%.*s' in a type", (int)name->len, name->s);
  return t;
}

/* ---- declarations ---- */

/* Are a and b the same type, or two anonymous structs, unions or enums
 * with the same members (a header read twice declares them again)? */
static int same_type(const dl_creg *reg, dl_ctid a, dl_ctid b, int depth) {
  if (a == b) return 1;
  const dl_ctype *x = dl_creg_type(reg, a), *y = dl_creg_type(reg, b);
  if (depth > 8 || x->kind != y->kind || x->flags != y->flags ||
      x->size != y->size || x->align != y->align || x->count != y->count ||
      x->name != y->name)
    return 0;
  switch (x->kind) {
  case DL_C_PTR:
  case DL_C_ARRAY:
    return same_type(reg, x->base, y->base, depth + 1);
  case DL_C_ENUM:
    return x->name == 0 && x->base == y->base;
  case DL_C_STRUCT:
  case DL_C_UNION:
  case DL_C_FUNC:
    if (x->name || (x->flags & DL_CF_CONST)) return x->base && same_type(reg, x->base, y->base, depth + 1);
    if (x->kind == DL_C_FUNC && !same_type(reg, x->base, y->base, depth + 1)) return 0;
    for (uint32_t i = 0; i < x->count; i++) {
      const dl_cmember *m = dl_creg_member(reg, x->first + i);
      const dl_cmember *n = dl_creg_member(reg, y->first + i);
      if ((x->kind != DL_C_FUNC && m->name != n->name) || m->offset != n->offset ||
          m->bit_offset != n->bit_offset || m->bit_width != n->bit_width ||
          !same_type(reg, m->type, n->type, depth + 1))
        return 0;
    }
    return 1;
  default:
    return 0;
  }
}

static const char *what_name(int what) {
  static const char *const names[] = {"typedef", "constant", "function",
                                      "variable", "tag"};
  return names[what];
}

/* Declares an ordinary name; the same declaration again is fine. */
static void declare(dl_cparse *p, const dl_ctok *at, int what, dl_ctid type,
                    int64_t value) {
  uint32_t name = intern_tok(p, at);
  const dl_csym *old = dl_creg_sym(p->reg, DL_NS_ORD, name);
  if (old) {
    /* an enumerator again with its value (a header's anonymous enum read
     * twice) is the same constant */
    if (old->what == what && what == DL_SYM_CONST && old->value == value) return;
    if (old->what == what && what != DL_SYM_CONST &&
        same_type(p->reg, old->type, type, 0))
      return;
    char was[96], now[96];
    dl_ctype_name(p->reg, old->type, was, sizeof was);
    dl_ctype_name(p->reg, type, now, sizeof now);
    if (what == DL_SYM_CONST && old->what == what)
      dl_cfail(p, at, "redefinition of '%.*s' as %lld (was %lld)", (int)at->len,
               at->s, (long long)value, (long long)old->value);
    dl_cfail(p, at, "redefinition of '%.*s' as %s '%s' (was %s '%s')",
             (int)at->len, at->s, what_name(what), now, what_name(old->what), was);
  }
  dl_csym s = {name, DL_NS_ORD, (uint8_t)what, type, value};
  if (dl_creg_add_sym(p->reg, &s)) oom(p);
}

static void declare_func(dl_cparse *p, const dl_ctok *at, dl_ctid type,
                         const spec *s, const attrs *a, int has_body) {
  uint32_t name = intern_tok(p, at);
  const dl_csym *old = dl_creg_sym(p->reg, DL_NS_ORD, name);
  if (old) {
    declare(p, at, DL_SYM_FUNC, type, old->value);
    return;
  }
  /* "static inline" and C99 "inline" definitions are no symbol; glibc's
   * "extern inline" ones stand beside the library's symbol */
  (void)has_body;
  dl_cfunc f = {type, a->asm_label ? a->asm_label : name,
                s->is_inline && !s->is_extern};
  uint32_t index;
  if (dl_creg_add_func(p->reg, &f, &index)) oom(p);
  declare(p, at, DL_SYM_FUNC, type, index);
}

/* A typedef's own attributes: mode(...) picks an integer size, aligned
 * changes the alignment. */
static dl_ctid typedef_type(dl_cparse *p, const dl_ctok *at, dl_ctid type,
                            const attrs *a) {
  const dl_ctype *t = dl_creg_type(p->reg, type);
  if (a->mode) {
    if (t->kind != DL_C_INT) dl_cfail(p, at, "mode on a type that is not an integer");
    for (size_t i = 0; i < dl_ncbases; i++) {
      const dl_cbase *b = &dl_cbases[i];
      if (b->kind == DL_C_INT && b->size == a->mode &&
          (b->flags & DL_CF_UNSIGNED) == (t->flags & DL_CF_UNSIGNED) &&
          strcmp(b->name, "char") != 0)
        return builtin(p, b->name);
    }
    dl_cfail(p, at, "no integer of that mode here");
  }
  if (a->align && a->align != t->align) {
    if (t->kind == DL_C_STRUCT || t->kind == DL_C_UNION || t->kind == DL_C_ENUM ||
        t->kind == DL_C_FUNC || t->kind == DL_C_VOID)
      dl_cfail(p, at, "aligned on a typedef of this type is not supported");
    dl_ctype c = *t;
    c.align = a->align;
    type = dl_creg_intern_type(p->reg, &c, NULL);
    if (!type) oom(p);
  }
  return type;
}

static void skip_initializer(dl_cparse *p) {
  while (!dl_cis(tok(p), ",") && !dl_cis(tok(p), ";")) {
    if (tok(p)->kind == DL_T_EOF) dl_cfail(p, tok(p), "expected ';'");
    if (dl_cis(tok(p), "(") || dl_cis(tok(p), "{") || dl_cis(tok(p), "["))
      skip_group(p);
    else
      p->pos++;
  }
}

static void declaration(dl_cparse *p) {
  spec s;
  type_specifiers(p, &s, "expected a declaration");
  if (accept(p, ";")) return;
  for (;;) {
    const dl_ctok *name = NULL;
    attrs a = s.at;
    a.asm_label = 0;
    dl_ctid type = declarator(p, s.type, &name, &a);
    if (!name) dl_cfail(p, tok(p), "expected a name in the declaration");
    int body = dl_cis(tok(p), "{");
    const dl_ctype *t = dl_creg_type(p->reg, type);
    if (s.is_typedef)
      declare(p, name, DL_SYM_TYPEDEF, typedef_type(p, name, type, &a), 0);
    else if (t->kind == DL_C_FUNC)
      declare_func(p, name, type, &s, &a, body);
    else
      declare(p, name, DL_SYM_VAR, type, 0);
    if (body) {
      if (t->kind != DL_C_FUNC) dl_cfail(p, tok(p), "unexpected '{'");
      skip_group(p);
      return;
    }
    if (accept(p, "=")) skip_initializer(p);
    if (!accept(p, ",")) break;
  }
  expect(p, ";");
}

/* #pragma pack(...) at the current token: applied; 1 if there was one. */
static int pragma_pack(dl_cparse *p) {
  const dl_ctok *t = tok(p);
  if (t->kind != DL_T_PRAGMA) return 0;
  p->pos++;
  if (t->p[0] == 'o') {
    p->pack = p->npack ? p->pack_stack[--p->npack] : 0;
    return 1;
  }
  if (t->p[0] == 'u') {
    if (p->npack == 16) dl_cfail(p, t, "#pragma pack pushed too deep");
    p->pack_stack[p->npack++] = p->pack;
    if (!t->unsig) return 1;
  }
  p->pack = (uint32_t)t->ival;
  return 1;
}

static void top_level(dl_cparse *p) {
  while (tok(p)->kind != DL_T_EOF) {
    const dl_ctok *t = tok(p);
    if (accept(p, ";") || pragma_pack(p)) continue;
    if (dl_cword(t, "_Static_assert") || dl_cword(t, "static_assert") ||
        word_in(t, ASM_WORDS)) {
      p->pos++;
      skip_group(p);
      expect(p, ";");
      continue;
    }
    declaration(p);
  }
}

/* The one setjmp: its frame changes nothing after it (p lives in the
 * caller's), so nothing is indeterminate after a longjmp. */
static int guarded(dl_cparse *p, void (*body)(dl_cparse *, void *), void *ud) {
  if (setjmp(p->fail)) return 1;
  body(p, ud);
  return 0;
}

static int run(dl_creg *reg, const char *text, size_t len, dl_cerr *err,
               void (*body)(dl_cparse *, void *), void *ud) {
  dl_cerr dummy;
  if (!err) err = &dummy;
  memset(err, 0, sizeof *err);
  dl_cparse p;
  memset(&p, 0, sizeof p);
  p.reg = reg;
  p.err = err;
  p.scratch.elem = sizeof(dl_cmember);
  p.fields.elem = sizeof(dl_cfield);
  p.type_name = dl_ctypename;
  p.starts_type = dl_cstarts_type;
  if (dl_clex(text, len, &p.tok, &p.ntok, err)) return -1;
  dl_cmark mark;
  dl_creg_begin(reg, &mark);
  int failed = guarded(&p, body, ud);
  if (failed) dl_creg_rollback(reg, &mark);
  else dl_creg_commit(reg);
  free(p.tok);
  dl_vec_free(&p.scratch);
  dl_vec_free(&p.fields);
  return failed ? -1 : 0;
}

static void cdef_body(dl_cparse *p, void *ud) {
  (void)ud;
  top_level(p);
}

int dl_cdef(dl_creg *reg, const char *text, size_t len, dl_cerr *err) {
  return run(reg, text, len, err, cdef_body, NULL);
}

static void typename_body(dl_cparse *p, void *ud) {
  dl_ctid *out = ud;
  *out = dl_ctypename(p);
  if (tok(p)->kind != DL_T_EOF)
    dl_cfail(p, tok(p), "unexpected '%.*s' after the type", (int)tok(p)->len,
             tok(p)->s);
}

int dl_ctype_parse(dl_creg *reg, const char *text, size_t len, dl_ctid *out,
                   dl_cerr *err) {
  *out = 0;
  return run(reg, text, len, err, typename_body, out);
}
