/*
 * sig.c - a parser for the C prototypes dynlib can call.
 *
 *   prototype  := type [name] '(' params ')'
 *   params     := 'void' | param {',' param} [',' '...'] | '...' | empty
 *   param      := type [name]
 *   type       := specifiers {'*' {qualifier}}
 *
 * Specifiers are C's base-type keywords in any order and spelling
 * ("long unsigned int"), qualifiers (ignored), the <stdint.h>/<stddef.h>
 * typedef names, and `enum TAG` (an int). A function pointer parameter
 * "(*cmp)(...)" is a pointer. Structs by value, unions, arrays and function
 * types are refused with a clear message.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "calls/sig.h"

typedef struct parser {
  const char *src;
  const char *p;
  char *err;
  size_t errsize;
  int failed;
} parser;

typedef struct token {
  const char *start;
  size_t len;
} token;

static int fail(parser *ps, const char *fmt, const char *what) {
  if (!ps->failed) {
    char msg[160];
    snprintf(msg, sizeof msg, fmt, what);
    snprintf(ps->err, ps->errsize, "bad prototype '%s' at position %d: %s",
             ps->src, (int)(ps->p - ps->src) + 1, msg);
  }
  ps->failed = 1;
  return -1;
}

static void skip_space(parser *ps) {
  while (isspace((unsigned char)*ps->p)) ps->p++;
}

static int is_ident_start(char c) { return isalpha((unsigned char)c) || c == '_'; }
static int is_ident_char(char c) { return isalnum((unsigned char)c) || c == '_'; }

/* Peeks the identifier at the cursor (len 0 if none). */
static token peek_ident(parser *ps) {
  skip_space(ps);
  token t = {ps->p, 0};
  if (is_ident_start(*ps->p))
    while (is_ident_char(t.start[t.len])) t.len++;
  return t;
}

static int tok_is(token t, const char *word) {
  return t.len == strlen(word) && strncmp(t.start, word, t.len) == 0;
}

static int accept(parser *ps, const char *punct) {
  skip_space(ps);
  size_t n = strlen(punct);
  if (strncmp(ps->p, punct, n) != 0) return 0;
  ps->p += n;
  return 1;
}

/* ---- types ------------------------------------------------------------- */

typedef struct spec {
  int sign, unsign, shorts, longs, ints, chars, floats, doubles, voids, bools;
  int consts;
  int fixed;            /* a typedef name was given */
  dl_type type;         /* for typedef names */
  int any;              /* any specifier seen */
} spec;

static const struct {
  const char *name;
  uint8_t kind, size;
} typedefs[] = {
    {"int8_t", DL_SINT, 1},     {"int16_t", DL_SINT, 2},
    {"int32_t", DL_SINT, 4},    {"int64_t", DL_SINT, 8},
    {"uint8_t", DL_UINT, 1},    {"uint16_t", DL_UINT, 2},
    {"uint32_t", DL_UINT, 4},   {"uint64_t", DL_UINT, 8},
    {"size_t", DL_UINT, sizeof(size_t)},
    {"ssize_t", DL_SINT, sizeof(size_t)},
    {"intptr_t", DL_SINT, sizeof(intptr_t)},
    {"uintptr_t", DL_UINT, sizeof(uintptr_t)},
    {"ptrdiff_t", DL_SINT, sizeof(ptrdiff_t)},
    {"off_t", DL_SINT, 8},      {"intmax_t", DL_SINT, 8},
    {"uintmax_t", DL_UINT, 8},
};

static void set_type(dl_type *t, int kind, int size, const char *name) {
  t->kind = (uint8_t)kind;
  t->size = (uint8_t)size;
  size_t n = strnlen(name, sizeof t->name - 1); /* long names are cut */
  memcpy(t->name, name, n);
  t->name[n] = '\0';
}

