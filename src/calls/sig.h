/*
 * sig.h - C prototypes ("int add(int a, int b)") parsed into a compact
 * signature that the call paths (call.c) and the binding's conversions use.
 */
#ifndef DYNLIB_SIG_H
#define DYNLIB_SIG_H

#include <stddef.h>
#include <stdint.h>

#define DL_MAX_ARGS 32
#define DL_NAME_MAX 256 /* C++ mangled names run long */

typedef enum dl_kind {
  DL_VOID,
  DL_BOOL,
  DL_SINT,   /* signed integer of `size` bytes */
  DL_UINT,   /* unsigned integer of `size` bytes */
  DL_FLOAT,
  DL_DOUBLE,
  DL_STRING, /* const char *: a Lua string in, a copied string out */
  DL_PTR     /* any other pointer: light userdata, nil for NULL */
} dl_kind;

typedef struct dl_type {
  uint8_t kind; /* dl_kind */
  uint8_t size; /* bytes */
  char name[30]; /* as C spells it, for messages: "uint8_t", "unsigned int" */
} dl_type;

typedef struct dl_sig {
  char name[DL_NAME_MAX]; /* the function's name, "" when not given */
  dl_type ret;
  int nargs;
  int variadic;
  dl_type args[DL_MAX_ARGS];
} dl_sig;

/* The values a C integer type takes, as 64-bit integers: its range, or
 * every 64-bit value for 64-bit types (unsigned ones as two's complement)
 * and for non-integer types. */
void dl_type_range(const dl_type *t, int64_t *lo, int64_t *hi);

/* Parses a prototype. `name` (may be NULL) is the function name for the
 * two-argument form ("add", "int(int, int)"); the prototype then has no
 * name of its own. Returns 0, or -1 with a message naming the position and
 * what was expected (or the unsupported type) in errbuf. */
int dl_sig_parse(const char *proto, const char *name, dl_sig *out,
                 char *errbuf, size_t errsize);

#endif
