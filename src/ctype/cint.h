/*
 * cint.h - what the ctype layer's files share: the registry's storage, the
 * token stream, the parser's state. Not used outside src/ctype/.
 */
#ifndef DYNLIB_CTYPE_CINT_H
#define DYNLIB_CTYPE_CINT_H

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>

#include "base/internal.h"
#include "ctype/ctype.h"

/* A growable array of fixed-size records. */
typedef struct dl_vec {
  void *data;
  size_t len, cap, elem;
} dl_vec;

int dl_vec_push(dl_vec *v, const void *rec); /* 0, or -1 out of memory */
void dl_vec_free(dl_vec *v);
#define DL_VEC_AT(v, T, i) (((T *)(v).data)[i])

/* Open-addressed set of 1-based record indexes; the owner hashes and
 * compares (records live in the owner's arrays, so a rollback truncates
 * the arrays and rebuilds the sets from them). */
typedef struct dl_hset {
  uint32_t *slot;
  size_t cap, used;
} dl_hset;

/* Namespaces of declared names. */
enum { DL_NS_ORD, DL_NS_TAG };
/* What an ordinary name is. */
enum { DL_SYM_TYPEDEF, DL_SYM_CONST, DL_SYM_FUNC, DL_SYM_VAR, DL_SYM_TAG };

typedef struct dl_csym {
  uint32_t name; /* string id */
  uint8_t ns, what;
  dl_ctid type;
  int64_t value;  /* constant's value; function's index in funcs */
} dl_csym;

typedef struct dl_cundo {
  dl_ctid id;
  dl_ctype old;
} dl_cundo;

struct dl_creg {
  dl_vec types;   /* dl_ctype; [0] unused */
  dl_vec members; /* dl_cmember */
  dl_vec strs;    /* char: NUL-terminated strings back to back; id = offset */
  dl_vec syms;    /* dl_csym */
  dl_vec funcs;   /* dl_cfunc */
  dl_vec undo;    /* dl_cundo: types changed in place by this dl_cdef */
  dl_hset str_set, type_set, sym_set;
  dl_ctid builtin[40];
  uint32_t builtin_name[40];
  int nbuiltin;
  int in_txn;
};

/* Strings: the id of `s` (interned), 0 when out of memory. */
uint32_t dl_creg_intern(dl_creg *reg, const char *s, size_t len);
/* The id of an interned string, or 0 if it is none. */
uint32_t dl_creg_find_str(const dl_creg *reg, const char *s, size_t len);

/* A type like `t` (members for functions: count from `mem`), interned;
 * 0 when out of memory. */
dl_ctid dl_creg_intern_type(dl_creg *reg, const dl_ctype *t,
                            const dl_cmember *mem);
/* A new type that is never merged with another (struct, union, enum). */
dl_ctid dl_creg_new_type(dl_creg *reg, const dl_ctype *t);
/* Replaces type id's record (completing a struct), logged for rollback;
 * its const variants follow. -1 when out of memory. */
int dl_creg_set_type(dl_creg *reg, dl_ctid id, const dl_ctype *t);
/* Appends members; the index of the first, or UINT32_MAX. */
uint32_t dl_creg_add_members(dl_creg *reg, const dl_cmember *m, size_t n);

const dl_csym *dl_creg_sym(const dl_creg *reg, int ns, uint32_t name);
int dl_creg_add_sym(dl_creg *reg, const dl_csym *s);
int dl_creg_add_func(dl_creg *reg, const dl_cfunc *f, uint32_t *index);

/* Transactions: begin records the sizes, rollback returns to them. */
typedef struct dl_cmark {
  size_t types, members, strs, syms, funcs;
} dl_cmark;
void dl_creg_begin(dl_creg *reg, dl_cmark *m);
void dl_creg_rollback(dl_creg *reg, const dl_cmark *m);
void dl_creg_commit(dl_creg *reg);

/* Base types: sizes and alignments as this compiler lays them out. */
typedef struct dl_cbase {
  const char *name;
  uint8_t kind, flags;
  uint32_t size, align;
} dl_cbase;
extern const dl_cbase dl_cbases[];
extern const size_t dl_ncbases;
/* Names that are typedefs of a base type on this target (int64_t, size_t;
 * their base types found by _Generic). */