/* Consumes one specifier word; 1 if it was one, 0 if not, -1 error. */
static int specifier(parser *ps, spec *s) {
  token t = peek_ident(ps);
  if (t.len == 0) return 0;
#define KW(word, field) \
  if (tok_is(t, word)) { s->field++; s->any = 1; ps->p += t.len; return 1; }
  KW("signed", sign) KW("unsigned", unsign) KW("short", shorts)
  KW("long", longs) KW("int", ints) KW("char", chars) KW("float", floats)
  KW("double", doubles) KW("void", voids) KW("_Bool", bools) KW("bool", bools)
#undef KW
  if (tok_is(t, "const")) { s->consts++; ps->p += t.len; return 1; }
  if (tok_is(t, "volatile") || tok_is(t, "restrict") ||
      tok_is(t, "__restrict")) { ps->p += t.len; return 1; }
  if (tok_is(t, "struct") || tok_is(t, "union") || tok_is(t, "enum")) {
    if (s->any) return fail(ps, "unexpected '%s'", tok_is(t, "enum") ? "enum" : "struct");
    int is_enum = tok_is(t, "enum");
    ps->p += t.len;
    token tag = peek_ident(ps);
    if (tag.len == 0) return fail(ps, "expected a %s tag", is_enum ? "enum" : "struct");
    ps->p += tag.len;
    char name[64];
    snprintf(name, sizeof name, "%.*s %.*s", (int)t.len, t.start,
             (int)(tag.len < 40 ? tag.len : 40), tag.start);
    s->fixed = 1;
    s->any = 1;
    /* A struct is only usable through a pointer: checked after the stars. */
    set_type(&s->type, is_enum ? DL_SINT : DL_VOID, is_enum ? 4 : 0, name);
    if (!is_enum) s->type.size = 0xff; /* marks "struct by value" */
    return 1;
  }
  if (s->any) return 0; /* a name after the type */
  for (size_t i = 0; i < sizeof typedefs / sizeof typedefs[0]; i++)
    if (tok_is(t, typedefs[i].name)) {
      set_type(&s->type, typedefs[i].kind, typedefs[i].size, typedefs[i].name);
      s->fixed = 1;
      s->any = 1;
      ps->p += t.len;
      return 1;
    }
  /* Any other name used through a pointer is an opaque type: FILE *,
   * sqlite3 *, z_stream *. By value it stays an unknown type. */
  const char *after = t.start + t.len;
  while (isspace((unsigned char)*after)) after++;
  if (*after == '*' && t.len < 40) {
    char name[48];
    snprintf(name, sizeof name, "%.*s", (int)t.len, t.start);
    set_type(&s->type, DL_VOID, 0, name);
    s->type.size = 0xfe; /* marks "opaque: pointers only" */
    s->fixed = 1;
    s->any = 1;
    ps->p += t.len;
    return 1;
  }
  return 0;
}

