/*
 * ffi_struct.h - libffi types for declared C types (ctype/), for calls
 * that pass or return structs and unions by value.
 *
 * libffi has no unions and lays structs out itself, naturally aligned, so
 * a struct is not described member by member. Instead each aggregate
 * becomes an ffi_type with the compiler's size and alignment preset and
 * elements chosen so that libffi classifies it as the target's ABI does:
 * per eightbyte INTEGER or SSE on x86-64 System V, a homogeneous float
 * aggregate or not on AArch64, and only size and alignment elsewhere
 * (i386 and Win64 pass aggregates by size). Unions, bit-fields, packed
 * layouts and nested arrays all reduce to that.
 */
#ifndef DYNLIB_FFI_STRUCT_H
#define DYNLIB_FFI_STRUCT_H

#include <ffi.h>

#include "ctype/ctype.h"

/* Built types, cached per type id; one per registry. */
typedef struct dl_ffi_cache dl_ffi_cache;

dl_ffi_cache *dl_ffi_cache_new(void); /* NULL when out of memory */
void dl_ffi_cache_free(dl_ffi_cache *cache);

/* The libffi type of a value of type `id` passed or returned by value:
 * libffi's own for scalars (an enum as its integer type, an array as the
 * pointer it decays to), a built one for a struct or union (the same
 * pointer every time, valid until the cache is freed). NULL with a message
 * for what cannot travel by value: incomplete types, long double, flexible
 * array members, functions, aggregates over 64 KiB, and on x86-64 packed
 * structs with misaligned members (the ABI passes them in memory, which
 * libffi cannot be told). */
ffi_type *dl_ffi_ctype(dl_ffi_cache *cache, const dl_creg *reg, dl_ctid id,
                       char *err, size_t errsize);

#endif