typedef struct dl_calias {
  const char *name, *base;
} dl_calias;
extern const dl_calias dl_caliases[];
extern const size_t dl_ncaliases;
/* Data pointers on this target. */
extern const uint32_t dl_cptr_size, dl_cptr_align;
/* The largest alignment (__attribute__((aligned)) without a number). */
extern const uint32_t dl_cmax_align;

/* ---- tokens (lex.c) ---- */
enum {
  DL_T_EOF,
  DL_T_IDENT,
  DL_T_INT,    /* value in .ival */
  DL_T_FLOAT,  /* only skipped */
  DL_T_STRING, /* "..." (raw, with quotes) */
  DL_T_CHAR,   /* '...', value in .ival */
  DL_T_PUNCT,  /* .p: the punctuator, up to 3 chars */
  DL_T_PRAGMA  /* #pragma pack(...) (lex_pragma says how it is kept) */
};

typedef struct dl_ctok {
  uint8_t kind;
  uint8_t unsig; /* integer literal with a u suffix */
  char p[4];
  const char *s;
  uint32_t len;
  int line, col;
  uint64_t ival;
} dl_ctok;

/* Splits text into tokens ending with DL_T_EOF; skips comments and
 * preprocessor lines ("# 1 file"). 0, or -1 with err set. *out is
 * malloc'd. */
int dl_clex(const char *text, size_t len, dl_ctok **out, size_t *n,
            dl_cerr *err);

/* ---- layout (layout.c) ---- */
typedef struct dl_cfield {
  uint32_t name;
  dl_ctid type;
  int bits;      /* -1: not a bit-field */
  uint32_t align_attr; /* aligned(N) on the member, 0 none */
  int packed;    /* packed on the member */
  const dl_ctok *where; /* for errors */
} dl_cfield;

/* Lays out a struct or union of n fields into out (n members) and t's
 * size, align, flags. The aggregate's own packed/aligned come in t
 * (DL_CF_PACKED) and `align_attr`; `pack` is #pragma pack's (0: none). 0, or -1 with a message in msg and
 * the index of the field at fault in *bad. */
int dl_clayout(const dl_creg *reg, dl_ctype *t, uint32_t align_attr,
               uint32_t pack, const dl_cfield *f, size_t n, dl_cmember *out,
               size_t *bad, char *msg, size_t msgsize);

/* ---- parser (decl.c, expr.c) ---- */
typedef struct dl_cparse {
  dl_creg *reg;
  dl_vec scratch; /* dl_cmember: parameter lists being read (a stack) */
  dl_vec fields;  /* dl_cfield: members of structs being read (a stack) */
  dl_ctok *tok;
  size_t ntok, pos;
  dl_cerr *err;
  int depth; /* nesting of declarators and expressions, bounded */
  uint32_t pack;       /* #pragma pack's alignment now; 0: none */
  uint32_t pack_stack[16];
  int npack;
  /* Type names inside expressions (sizeof, casts): decl.c's, passed in
   * so that expr.c stays below it. */
  dl_ctid (*type_name)(struct dl_cparse *p);
  int (*starts_type)(struct dl_cparse *p, size_t i);
  jmp_buf fail;
} dl_cparse;

#define DL_CDEPTH 200

/* Raises a parse error at token t (longjmp to p->fail). */
_Noreturn void dl_cfail(dl_cparse *p, const dl_ctok *t, const char *fmt, ...)
    DL_PRINTF(3, 4);
int dl_cis(const dl_ctok *t, const char *punct);
int dl_cword(const dl_ctok *t, const char *word);
/* A constant integer expression at p->pos (conditional-expression). */
int64_t dl_cexpr(dl_cparse *p);
/* Is the token at i the start of a type name (specifier, qualifier, or a
 * typedef name)? */
int dl_cstarts_type(dl_cparse *p, size_t i);
/* A type name (specifiers and abstract declarator). */
dl_ctid dl_ctypename(dl_cparse *p);

#endif
