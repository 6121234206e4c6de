/*
 * ctype_api.c - the C interface of src/ctype/ (ctype.h) where Lua does not
 * reach it yet: declared functions (symbols, __asm__ labels, inline ones),
 * enum constants, C spellings of types, interning, const variants, and a
 * failed dl_cdef leaving every earlier id as it was. Prints one line per
 * failed check and "ok N" at the end; exits 1 on any failure.
 */
#include <stdio.h>
#include <string.h>

#include "ctype/ctype.h"

static int failures, checks;

#define CHECK(cond)                                                      \
  do {                                                                   \
    checks++;                                                            \
    if (!(cond)) {                                                       \
      failures++;                                                        \
      printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);             \
    }                                                                    \
  } while (0)

static dl_ctid parse(dl_creg *reg, const char *text) {
  dl_ctid id = 0;
  dl_cerr err;
  if (dl_ctype_parse(reg, text, strlen(text), &id, &err))
    printf("FAIL parse '%s': %s\n", text, err.msg), failures++;
  return id;
}

static int spelled(dl_creg *reg, const char *text, const char *want) {
  char buf[128];
  dl_ctype_name(reg, parse(reg, text), buf, sizeof buf);
  if (strcmp(buf, want) == 0) return 1;
  printf("  '%s' spells as '%s', not '%s'\n", text, buf, want);
  return 0;
}

static int cdef(dl_creg *reg, const char *text) {
  dl_cerr err;
  int r = dl_cdef(reg, text, strlen(text), &err);
  if (r) printf("  cdef: %s\n", err.msg);
  return r;
}

static void functions(dl_creg *reg) {
  CHECK(cdef(reg, "int f_add(int, int);\n"
                  "long f_real(long) __asm__(\"f_symbol\");\n"
                  "static inline int f_inl(int x) { return x; }\n"
                  "extern __inline __attribute__((__gnu_inline__)) int f_gnu(void) { return 1; }\n"
                  "int f_var(const char *, ...);") == 0);
  const dl_cfunc *f = dl_creg_func(reg, "f_add");
  CHECK(f && strcmp(dl_creg_str(reg, f->symbol), "f_add") == 0 && !f->is_inline);
  f = dl_creg_func(reg, "f_real");
  CHECK(f && strcmp(dl_creg_str(reg, f->symbol), "f_symbol") == 0);
  f = dl_creg_func(reg, "f_inl");
  CHECK(f && f->is_inline);
  f = dl_creg_func(reg, "f_gnu");
  CHECK(f && !f->is_inline); /* glibc's extern inline: the symbol exists */
  f = dl_creg_func(reg, "f_var");
  CHECK(f && (dl_creg_type(reg, f->type)->flags & DL_CF_VARIADIC));
  CHECK(f && dl_creg_type(reg, f->type)->count == 1);
  CHECK(dl_creg_func(reg, "f_none") == NULL);
  char buf[64];
  f = dl_creg_func(reg, "f_add");
  dl_ctype_name(reg, f->type, buf, sizeof buf);
  CHECK(strcmp(buf, "int (int, int)") == 0);
}

static void constants(dl_creg *reg) {
  CHECK(cdef(reg, "enum c_e { C_A = -2, C_B, C_C = 1LL << 40 };") == 0);
  int64_t v;
  dl_ctid t;
  CHECK(dl_creg_const(reg, "C_B", &v, &t) == 0 && v == -1);
  CHECK(dl_creg_const(reg, "C_C", &v, &t) == 0 && v == (int64_t)1 << 40);
  CHECK(t == parse(reg, "enum c_e"));
  CHECK(dl_creg_type(reg, t)->size == 8);
  CHECK(dl_creg_const(reg, "C_NONE", &v, &t) == -1);
}