/* Resolves counted keywords to a base type. */
static int base_type(parser *ps, spec *s, dl_type *t) {
  int words = s->sign + s->unsign + s->shorts + s->longs + s->ints + s->chars +
              s->floats + s->doubles + s->voids + s->bools;
  if (s->fixed) {
    if (words) return fail(ps, "%s", "a typedef name combined with other type words");
    *t = s->type;
    return 0;
  }
  if (s->sign && s->unsign) return fail(ps, "%s", "both signed and unsigned");
  if (s->voids) {
    if (words > 1) return fail(ps, "%s", "void combined with other type words");
    set_type(t, DL_VOID, 0, "void");
    return 0;
  }
  if (s->bools) {
    if (words > 1) return fail(ps, "%s", "bool combined with other type words");
    set_type(t, DL_BOOL, 1, "bool");
    return 0;
  }
  if (s->floats) {
    if (words > 1) return fail(ps, "%s", "float combined with other type words");
    set_type(t, DL_FLOAT, 4, "float");
    return 0;
  }
  if (s->doubles) {
    if (s->longs) return fail(ps, "%s", "long double is not supported");
    if (words > 1) return fail(ps, "%s", "double combined with other type words");
    set_type(t, DL_DOUBLE, 8, "double");
    return 0;
  }
  int kind = s->unsign ? DL_UINT : DL_SINT;
  const char *u = s->unsign ? "unsigned " : "";
  char name[30];
  if (s->chars) {
    if (s->chars > 1 || s->shorts || s->longs || s->ints)
      return fail(ps, "%s", "char combined with other type words");
    if (!s->sign && !s->unsign) {
      set_type(t, CHAR_MIN < 0 ? DL_SINT : DL_UINT, 1, "char");
      return 0;
    }
    set_type(t, kind, 1, s->unsign ? "unsigned char" : "signed char");
    return 0;
  }
  if (s->ints > 1 || s->shorts > 1 || s->longs > 2 || (s->shorts && s->longs))
    return fail(ps, "%s", "invalid combination of type words");
  if (s->shorts) {
    snprintf(name, sizeof name, "%sshort", u);
    set_type(t, kind, sizeof(short), name);
  } else if (s->longs == 2) {
    snprintf(name, sizeof name, "%slong long", u);
    set_type(t, kind, sizeof(long long), name);
  } else if (s->longs == 1) {
    snprintf(name, sizeof name, "%slong", u);
    set_type(t, kind, sizeof(long), name);
  } else if (s->ints || s->sign || s->unsign) {
    set_type(t, kind, sizeof(int), s->unsign ? "unsigned int" : "int");
  } else {
    return -2; /* no type words at all */
  }
  return 0;
}

/* type := specifiers {'*' {qualifier}} */
static int parse_type(parser *ps, dl_type *t) {
  spec s;
  memset(&s, 0, sizeof s);
  int r;
  while ((r = specifier(ps, &s)) == 1) {}
  if (r < 0) return -1;
  r = base_type(ps, &s, t);
  if (r == -2) {
    token bad = peek_ident(ps);
    if (bad.len) {
      char word[64];
      snprintf(word, sizeof word, "%.*s", (int)(bad.len < 60 ? bad.len : 60), bad.start);
      return fail(ps, "unknown type '%s'", word);
    }
    return fail(ps, "%s", "expected a type");
  }
  if (r < 0) return -1;
  int stars = 0;
  for (;;) {
    if (accept(ps, "*")) {
      stars++;
      continue;
    }
    token q = peek_ident(ps);
    if (stars && (tok_is(q, "const") || tok_is(q, "volatile") ||
                  tok_is(q, "restrict") || tok_is(q, "__restrict"))) {
      ps->p += q.len;
      continue;
    }
    break;
  }
  if (stars == 0) {
    if (t->size == 0xff) return fail(ps, "%s passed by value is not supported", t->name);
    if (t->size == 0xfe) return fail(ps, "unknown type '%s'", t->name);
    return 0;
  }
  if (stars == 1 && s.consts && !s.fixed && s.chars && !s.sign && !s.unsign) {
    set_type(t, DL_STRING, sizeof(void *), "const char *");
    return 0;
  }
  char name[64];
  snprintf(name, sizeof name, "%s *", t->name);
  set_type(t, DL_PTR, sizeof(void *), name);
  return 0;
}

/* Skips a parenthesised parameter list, nested parentheses included. */
static int skip_group(parser *ps) {
  int depth = 0;
  for (; *ps->p; ps->p++) {
    if (*ps->p == '(') depth++;
    if (*ps->p == ')' && --depth == 0) {
      ps->p++;
      return 0;
    }
  }
  return fail(ps, "%s", "unbalanced parentheses");
}

/* A function pointer declarator "(*name)(params)": the parameter becomes a
 * pointer (a callback's code, dynlib.callback's ptr). */
