/*
 * base.c - the base types as the compiler building this library lays them
 * out: sizes from sizeof, alignments as members of a struct (i386 aligns
 * double and long long to 4 there, though _Alignof may say 8), char's
 * signedness, and which base type each <stdint.h>/<stddef.h> name is
 * (_Generic picks it). Every cross build gets its target's numbers.
 */
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "ctype/cint.h"

#define FIELD_ALIGN(T) offsetof(struct { char c; T x; }, x)
#define BASE(name, kind, flags, T) \
  {name, kind, flags, sizeof(T), FIELD_ALIGN(T)}
#define CHAR_FLAGS (CHAR_MIN == 0 ? DL_CF_UNSIGNED : 0)

const dl_cbase dl_cbases[] = {
    {"void", DL_C_VOID, 0, 0, 1},
    BASE("_Bool", DL_C_BOOL, DL_CF_UNSIGNED, _Bool),
    BASE("char", DL_C_INT, CHAR_FLAGS, char),
    BASE("signed char", DL_C_INT, 0, signed char),
    BASE("unsigned char", DL_C_INT, DL_CF_UNSIGNED, unsigned char),
    BASE("short", DL_C_INT, 0, short),
    BASE("unsigned short", DL_C_INT, DL_CF_UNSIGNED, unsigned short),
    BASE("int", DL_C_INT, 0, int),
    BASE("unsigned int", DL_C_INT, DL_CF_UNSIGNED, unsigned int),
    BASE("long", DL_C_INT, 0, long),
    BASE("unsigned long", DL_C_INT, DL_CF_UNSIGNED, unsigned long),
    BASE("long long", DL_C_INT, 0, long long),
    BASE("unsigned long long", DL_C_INT, DL_CF_UNSIGNED, unsigned long long),
    BASE("float", DL_C_FLOAT, 0, float),
    BASE("double", DL_C_DOUBLE, 0, double),
    BASE("long double", DL_C_LDOUBLE, 0, long double),
#if defined(__SIZEOF_INT128__)
    BASE("__int128", DL_C_INT, 0, __int128),
    BASE("unsigned __int128", DL_C_INT, DL_CF_UNSIGNED, unsigned __int128),
#endif
#if defined(__SIZEOF_FLOAT128__) && !defined(__clang__)
    BASE("_Float128", DL_C_LDOUBLE, 0, __float128),
#elif defined(__aarch64__)
    BASE("_Float128", DL_C_LDOUBLE, 0, long double),
#else
    /* compilers that cannot say: glibc's headers only name it where it
     * exists, as a 16-byte IEEE quad */
    {"_Float128", DL_C_LDOUBLE, 0, 16, 16},
#endif
    /* an opaque array of the target's size: cdef text only passes it on */
    {"__builtin_va_list", DL_C_ARRAY, 0, sizeof(va_list), FIELD_ALIGN(va_list)},
};
const size_t dl_ncbases = sizeof dl_cbases / sizeof dl_cbases[0];

const uint32_t dl_cptr_size = sizeof(void *);
const uint32_t dl_cptr_align = FIELD_ALIGN(void *);
const uint32_t dl_cmax_align = _Alignof(max_align_t);

#define TNAME(T)                                                             \
  _Generic((T)0, char: "char", signed char: "signed char",                   \
           unsigned char: "unsigned char", short: "short",                   \
           unsigned short: "unsigned short", int: "int",                     \
           unsigned int: "unsigned int", long: "long",                       \
           unsigned long: "unsigned long", long long: "long long",           \
           unsigned long long: "unsigned long long", default: "int")

/* Names that are another base type here. */
const dl_calias dl_caliases[] = {
    {"int8_t", TNAME(int8_t)},       {"uint8_t", TNAME(uint8_t)},
    {"int16_t", TNAME(int16_t)},     {"uint16_t", TNAME(uint16_t)},
    {"int32_t", TNAME(int32_t)},     {"uint32_t", TNAME(uint32_t)},
    {"int64_t", TNAME(int64_t)},     {"uint64_t", TNAME(uint64_t)},
    {"intptr_t", TNAME(intptr_t)},   {"uintptr_t", TNAME(uintptr_t)},
    {"intmax_t", TNAME(intmax_t)},   {"uintmax_t", TNAME(uintmax_t)},
    {"size_t", TNAME(size_t)},       {"ptrdiff_t", TNAME(ptrdiff_t)},
    {"wchar_t", TNAME(wchar_t)},     {"bool", "_Bool"},
    {"_Float32", "float"},           {"_Float64", "double"},
    {"_Float32x", "double"},         {"_Float64x", "long double"},
    {"__float128", "_Float128"},     {"_Float128", "_Float128"},
    {"__builtin_va_list", "__builtin_va_list"},
};
const size_t dl_ncaliases = sizeof dl_caliases / sizeof dl_caliases[0];
