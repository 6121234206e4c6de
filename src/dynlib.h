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

/* ---- reading files without loading them (info.c) ----------------------- */

/* Nothing here loads a file or runs its code. Results are allocated by
 * dynlib and freed by the matching *_free function (free functions take
 * NULL). Their structures only grow at the end, and `struct_size` says how
 * much of one this libdynlib filled in: a field past it is absent. Lists
 * are arrays of pointers, so their elements may grow too. */

/* A plugin's metadata (dynlib_plugin.h) as its JSON text: *json is a
 * malloc'd, NUL-terminated copy (free() it) of *len bytes (len may be
 * NULL). The text is at most 1 MiB, holds no NUL byte and is valid UTF-8;
 * whether it is valid JSON is the caller's business (dynlib has no JSON
 * parser). Returns 0, or -1 with err set: not_found, not_a_library,
 * no_metadata, bad_metadata (malformed record, over 1 MiB, not UTF-8), io.
 * ELF and PE files are told apart by their first bytes. */
DYNLIB_API int dynlib_metadata(const char *path, char **json, size_t *len,
                               dynlib_error *err);

typedef struct dynlib_meta {
  size_t struct_size;
  char *json;          /* NUL-terminated, valid UTF-8, at most 1 MiB */
  size_t length;       /* bytes of json */
  unsigned format;     /* the record's format (DYNLIB_NOTE_FORMAT) */
  unsigned abi;        /* DYNLIB_PLUGIN_ABI of the header it was built with */
  const char *source;  /* where it was found: "note", "section", "search" */
} dynlib_meta;

/* The same with the record's facts: 0 and a new *out (free it with
 * dynlib_meta_free), or -1 with *out NULL and err set. */
DYNLIB_API int dynlib_metadata_record(const char *path, dynlib_meta **out,
                                      dynlib_error *err);
DYNLIB_API void dynlib_meta_free(dynlib_meta *m);

typedef struct dynlib_export {
  const char *name;    /* NULL for a PE export by ordinal only */
  const char *kind;    /* "func", "object", "tls", "ifunc", "other";
                          PE: "func", "object", "forward" */
  const char *version; /* ELF: the symbol version, NULL when unversioned */
  int is_default;      /* ELF: name@@version (1) or hidden name@version (0) */
  unsigned ordinal;    /* PE: the export's ordinal (ELF: 0) */
  const char *forward; /* PE: "DLL.name" or "DLL.#12" for a forwarder */
} dynlib_export;

typedef struct dynlib_section {
  const char *name;
  const char *type;      /* ELF: "progbits", "dynsym", ..., "other";
                            PE: "progbits", or "nobits" without file bytes */
  const char *flags;     /* readelf's letters: "W", "A", "X" */
  uint64_t size;         /* bytes in memory (PE: the virtual size) */
  uint64_t offset;       /* in the file */
  uint64_t addr;         /* ELF: the address; PE: the RVA */
  uint64_t raw_size;     /* PE: bytes in the file (ELF: 0) */
  uint32_t type_number;  /* ELF: sh_type (PE: 0) */
  uint32_t characteristics; /* PE: the section's flags (ELF: sh_flags' low
                               32 bits) */
} dynlib_section;

typedef struct dynlib_inspection {
  size_t struct_size;
  const char *format;   /* "elf" or "pe" */
  int bits;             /* 32 or 64 (the class) */
  const char *endian;   /* "little" or "big" */
  const char *machine;  /* "x86_64", "i386", "aarch64", ...; NULL when the
                           number has no name here */
  unsigned machine_number; /* e_machine, or the COFF machine */
  const char *type;     /* ELF: "dyn", "exec", "rel", "core", "unknown";
                           PE: "dll", "exe" */
  int compatible;       /* this process could load it (class, order,
                           machine, format) */
  const char *const *needed; /* DT_NEEDED, or the imported DLLs, in order */
  size_t nneeded;
  const dynlib_section *const *sections;
  size_t nsections;
  const dynlib_export *const *exports;
  size_t nexports;
  /* ELF only (NULL, 0 for PE): */
  const char *soname, *interp;
  const char *build_id; /* the GNU build ID in hex */
  const char *const *rpath;   /* DT_RPATH split at ':' */
  size_t nrpath;
  const char *const *runpath; /* DT_RUNPATH split at ':' */
  size_t nrunpath;
  int pie;
  unsigned osabi;
  /* PE only (NULL, 0 for ELF): */
  const char *dll_name;  /* the export directory's own name */
  const char *subsystem; /* "windows_gui", "windows_cui", ...; NULL when the
                            number has no name here */
  unsigned subsystem_number;
  unsigned dll_characteristics;
  int aslr, dep, high_entropy_va, guard_cf; /* from dll_characteristics */
  uint64_t image_base;
} dynlib_inspection;

/* What an ELF or PE file is, read without loading it (the facts of the
 * Lua binding's dynlib.inspect, which is built on this). 0 and a new *out
 * (free it with dynlib_inspect_free), or -1 with *out NULL and err set:
 * not_found, not_a_library (with the defect: "section header table extends
 * past the end of the file", ...), io. A file for another machine is
 * described, with compatible = 0. Every list is also NULL-terminated. */
DYNLIB_API int dynlib_inspect(const char *path, dynlib_inspection **out,
                              dynlib_error *err);
DYNLIB_API void dynlib_inspect_free(dynlib_inspection *in);

/* dynlib_scan flags. */
enum {
  DYNLIB_SCAN_RECURSIVE = 1 << 0, /* enter sub-folders (never links to them) */
  DYNLIB_SCAN_ONE_THREAD = 1 << 1 /* read on the calling thread only */
};

typedef struct dynlib_scan_item {
  const char *path;
  dynlib_code code;    /* DYNLIB_OK: json holds the plugin's metadata */
  const char *message; /* why not (names the file), NULL when code is OK */
  const char *json;    /* as dynlib_metadata gives it; NULL unless OK */
  size_t length;       /* bytes of json */
  unsigned abi;        /* the record's ABI (0 unless OK) */
} dynlib_scan_item;

typedef struct dynlib_scan_result {
  size_t struct_size;
  const dynlib_scan_item *const *items; /* sorted by path (byte order),
                                           NULL-terminated */
  size_t count;
} dynlib_scan_result;

/* The files of a plugin folder and their metadata, without loading any:
 * every entry (sub-folders only when they cannot be read), sorted by path,
 * each with its JSON text (as dynlib_metadata checks it) or the reason it
 * has none (not a regular file, not a library, no_metadata, bad_metadata,
 * ...). Big folders are read on several threads. 0 and a new *out (free it
 * with dynlib_scan_free), or -1 with *out NULL and err set about dir
 * itself: not_found, not_a_library (not a folder), io. */
DYNLIB_API int dynlib_scan(const char *dir, unsigned flags,
                           dynlib_scan_result **out, dynlib_error *err);
/* The same for the caller's files (a NULL-terminated list), unsorted
 * input, sorted result. */
DYNLIB_API int dynlib_scan_paths(const char *const *paths, unsigned flags,
                                 dynlib_scan_result **out, dynlib_error *err);
DYNLIB_API void dynlib_scan_free(dynlib_scan_result *r);

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
