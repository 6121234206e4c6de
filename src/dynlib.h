/*
 * dynlib.h - the dynlib core: find, check, load and unload native shared
 * libraries through one process-wide, reference-counted store.
 *
 * The core knows nothing of Lua; the Lua binding (lua_*.c) sits on top of it.
 * Every function that can fail takes a dynlib_error * (may be NULL) and fills
 * it with a code and a message naming the file and the reason.
 */
#ifndef DYNLIB_H
#define DYNLIB_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Exported from libdynlib (the build defines DYNLIB_BUILDING); callers
 * need no annotation: on Windows the import library resolves them. */
#if defined(_WIN32) && defined(DYNLIB_BUILDING)
#define DYNLIB_API __declspec(dllexport)
#elif defined(__GNUC__) && !defined(_WIN32)
#define DYNLIB_API __attribute__((visibility("default")))
#else
#define DYNLIB_API
#endif

#define DYNLIB_VERSION "0.1.0"
/* ABI version of the plugin interface (dynlib_plugin.h); plugins record it. */
#define DYNLIB_ABI_VERSION 1

typedef enum dynlib_code {
  DYNLIB_OK = 0,
  DYNLIB_E_NOT_FOUND,     /* "not_found": no candidate file exists */
  DYNLIB_E_NOT_A_LIBRARY, /* "not_a_library": exists, but not a shared library */
  DYNLIB_E_WRONG_ARCH,    /* "wrong_arch": ELF for another class/order/machine */
  DYNLIB_E_DEBUG_FILE,    /* "debug_file": separate debug info, not loadable */
  DYNLIB_E_UNTRUSTED,     /* "untrusted": outside the trusted directories */
  DYNLIB_E_LOAD_FAILED,   /* "load_failed": dlopen refused it */
  DYNLIB_E_NO_SYMBOL,     /* "no_symbol" */
  DYNLIB_E_BAD_METADATA,  /* "bad_metadata" */
  DYNLIB_E_NO_METADATA,   /* "no_metadata" */
  DYNLIB_E_CLOSED,        /* "closed": the handle was closed */
  DYNLIB_E_IO,            /* "io": read error, out of memory, ... */
  DYNLIB_E_INVALID        /* "invalid": misuse (the binding raises on it) */
} dynlib_code;

#define DYNLIB_MSG_MAX 512

typedef struct dynlib_error {
  dynlib_code code;
  char msg[DYNLIB_MSG_MAX];
} dynlib_error;

/* The short name of a code ("not_found", ...); never NULL. */
DYNLIB_API const char *dynlib_code_name(dynlib_code code);

/* Load hints (docs/design.md section 2). The default, 0, is RTLD_NOW | RTLD_LOCAL. */
enum {
  DYNLIB_LAZY = 1 << 0,     /* RTLD_LAZY instead of RTLD_NOW */
  DYNLIB_GLOBAL = 1 << 1,   /* RTLD_GLOBAL */
  DYNLIB_NODELETE = 1 << 2, /* RTLD_NODELETE: never unmapped */
  DYNLIB_DEEPBIND = 1 << 3  /* RTLD_DEEPBIND */
};

typedef struct dynlib_options {
  unsigned hints;          /* DYNLIB_LAZY | ... */
  const char *version;     /* NULL, or "1", "1.2": libNAME.so.1, .so.1.2 */
  const char *const *trusted; /* NULL, or NULL-terminated trusted dirs */
} dynlib_options;

/* ---- names and search (names.c) ---------------------------------------- */

/* A NULL-terminated list of strings in one allocation: free() it once. */
typedef char **dynlib_strv;

/* The file names open() would try for `name`, in order (docs/design.md section 3),
 * without directories for bare names. NULL on out-of-memory. */
DYNLIB_API dynlib_strv dynlib_candidates(const char *name, const char *version);

/* True when `file` (a base name or a path) looks like a shared library by
 * name: libfoo.so, libfoo.so.1.2, libc-2.7.so, liboil-0.3.so.0.1.0. */
DYNLIB_API int dynlib_is_library(const char *file);

/* The directories searched for bare names, in order: the dynlib path (set
 * below, initially DYNLIB_PATH), then LD_LIBRARY_PATH (not in secure mode),
 * then the system's default directories. dynlib_find consults ld.so.cache
 * after the dynlib path and LD_LIBRARY_PATH, before the default
 * directories. Free the result with free(). */
