/*
 * expr.c - integer constant expressions (enum values, array sizes,
 * bit-field widths, aligned(N)): literals, enum constants, sizeof and
 * _Alignof of a type, casts, and C's operators with C's precedence.
 * Values are 64-bit; `unsigned` and 32-bit results wrap as C's would.
 */
#include <string.h>

#include "ctype/cint.h"

typedef struct val {
  uint64_t v;
  int uns;  /* unsigned */
  int wide; /* 64-bit (long, long long, or too large for int) */
} val;

static val norm(val a) {
  if (!a.wide) a.v = a.uns ? (uint32_t)a.v : (uint64_t)(int64_t)(int32_t)a.v;
  return a;
}

static const dl_ctok *tok(dl_cparse *p) { return &p->tok[p->pos]; }

static val cond(dl_cparse *p);

static void expect(dl_cparse *p, const char *punct) {
  if (!dl_cis(tok(p), punct))
    dl_cfail(p, tok(p), "expected '%s' in constant expression", punct);
  p->pos++;
}

/* sizeof / _Alignof: of a type in parentheses, or of an expression's type
 * (taken as int: only constants are allowed here). */
static val size_or_align(dl_cparse *p, int align) {
  const dl_ctok *at = tok(p);
  p->pos++;
  if (dl_cis(tok(p), "(") && p->starts_type(p, p->pos + 1)) {
    p->pos++;
    dl_ctid id = p->type_name(p);
    expect(p, ")");
    const dl_ctype *t = dl_creg_type(p->reg, id);
    if (!align && (t->size == 0 || t->kind == DL_C_FUNC))
      dl_cfail(p, at, "sizeof of an incomplete type");
    return (val){align ? t->align : t->size, 1, dl_cptr_size == 8};
  }
  dl_cfail(p, at, "sizeof or _Alignof needs a type in parentheses here");
}

static val cast(dl_cparse *p, dl_ctid id, val a) {
  const dl_ctype *t = dl_creg_type(p->reg, id);
  if (t->kind == DL_C_ENUM) t = dl_creg_type(p->reg, t->base);
  if (t->kind == DL_C_BOOL) return (val){a.v != 0, 0, 0};
  if (t->kind != DL_C_INT && t->kind != DL_C_PTR)
    return a;
  uint32_t bits = t->size * 8;
  int uns = t->kind == DL_C_PTR || (t->flags & DL_CF_UNSIGNED);
  if (bits < 64) {
    uint64_t m = ((uint64_t)1 << bits) - 1;
    a.v &= m;
    if (!uns && (a.v >> (bits - 1)) & 1) a.v |= ~m;
  }
  a.uns = uns;
  a.wide = bits > 32;
  return norm(a);
}

static val primary(dl_cparse *p) {
  const dl_ctok *t = tok(p);
  if (t->kind == DL_T_INT) {
    p->pos++;
    int uns = t->unsig, wide = 0;
    int longs = 0;
    for (uint32_t i = 0; i < t->len; i++) longs += t->s[i] == 'l' || t->s[i] == 'L';
    if (longs && dl_cptr_size == 8) wide = 1;
    if (longs >= 2) wide = 1;
    int dec = t->s[0] != '0';
    if (!wide && (uns ? t->ival > UINT32_MAX : t->ival > INT32_MAX)) {
      if (!dec && !uns && t->ival <= UINT32_MAX) uns = 1;
      else wide = 1;
    }
    if (wide && !uns && t->ival > INT64_MAX) uns = 1;
    return norm((val){t->ival, uns, wide});
  }
  if (t->kind == DL_T_CHAR) {
    p->pos++;
    return (val){(uint64_t)(int64_t)(signed char)t->ival, 0, 0};
  }
  if (t->kind == DL_T_IDENT) {
    if (dl_cword(t, "sizeof")) return size_or_align(p, 0);
    if (dl_cword(t, "_Alignof") || dl_cword(t, "__alignof__") ||
        dl_cword(t, "__alignof") || dl_cword(t, "alignof"))
      return size_or_align(p, 1);
    if (dl_cword(t, "__extension__")) {
      p->pos++;
      return cond(p);
    }
    uint32_t name = dl_creg_find_str(p->reg, t->s, t->len);
    const dl_csym *s = dl_creg_sym(p->reg, DL_NS_ORD, name);
    if (!s || s->what != DL_SYM_CONST)
      dl_cfail(p, t, "'%.*s' is not a constant", (int)t->len, t->s);
    p->pos++;
    int64_t v = s->value;
    return norm((val){(uint64_t)v, 0, v < INT32_MIN || v > INT32_MAX});
  }
  if (dl_cis(t, "(")) {
    p->pos++;
    if (p->starts_type(p, p->pos)) {
      dl_ctid id = p->type_name(p);
      expect(p, ")");
      val a = primary(p);
      return cast(p, id, a);
    }
    val a = cond(p);
    expect(p, ")");
    return a;
  }
  if (t->kind == DL_T_PUNCT && strchr("-+~!", t->p[0]) && !t->p[1]) {
    p->pos++;
    if (++p->depth > DL_CDEPTH) dl_cfail(p, t, "expression nested too deeply");
    val a = primary(p);
    p->depth--;
    switch (t->p[0]) {
    case '-': a.v = 0 - a.v; break;
    case '~': a.v = ~a.v; break;
    case '!': return (val){a.v == 0, 0, 0};
    default: break;
    }
    return norm(a);
  }
  dl_cfail(p, t, "expected a constant expression");
}