static int function_pointer(parser *ps, dl_type *t, char *name, size_t size) {
  ps->p++; /* ( */
  if (!accept(ps, "*")) return fail(ps, "%s", "function types are not supported (declare a pointer: (*name)(...))");
  token n = peek_ident(ps);
  if (n.len >= size) return fail(ps, "%s", "name too long");
  memcpy(name, n.start, n.len);
  name[n.len] = '\0';
  ps->p += n.len;
  if (!accept(ps, ")")) return fail(ps, "%s", "expected ')'");
  skip_space(ps);
  if (*ps->p != '(') return fail(ps, "%s", "expected '(' after a function pointer");
  if (skip_group(ps) != 0) return -1;
  set_type(t, DL_PTR, sizeof(void *), "function pointer");
  return 0;
}

/* An optional declarator name; refuses arrays. */
static int declarator(parser *ps, dl_type *t, char *name, size_t size) {
  skip_space(ps);
  if (*ps->p == '(' && t != NULL) return function_pointer(ps, t, name, size);
  token n = peek_ident(ps);
  if (n.len) {
    if (n.len >= size) return fail(ps, "%s", "name too long");
    memcpy(name, n.start, n.len);
    name[n.len] = '\0';
    ps->p += n.len;
  }
  if (accept(ps, "[")) return fail(ps, "%s", "arrays are not supported (pass a pointer)");
  return 0;
}

static int params(parser *ps, dl_sig *sig) {
  if (accept(ps, ")")) return 0;
  const char *save = ps->p;
  token t = peek_ident(ps);
  if (tok_is(t, "void")) {
    ps->p += t.len;
    if (accept(ps, ")")) return 0;
    ps->p = save;
  }
  for (;;) {
    if (accept(ps, "...")) {
      sig->variadic = 1;
      if (!accept(ps, ")")) return fail(ps, "%s", "expected ')' after '...'");
      return 0;
    }
    if (sig->nargs == DL_MAX_ARGS) return fail(ps, "more than %s parameters", "32");
    dl_type *a = &sig->args[sig->nargs];
    if (parse_type(ps, a) != 0) return -1;
    char pname[DL_NAME_MAX];
    if (declarator(ps, a, pname, sizeof pname) != 0) return -1;
    if (a->kind == DL_VOID) return fail(ps, "%s", "a parameter cannot be void");
    sig->nargs++;
    if (accept(ps, ")")) return 0;
    if (!accept(ps, ",")) return fail(ps, "%s", "expected ',' or ')'");
  }
}

void dl_type_range(const dl_type *t, int64_t *lo, int64_t *hi) {
  *lo = INT64_MIN;
  *hi = INT64_MAX;
  if ((t->kind != DL_SINT && t->kind != DL_UINT) || t->size >= 8) return;
  int bits = t->size * 8;
  if (t->kind == DL_SINT) {
    *lo = -((int64_t)1 << (bits - 1));
    *hi = ((int64_t)1 << (bits - 1)) - 1;
  } else {
    *lo = 0;
    *hi = ((int64_t)1 << bits) - 1;
  }
}

int dl_sig_parse(const char *proto, const char *name, dl_sig *out,
                 char *errbuf, size_t errsize) {
  parser ps = {proto, proto, errbuf, errsize, 0};
  memset(out, 0, sizeof *out);
  if (parse_type(&ps, &out->ret) != 0) return -1;
  if (declarator(&ps, NULL, out->name, sizeof out->name) != 0) return -1;
  if (name != NULL) {
    if (out->name[0] != '\0')
      return fail(&ps, "%s", "the prototype names the function twice");
    /* Never cut a name short: dlsym would resolve another symbol. */
    if (strlen(name) >= sizeof out->name)
      return fail(&ps, "%s", "function name too long (255 bytes at most)");
    snprintf(out->name, sizeof out->name, "%s", name);
  }
  if (!accept(&ps, "(")) return fail(&ps, "%s", "expected '('");
  if (params(&ps, out) != 0) return -1;
  accept(&ps, ";");
  skip_space(&ps);
  if (*ps.p != '\0') return fail(&ps, "%s", "unexpected text after ')'");
  return 0;
}