DYNLIB_API dynlib_strv dynlib_search_dirs(void);

/* Replace the dynlib path (a ':'-separated list; NULL resets to DYNLIB_PATH).
 * Returns 0, or -1 on out-of-memory. */
DYNLIB_API int dynlib_set_path(const char *colon_list);
/* The current dynlib path as a ':'-separated string; free() it. */
DYNLIB_API char *dynlib_get_path(void);

/* The file open() would load for `name`, without loading it: a malloc'd
 * real path, or NULL with err set (not_found, ...). Linker scripts are
 * followed. */
DYNLIB_API char *dynlib_find(const char *name, const char *version, dynlib_error *err);

/* ---- the store (store.c) ----------------------------------------------- */

typedef struct dynlib_handle dynlib_handle;

/* Open `name` (a path when it holds '/', else searched). Returns a new
 * handle (one more reference on the library's store entry), or NULL with err
 * set. The same file opened twice shares one entry and one OS handle. */
DYNLIB_API dynlib_handle *dynlib_open(const char *name, const dynlib_options *opt,
                           dynlib_error *err);

/* Resolve a symbol: NULL with err set (no_symbol, closed) when absent. A
 * symbol whose value is really NULL (rare: ifunc, absolute) is reported as
 * no_symbol too. */
DYNLIB_API void *dynlib_sym(dynlib_handle *h, const char *name, dynlib_error *err);

/* Close the handle now: it answers "closed" from then on. The library is
 * unloaded when its last handle closes. Closing twice is harmless. Returns
 * 1 when this was the library's last handle (dlclose was called), else 0. */
DYNLIB_API int dynlib_close(dynlib_handle *h);

/* Did opening this handle load the library (1), or find it in the store? */
DYNLIB_API int dynlib_was_loaded(const dynlib_handle *h);

/* Close (if open) and free the handle itself. */
DYNLIB_API void dynlib_free(dynlib_handle *h);

/* Handles in the caller's memory (no allocation per open; the Lua binding
 * keeps them inside its userdata): mem holds dynlib_handle_size() bytes,
 * aligned for a pointer. dynlib_release closes (if open) and lets go of
 * the handle; the memory stays the caller's. */
DYNLIB_API size_t dynlib_handle_size(void);
DYNLIB_API dynlib_handle *dynlib_open_in(void *mem, const char *name,
                                         const dynlib_options *opt,
                                         dynlib_error *err);
DYNLIB_API void dynlib_release(dynlib_handle *h);

DYNLIB_API int dynlib_is_open(const dynlib_handle *h);
/* The real path that was loaded (valid until dynlib_free/release). */
DYNLIB_API const char *dynlib_path(const dynlib_handle *h);
/* The OS handle (dlopen's), or NULL when closed. */
DYNLIB_API void *dynlib_os_handle(const dynlib_handle *h);

/* The plugin instance: calls the library's `dynlib_plugin_instance` once per
 * store entry (every thread and Lua state shares it) and caches the result
 * until the library is really unloaded. NULL with err set when the symbol is
 * missing (no_symbol) or the handle is closed. A NULL instance is allowed. */
DYNLIB_API void *dynlib_instance(dynlib_handle *h, dynlib_error *err);

typedef struct dynlib_entry_info {
  const char *path;
  unsigned long long dev, ino;
  int refs;        /* open handles */
  unsigned hints;  /* hints in effect (union of every open) */
  int has_instance;
} dynlib_entry_info;

/* Calls fn for each store entry, under the store lock: fn must not call
 * back into the store. Returns the number of entries. */
DYNLIB_API size_t dynlib_store_foreach(void (*fn)(const dynlib_entry_info *, void *),
                            void *ud);

/* Load hooks: told of every real load and unload (path). One slot each;
 * the callbacks run outside the store lock. */
typedef void (*dynlib_hook)(const char *event, const char *path, void *ud);
DYNLIB_API void dynlib_set_hook(dynlib_hook fn, void *ud);

/* Debug logging (DYNLIB_DEBUG=1, read once): 0/1. */
DYNLIB_API int dynlib_debug_enabled(void);
DYNLIB_API void dynlib_debug(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

#ifdef __cplusplus
}
#endif
#endif