/* Binary operators by precedence, lowest first. */
static const char *const LEVELS[][4] = {
    {"||"}, {"&&"}, {"|"}, {"^"}, {"&"}, {"==", "!="},
    {"<", ">", "<=", ">="}, {"<<", ">>"}, {"+", "-"}, {"*", "/", "%"}};
#define NLEVELS (int)(sizeof LEVELS / sizeof LEVELS[0])

static int op_at(dl_cparse *p, int level) {
  for (int i = 0; i < 4 && LEVELS[level][i]; i++)
    if (dl_cis(tok(p), LEVELS[level][i])) return i;
  return -1;
}

static int less(val a, val b, int uns) {
  return uns ? a.v < b.v : (int64_t)a.v < (int64_t)b.v;
}

static val apply(dl_cparse *p, const dl_ctok *at, const char *op, val a,
                 val b) {
  int uns = a.uns || b.uns;
  val r = {0, uns, a.wide || b.wide};
  char c = op[0], c2 = op[1];
  if (c == '|' && c2 == '|') return (val){a.v || b.v, 0, 0};
  if (c == '&' && c2 == '&') return (val){a.v && b.v, 0, 0};
  if (c == '=' || c == '!') return (val){(a.v == b.v) == (c == '='), 0, 0};
  if ((c == '<' || c == '>') && c2 != c) {
    int lt = c == '<' ? less(a, b, uns) : less(b, a, uns);
    int eq = a.v == b.v;
    return (val){c2 == '=' ? (lt || eq) : lt, 0, 0};
  }
  if (c == '<' || c == '>') { /* shifts: the left operand's type */
    unsigned n = (unsigned)(b.v & 63);
    r.uns = a.uns, r.wide = a.wide;
    if (c == '<') r.v = a.v << n;
    else if (a.uns) r.v = (a.wide ? a.v : (uint32_t)a.v) >> n;
    else r.v = (uint64_t)((int64_t)a.v >> n);
    return norm(r);
  }
  switch (c) {
  case '|': r.v = a.v | b.v; break;
  case '^': r.v = a.v ^ b.v; break;
  case '&': r.v = a.v & b.v; break;
  case '+': r.v = a.v + b.v; break;
  case '-': r.v = a.v - b.v; break;
  case '*': r.v = a.v * b.v; break;
  default:
    if (b.v == 0) dl_cfail(p, at, "division by zero");
    if (uns) r.v = c == '/' ? a.v / b.v : a.v % b.v;
    else if ((int64_t)b.v == -1) r.v = c == '/' ? 0 - a.v : 0;
    else r.v = (uint64_t)(c == '/' ? (int64_t)a.v / (int64_t)b.v
                                   : (int64_t)a.v % (int64_t)b.v);
  }
  return norm(r);
}

static val binary(dl_cparse *p, int level) {
  if (level == NLEVELS) return primary(p);
  val a = binary(p, level + 1);
  int i;
  while ((i = op_at(p, level)) >= 0) {
    const dl_ctok *at = tok(p);
    p->pos++;
    val b = binary(p, level + 1);
    a = apply(p, at, LEVELS[level][i], a, b);
  }
  return a;
}

static val cond(dl_cparse *p) {
  if (++p->depth > DL_CDEPTH) dl_cfail(p, tok(p), "expression nested too deeply");
  val c = binary(p, 0);
  p->depth--;
  if (!dl_cis(tok(p), "?")) return c;
  p->pos++;
  val a = cond(p);
  expect(p, ":");
  val b = cond(p);
  return c.v ? a : b;
}

int64_t dl_cexpr(dl_cparse *p) { return (int64_t)cond(p).v; }
