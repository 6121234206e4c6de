/*
 * lex.c - C tokens with their line and column. Preprocessor lines (the
 * line markers of `cpp` without -P, leftover #pragma) are skipped: cdef
 * text has been preprocessed, or never needed it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctype/cint.h"

typedef struct lexer {
  const char *s, *end, *line_start;
  int line;
  dl_vec toks;
  dl_cerr *err;
} lexer;

static int lex_error(lexer *lx, const char *at, const char *msg) {
  lx->err->line = lx->line;
  lx->err->column = (int)(at - lx->line_start) + 1;
  snprintf(lx->err->msg, sizeof lx->err->msg, "line %d, column %d: %s",
           lx->err->line, lx->err->column, msg);
  return -1;
}

static int is_ident(int c, int first) {
  return c == '_' || c == '$' || (c >= 'a' && c <= 'z') ||
         (c >= 'A' && c <= 'Z') || (!first && c >= '0' && c <= '9');
}

/* "#pragma pack": it changes layouts, so it becomes a token (other
 * directives are skipped). */
static const char *is_pragma_pack(const char *s, const char *end) {
  const char *want[] = {"#", "pragma", "pack"};
  for (int i = 0; i < 3; i++) {
    while (s < end && (*s == ' ' || *s == '\t')) s++;
    size_t n = strlen(want[i]);
    if ((size_t)(end - s) < n || memcmp(s, want[i], n) != 0) return NULL;
    s += n;
  }
  return s; /* after "pack" */
}

/* Skips blanks, comments and preprocessor lines but #pragma pack; -1 on an
 * open comment. */
static int skip_space(lexer *lx) {
  int line_begin = lx->s == lx->line_start;
  while (lx->s < lx->end) {
    char c = *lx->s;
    if (c == '\n') {
      lx->line++;
      lx->line_start = ++lx->s;
      line_begin = 1;
    } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
      lx->s++;
    } else if (c == '#' && line_begin) {
      if (is_pragma_pack(lx->s, lx->end)) break; /* a token of its own */
      while (lx->s < lx->end && *lx->s != '\n') lx->s++;
    } else if (c == '/' && lx->s + 1 < lx->end && lx->s[1] == '/') {
      while (lx->s < lx->end && *lx->s != '\n') lx->s++;
    } else if (c == '/' && lx->s + 1 < lx->end && lx->s[1] == '*') {
      const char *start = lx->s;
      lx->s += 2;
      while (lx->s + 1 < lx->end && !(lx->s[0] == '*' && lx->s[1] == '/')) {
        if (*lx->s == '\n') {
          lx->line++;
          lx->line_start = lx->s + 1;
        }
        lx->s++;
      }
      if (lx->s + 1 >= lx->end) return lex_error(lx, start, "unterminated comment");
      lx->s += 2;
    } else {
      break;
    }
  }
  return 0;
}

/* An integer literal's value and suffix; floats are only told apart. */
static int lex_number(lexer *lx, dl_ctok *t) {
  const char *p = lx->s;
  int base = 10;
  uint64_t v = 0;
  int overflow = 0;
  if (p[0] == '0' && p + 1 < lx->end && (p[1] == 'x' || p[1] == 'X')) base = 16, p += 2;
  else if (p[0] == '0') base = 8;
  for (; p < lx->end; p++) {
    int c = *p, d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (base == 16 && c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else if (base == 16 && c >= 'A' && c <= 'F') d = c - 'A' + 10;
    else break;
    if (d >= base) return lex_error(lx, lx->s, "bad digit in number");
    if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base) overflow = 1;
    v = v * (uint64_t)base + (uint64_t)d;
  }
  t->kind = DL_T_INT;
  if (p < lx->end && (*p == '.' || ((*p == 'e' || *p == 'E') && base == 10) ||
                      ((*p == 'p' || *p == 'P') && base == 16))) {
    t->kind = DL_T_FLOAT;
    while (p < lx->end && (is_ident(*p, 0) || *p == '.' ||
                           ((*p == '+' || *p == '-') &&
                            (p[-1] == 'e' || p[-1] == 'E' || p[-1] == 'p' ||
                             p[-1] == 'P'))))
      p++;
  } else {
    for (; p < lx->end && is_ident(*p, 0); p++) {
      if (*p == 'u' || *p == 'U') t->unsig = 1;
      else if (*p != 'l' && *p != 'L')
        return lex_error(lx, lx->s, "bad suffix on number");
    }
    if (overflow) return lex_error(lx, lx->s, "integer constant too large");
  }
  t->ival = v;
  lx->s = p;
  return 0;
}

