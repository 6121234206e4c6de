/*
 * ctype.h - C types declared at run time (dynlib.cdef): a registry of
 * types parsed from C declarations, with each layout computed for the ABI
 * this library is built for (the compiler's sizes and alignments of the
 * base types; struct rules as the target's C compiler applies them).
 *
 * A registry belongs to one owner (the binding keeps one per Lua state):
 * no locking. Types are interned: the same type (kind, qualifiers, base,
 * count) always has the same id, so comparing ids compares types. Typedef
 * names are aliases and leave no trace in the type; tags name struct,
 * union and enum types.
 *
 * Layer: below calls/ (which builds libffi types from these) and above
 * base/; no Lua, no OS headers.
 */
#ifndef DYNLIB_CTYPE_H
#define DYNLIB_CTYPE_H

#include <stddef.h>
#include <stdint.h>

typedef uint32_t dl_ctid; /* a type's id in its registry; 0 is "no type" */

typedef enum dl_ckind {
  DL_C_VOID,
  DL_C_BOOL,
  DL_C_INT,     /* integer of `size` bytes; DL_CF_UNSIGNED says which */
  DL_C_FLOAT,
  DL_C_DOUBLE,
  DL_C_LDOUBLE, /* laid out, never converted: a clear error where used */
  DL_C_PTR,     /* base: the pointee */
  DL_C_ARRAY,   /* base: the element; count: elements (0 with DL_CF_VLA) */
  DL_C_STRUCT,  /* count members from `first` */
  DL_C_UNION,
  DL_C_ENUM,    /* base: the integer type it is laid out as */
  DL_C_FUNC     /* base: the result; count parameters from `first` */
} dl_ckind;

enum {
  DL_CF_UNSIGNED = 1 << 0,
  DL_CF_CONST = 1 << 1,    /* a const-qualified type ("const char") */
  DL_CF_COMPLETE = 1 << 2, /* struct/union/enum: its body was declared */
  DL_CF_VARIADIC = 1 << 3, /* function: ends in ... */
  DL_CF_VLA = 1 << 4,      /* array: "T[?]" (length given at new) or a
                              flexible array member "T[]" */
  DL_CF_PACKED = 1 << 5,   /* struct/union: __attribute__((packed)) */
  DL_CF_FLEX = 1 << 6      /* struct: ends in a flexible array member */
};

typedef struct dl_ctype {
  uint8_t kind;   /* dl_ckind */
  uint8_t flags;  /* DL_CF_* */
  uint16_t spare;
  uint32_t size;  /* bytes; 0 for void, functions, incomplete types */
  uint32_t align; /* bytes */
  dl_ctid base;
  uint32_t count;
  uint32_t first; /* index of the first member (dl_creg_member) */
  uint32_t name;  /* string id (dl_creg_str): a tag ("tm") for struct,
                     union, enum; a base type's spelling ("unsigned
                     long": "char" and "signed char" stay two types); for
                     opaque builtins laid out as arrays ("double _Complex",
                     "__builtin_va_list") their name; 0 otherwise */
} dl_ctype;

/* A struct or union member, or a function parameter. */
typedef struct dl_cmember {
  uint32_t name;       /* string id; 0 for anonymous members, parameters
                          without names */
  dl_ctid type;
  uint32_t offset;     /* bytes from the start of the aggregate; for a
                          bit-field, of the storage unit holding it (a
                          unit of its type's alignment; in a packed
                          aggregate the byte of its first bit, and then
                          bit_offset + bit_width may pass the type's
                          size: read up to 9 bytes) */
  uint8_t bit_offset;  /* bit-field: the first bit within the unit */
  uint8_t bit_width;   /* 0: not a bit-field */
  uint16_t spare;
} dl_cmember;

/* A declared function (a prototype in cdef text). */
typedef struct dl_cfunc {
  dl_ctid type;        /* DL_C_FUNC */
  uint32_t symbol;     /* string id: the symbol to look up (an __asm__
                          label, else the name) */
  int is_inline;       /* a static inline definition: not a symbol */
} dl_cfunc;

/* An error: message with the 1-based line and column it was found at. */
typedef struct dl_cerr {
  int line, column;
  char msg[256]; /* "line 3, column 14: unknown type 'uLongf'" */
} dl_cerr;

typedef struct dl_creg dl_creg;

dl_creg *dl_creg_new(void); /* NULL when out of memory */
void dl_creg_free(dl_creg *reg);

/* Declarations: typedef, struct/union/enum, function prototypes, and the
 * preprocessed output of system headers (GNU extensions understood or
 * skipped). Redeclaring a name with the same type is allowed, with another
 * an error naming both. On error nothing of `text` is kept. 0 or -1. */
int dl_cdef(dl_creg *reg, const char *text, size_t len, dl_cerr *err);

/* A type name as written in dynlib.new, cast, sizeof: "struct tm",
 * "int32_t *", "char[?]", "int (*)(int, int)". 0 or -1. */
int dl_ctype_parse(dl_creg *reg, const char *text, size_t len, dl_ctid *out,
                   dl_cerr *err);

/* One past the largest id given so far: ids run from 1 to this - 1. */
dl_ctid dl_creg_ntypes(const dl_creg *reg);

/* The type with id `id` (never NULL for an id the registry gave). */
const dl_ctype *dl_creg_type(const dl_creg *reg, dl_ctid id);
const dl_cmember *dl_creg_member(const dl_creg *reg, uint32_t index);
const char *dl_creg_str(const dl_creg *reg, uint32_t id); /* "" for 0 */

/* Derived types, interned: pointer to `base`, array of n (n < 0: "[?]"),
 * `base` with or without const. 0 when out of memory. */
dl_ctid dl_ctype_ptr(dl_creg *reg, dl_ctid base);
dl_ctid dl_ctype_array(dl_creg *reg, dl_ctid elem, int64_t n);
dl_ctid dl_ctype_qualified(dl_creg *reg, dl_ctid id, int is_const);

/* The size of a "[?]" array (or of a struct ending in a flexible array
 * member) holding n elements; -1 on overflow. */
int64_t dl_ctype_sizeof_n(const dl_creg *reg, dl_ctid id, int64_t n);

/* A member by name, searched through anonymous structs and unions; the
 * result's offset is from the start of `agg`. 0, or -1 if none. */
int dl_ctype_field(const dl_creg *reg, dl_ctid agg, const char *name,
                   size_t len, dl_cmember *out);

/* A declared function by name; NULL if none. */
const dl_cfunc *dl_creg_func(const dl_creg *reg, const char *name);
/* Calls fn(name, func, ud) for each declared function, in order. */
void dl_creg_each_func(const dl_creg *reg,
                       void (*fn)(const char *, const dl_cfunc *, void *),
                       void *ud);

/* An enum constant by name: 0 and its value (and its enum's type), or -1. */
int dl_creg_const(const dl_creg *reg, const char *name, int64_t *value,
                  dl_ctid *type);

/* C's spelling of a type ("struct tm *", "int (*)(int, int)", "char[16]"),
 * truncated to size; returns the length it needed. */
size_t dl_ctype_name(const dl_creg *reg, dl_ctid id, char *buf, size_t size);

/* The ids of the base types, always present ("int", "unsigned char",
 * "double", "void", and the <stdint.h>/<stddef.h> names). */
dl_ctid dl_creg_builtin(const dl_creg *reg, const char *name);

#endif
