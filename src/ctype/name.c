/*
 * name.c - a type's C spelling: "struct tm *", "char[16]",
 * "int (*)(int, int)", "const char *const". Typedef names are not kept
 * (types are interned): int32_t spells as its base type.
 */
#include <stdio.h>
#include <string.h>

#include "ctype/cint.h"

typedef struct sbuf {
  char *buf;
  size_t size, len; /* len: what it needs, may pass size */
} sbuf;

static void put(sbuf *b, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++, b->len++)
    if (b->len + 1 < b->size) b->buf[b->len] = s[i];
  if (b->size) b->buf[b->len < b->size ? b->len : b->size - 1] = '\0';
}

static void puts_(sbuf *b, const char *s) { put(b, s, strlen(s)); }

/* The declarator around the type as text (built inside out). */
typedef struct decl {
  char text[512];
  size_t len;
} decl;

static void d_prepend(decl *d, const char *s) {
  size_t n = strlen(s);
  if (d->len + n >= sizeof d->text) return;
  memmove(d->text + n, d->text, d->len + 1);
  memcpy(d->text, s, n);
  d->len += n;
}

static void d_append(decl *d, const char *s) {
  size_t n = strlen(s);
  if (d->len + n >= sizeof d->text) return;
  memcpy(d->text + d->len, s, n + 1);
  d->len += n;
}

static void spell(const dl_creg *reg, dl_ctid id, decl *d, sbuf *out, int depth);

static void specifier(const dl_creg *reg, const dl_ctype *t, sbuf *out) {
  if (t->flags & DL_CF_CONST) puts_(out, "const ");
  switch (t->kind) {
  case DL_C_STRUCT: puts_(out, "struct "); break;
  case DL_C_UNION: puts_(out, "union "); break;
  case DL_C_ENUM: puts_(out, "enum "); break;
  default: break;
  }
  if (t->name) puts_(out, dl_creg_str(reg, t->name));
  else puts_(out, "<anonymous>");
}

static void params(const dl_creg *reg, const dl_ctype *t, decl *d, int depth) {
  d_append(d, "(");
  for (uint32_t i = 0; i < t->count; i++) {
    char one[256];
    sbuf b = {one, sizeof one, 0};
    one[0] = '\0';
    decl inner = {{0}, 0};
    spell(reg, dl_creg_member(reg, t->first + i)->type, &inner, &b, depth + 1);
    if (i) d_append(d, ", ");
    d_append(d, one);
  }
  if (t->flags & DL_CF_VARIADIC) d_append(d, t->count ? ", ..." : "...");
  else if (!t->count) d_append(d, "void");
  d_append(d, ")");
}

static void spell(const dl_creg *reg, dl_ctid id, decl *d, sbuf *out, int depth) {
  const dl_ctype *t = dl_creg_type(reg, id);
  if (depth > 16) {
    puts_(out, "...");
    return;
  }
  switch (t->kind) {
  case DL_C_PTR: {
    const dl_ctype *b = dl_creg_type(reg, t->base);
    d_prepend(d, (t->flags & DL_CF_CONST) ? (d->len ? "*const " : "*const") : "*");
    if (b->kind == DL_C_ARRAY || b->kind == DL_C_FUNC) {
      d_prepend(d, "(");
      d_append(d, ")");
    }
    spell(reg, t->base, d, out, depth + 1);
    return;
  }
  case DL_C_ARRAY:
    if (!t->name) {
      char n[24];
      if (t->flags & DL_CF_VLA) snprintf(n, sizeof n, "[?]");
      else snprintf(n, sizeof n, "[%u]", (unsigned)t->count);
      d_append(d, n);
      spell(reg, t->base, d, out, depth + 1);
      return;
    }
    break;
  case DL_C_FUNC:
    params(reg, t, d, depth);
    spell(reg, t->base, d, out, depth + 1);
    return;
  default:
    break;
  }
  specifier(reg, t, out);
  if (d->len && d->text[0] != '[') puts_(out, " ");
  puts_(out, d->text);
}

size_t dl_ctype_name(const dl_creg *reg, dl_ctid id, char *buf, size_t size) {
  sbuf b = {buf, size, 0};
  if (size) buf[0] = '\0';
  decl d = {{0}, 0};
  spell(reg, id, &d, &b, 0);
  return b.len;
}