/* "..." or '...' with escapes left raw; a char constant's value is its
 * first character (escapes: the common ones and octal/hex). */
static int lex_quoted(lexer *lx, dl_ctok *t) {
  char q = *lx->s;
  const char *p = lx->s + 1;
  while (p < lx->end && *p != q && *p != '\n') p += (*p == '\\') ? 2 : 1;
  if (p >= lx->end || *p != q)
    return lex_error(lx, lx->s, q == '"' ? "unterminated string" : "unterminated character constant");
  t->kind = q == '"' ? DL_T_STRING : DL_T_CHAR;
  const char *c = lx->s + 1;
  if (q == '\'') {
    if (*c != '\\') t->ival = (unsigned char)*c;
    else if (c[1] >= '0' && c[1] <= '7') t->ival = strtoul(c + 1, NULL, 8);
    else if (c[1] == 'x') t->ival = strtoul(c + 2, NULL, 16);
    else {
      const char *from = "ntrabfv0\\'\"", *to = "\n\t\r\a\b\f\v\0\\'\"";
      const char *f = strchr(from, c[1]);
      t->ival = f ? (unsigned char)to[f - from] : (unsigned char)c[1];
    }
  }
  lx->s = p + 1;
  return 0;
}

static const char *const PUNCT3[] = {"...", "<<=", ">>=", NULL};
static const char *const PUNCT2[] = {"<<", ">>", "<=", ">=", "==", "!=", "&&",
                                     "||", "->", "++", "--", "+=", "-=", "*=",
                                     "/=", "%=", "&=", "|=", "^=", "##", NULL};

static int lex_punct(lexer *lx, dl_ctok *t) {
  size_t left = (size_t)(lx->end - lx->s);
  for (int n = 3; n >= 2; n--) {
    const char *const *list = n == 3 ? PUNCT3 : PUNCT2;
    for (int i = 0; (size_t)n <= left && list[i]; i++)
      if (memcmp(lx->s, list[i], (size_t)n) == 0) {
        memcpy(t->p, list[i], (size_t)n);
        lx->s += n;
        return 0;
      }
  }
  if (!strchr("{}[]();:,.*&+-~!/%<>^|?=#", *lx->s) || *lx->s == '\0') {
    char msg[64];
    snprintf(msg, sizeof msg, "unexpected character (byte %u)",
             (unsigned char)*lx->s);
    return lex_error(lx, lx->s, msg);
  }
  t->p[0] = *lx->s++;
  return 0;
}

/* "#pragma pack(...)": p[0] says what ('s' set, 'u' push, 'o' pop), ival
 * the alignment (0: none), unsig whether one was given. */