static void names(dl_creg *reg) {
  CHECK(cdef(reg, "struct tm_like { int a; }; typedef int n_i32;") == 0);
  CHECK(spelled(reg, "struct tm_like *", "struct tm_like *"));
  CHECK(spelled(reg, "char[16]", "char[16]"));
  CHECK(spelled(reg, "int[?]", "int[?]"));
  CHECK(spelled(reg, "int (*)(int, int)", "int (*)(int, int)"));
  CHECK(spelled(reg, "const char *", "const char *"));
  CHECK(spelled(reg, "char *const", "char *const"));
  CHECK(spelled(reg, "const struct tm_like *", "const struct tm_like *"));
  CHECK(spelled(reg, "n_i32 **", "int **"));
  CHECK(spelled(reg, "void (*[3])(void)", "void (*[3])(void)"));
  CHECK(spelled(reg, "int (*)[4]", "int (*)[4]"));
  CHECK(spelled(reg, "unsigned long", "unsigned long"));
  CHECK(spelled(reg, "int (*)(const char *, ...)", "int (*)(const char *, ...)"));
}

static void interning(dl_creg *reg) {
  CHECK(parse(reg, "int *") == parse(reg, "int*"));
  CHECK(parse(reg, "int") == dl_creg_builtin(reg, "int"));
  CHECK(parse(reg, "int32_t") == dl_creg_builtin(reg, "int32_t"));
  CHECK(parse(reg, "char") != parse(reg, "signed char"));
  CHECK(parse(reg, "long") != parse(reg, "long long"));
  dl_ctid s = parse(reg, "struct tm_like");
  dl_ctid cs = parse(reg, "const struct tm_like");
  CHECK(cs != s && dl_ctype_qualified(reg, cs, 0) == s);
  CHECK(dl_ctype_qualified(reg, s, 1) == cs);
  CHECK(dl_creg_type(reg, cs)->size == 4);
  CHECK(dl_ctype_ptr(reg, s) == parse(reg, "struct tm_like *"));
  CHECK(dl_ctype_array(reg, s, 3) == parse(reg, "struct tm_like[3]"));
  /* a const variant made before the struct is complete follows it */
  dl_ctid late = parse(reg, "const struct i_late");
  CHECK(dl_creg_type(reg, late)->size == 0);
  CHECK(cdef(reg, "struct i_late { double d[2]; };") == 0);
  CHECK(dl_creg_type(reg, late)->size == 16);
  CHECK(dl_creg_type(reg, late)->flags & DL_CF_COMPLETE);
}

static void rollback(dl_creg *reg) {
  dl_ctid before = parse(reg, "struct r_s *");
  dl_ctid n = dl_creg_ntypes(reg);
  CHECK(cdef(reg, "struct r_s { int a; }; typedef int r_t; int r_f(void); bad;") != 0);
  CHECK(dl_creg_ntypes(reg) == n);
  CHECK(dl_creg_func(reg, "r_f") == NULL);
  CHECK(dl_creg_type(reg, dl_creg_type(reg, before)->base)->size == 0);
  CHECK(parse(reg, "struct r_s *") == before);
  dl_ctid b2 = dl_creg_builtin(reg, "r_t");
  CHECK(b2 == 0);
  CHECK(cdef(reg, "struct r_s { int a; }; typedef int r_t;") == 0);
  CHECK(dl_creg_type(reg, dl_creg_type(reg, before)->base)->size == 4);
}

static void fields(dl_creg *reg) {
  CHECK(cdef(reg, "struct fl { int a; union { struct { char b; int c : 4; }; double d; }; };") == 0);
  dl_cmember m;
  dl_ctid t = parse(reg, "struct fl");
  CHECK(dl_ctype_field(reg, t, "c", 1, &m) == 0 && m.bit_width == 4);
  CHECK(dl_ctype_field(reg, t, "d", 1, &m) == 0 && m.offset == dl_creg_type(reg, parse(reg, "double"))->align);
  CHECK(dl_ctype_field(reg, t, "zz", 2, &m) == -1);
}

int main(void) {
  dl_creg *reg = dl_creg_new();
  if (!reg) return 2;
  functions(reg);
  constants(reg);
  names(reg);
  interning(reg);
  rollback(reg);
  fields(reg);
  dl_creg_free(reg);
  printf("ok %d\n", checks - failures);
  return failures ? 1 : 0;
}