static int lex_pragma(lexer *lx, dl_ctok *t) {
  const char *at = lx->s, *p = is_pragma_pack(lx->s, lx->end);
  const char *eol = memchr(p, '\n', (size_t)(lx->end - p));
  if (!eol) eol = lx->end;
  t->kind = DL_T_PRAGMA;
  t->p[0] = 's';
  while (p < eol && (*p == ' ' || *p == '\t')) p++;
  if (p >= eol || *p != '(') return lex_error(lx, at, "expected '(' after #pragma pack");
  for (p++; p < eol && *p != ')';) {
    if (*p == ' ' || *p == '\t' || *p == ',') {
      p++;
    } else if (*p >= '0' && *p <= '9') {
      unsigned long n = 0;
      while (p < eol && *p >= '0' && *p <= '9' && n < 1000) n = n * 10 + (unsigned long)(*p++ - '0');
      if (n == 0 || n > 64 || (n & (n - 1)))
        return lex_error(lx, at, "#pragma pack needs a power of two up to 64");
      t->ival = n;
      t->unsig = 1;
    } else if (is_ident((unsigned char)*p, 1)) {
      const char *w = p;
      while (p < eol && is_ident((unsigned char)*p, 0)) p++;
      if (p - w == 4 && memcmp(w, "push", 4) == 0) t->p[0] = 'u';
      else if (p - w == 3 && memcmp(w, "pop", 3) == 0) t->p[0] = 'o';
      /* any other word is a label for push/pop: not kept */
    } else {
      return lex_error(lx, at, "bad #pragma pack");
    }
  }
  if (p >= eol) return lex_error(lx, at, "expected ')' in #pragma pack");
  lx->s = eol;
  return 0;
}

static int lex_one(lexer *lx, dl_ctok *t) {
  memset(t, 0, sizeof *t);
  t->s = lx->s;
  t->line = lx->line;
  t->col = (int)(lx->s - lx->line_start) + 1;
  int r;
  char c = *lx->s;
  if (c == '#' && is_pragma_pack(lx->s, lx->end)) {
    r = lex_pragma(lx, t);
  } else if (is_ident((unsigned char)c, 1)) {
    while (lx->s < lx->end && is_ident((unsigned char)*lx->s, 0)) lx->s++;
    t->kind = DL_T_IDENT;
    r = 0;
  } else if (c >= '0' && c <= '9') {
    r = lex_number(lx, t);
  } else if (c == '.' && lx->s + 1 < lx->end && lx->s[1] >= '0' && lx->s[1] <= '9') {
    r = lex_number(lx, t); /* ".5": a float, only ever skipped */
    t->kind = DL_T_FLOAT;
  } else if (c == '"' || c == '\'') {
    r = lex_quoted(lx, t);
  } else {
    t->kind = DL_T_PUNCT;
    r = lex_punct(lx, t);
  }
  t->len = (uint32_t)(lx->s - t->s);
  return r;
}

int dl_clex(const char *text, size_t len, dl_ctok **out, size_t *n,
            dl_cerr *err) {
  lexer lx = {text, text + len, text, 1, {NULL, 0, 0, sizeof(dl_ctok)}, err};
  dl_ctok t;
  for (;;) {
    if (skip_space(&lx)) goto fail;
    if (lx.s >= lx.end) break;
    if (lex_one(&lx, &t)) goto fail;
    if (dl_vec_push(&lx.toks, &t)) goto oom;
  }
  memset(&t, 0, sizeof t);
  t.kind = DL_T_EOF;
  t.s = lx.s;
  t.line = lx.line;
  t.col = (int)(lx.s - lx.line_start) + 1;
  if (dl_vec_push(&lx.toks, &t)) goto oom;
  *out = lx.toks.data;
  *n = lx.toks.len;
  return 0;
oom:
  lex_error(&lx, lx.s, "out of memory");
fail:
  dl_vec_free(&lx.toks);
  return -1;
}

/* ---- tokens as the parser reads them ---- */

int dl_cis(const dl_ctok *t, const char *punct) {
  return t->kind == DL_T_PUNCT && strcmp(t->p, punct) == 0;
}

int dl_cword(const dl_ctok *t, const char *word) {
  return t->kind == DL_T_IDENT && strlen(word) == t->len &&
         memcmp(t->s, word, t->len) == 0;
}

_Noreturn void dl_cfail(dl_cparse *p, const dl_ctok *t, const char *fmt, ...) {
  char msg[200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  p->err->line = t->line;
  p->err->column = t->col;
  snprintf(p->err->msg, sizeof p->err->msg, "line %d, column %d: %s", t->line,
           t->col, msg);
  longjmp(p->fail, 1);
}

