/*
 * dir.h - the files of a plugin folder and their metadata, read without
 * loading anything (the core of dynlib.scan).
 *
 * A scan lists a folder (or takes the caller's paths), sorts the paths, then
 * reads every file's metadata record, on several threads when there are
 * enough files: the work is system calls on independent files.
 */
#ifndef DYNLIB_DIR_H
#define DYNLIB_DIR_H

#include <stddef.h>

#include "dynlib.h"
#include "formats/meta.h"
#include "os/os.h"

/* What a directory entry is, as far as the listing knows without opening
 * it (readdir's d_type, lstat/stat for links and unknown types). */
typedef enum dl_kind {
  DL_KIND_UNKNOWN = 0, /* a path from the caller: the read stats it first */
  DL_KIND_FILE,
  DL_KIND_DIR,
  DL_KIND_FIFO,
  DL_KIND_SOCKET,
  DL_KIND_DEVICE,
  DL_KIND_BROKEN_LINK,
  DL_KIND_OTHER
} dl_kind;

/* Sub-folders deeper than this are not entered by a recursive listing. */
#define DL_SCAN_MAX_DEPTH 32

typedef struct dl_scan_item {
  char *path;       /* in the scan's blocks */
  dl_kind kind;
  dynlib_code code; /* DYNLIB_OK: meta holds the record; else why not */
  char *msg;        /* malloc'd reason when code != DYNLIB_OK (may be NULL
                       when memory ran out) */
  dl_meta meta;     /* its text in the scan's blocks */
  void *user;       /* set by the caller's hook */
  int done;         /* read (atomic: set by the reader, release) */
} dl_scan_item;

/* The scan's paths and record texts live in blocks of memory it frees at
 * once: one malloc for many files, not two per file. */
typedef struct dl_scan_block dl_scan_block;

typedef struct dl_scan {
  dl_scan_item *items;
  size_t n, cap;
  dl_scan_block *blocks;     /* every block (pushed atomically by readers) */
  dl_scan_block *path_block; /* the listing's current one */
} dl_scan;

/* Runs on the thread that read the item, right after the read (the binding
 * parses the JSON there). It may turn the item into a failure by setting
 * code and msg (malloc'd) and freeing meta. */
typedef void (*dl_scan_hook)(dl_scan_item *item, void *ctx);

void dl_scan_init(dl_scan *s);

/* Appends the entries of dir; with recursive, those of its sub-folders too
 * (real folders only: symbolic links to folders are not followed, so a
 * link loop cannot trap the scan). Folders themselves are not items; a
 * sub-folder that cannot be read is one, with code io. Errors (about dir
 * itself): not_found, not_a_library (not a folder), io. */
int dl_scan_list(dl_scan *s, const char *dir, int recursive,
                 dynlib_error *err);

/* Appends one path from the caller (kind unknown). -1 out of memory. */
int dl_scan_add(dl_scan *s, const char *path, dynlib_error *err);

/* Sorts the items by path (byte order). */
void dl_scan_sort(dl_scan *s);

/* Reads every item's metadata (dl_meta_read; entries the listing already
 * knows to be regular files skip the stat before open) and runs hook.
 * threads: 0 picks as many as there are processors (at most 8, and one per
 * 32 items at least, so small folders stay on this thread); 1 means this
 * thread only. Worker threads block every signal. */
void dl_scan_read(dl_scan *s, unsigned threads, dl_scan_hook hook, void *ctx);

/* A read shared with worker threads while the calling thread takes the
 * items in order as they are ready (dl_scan_wait), so its own work on the
 * first items (the binding builds Lua tables) overlaps the reading of the
 * rest. Between start and finish, s must not change. */
typedef struct dl_scan_run {
  dl_scan *s;
  dl_scan_hook hook;
  void *ctx;
  size_t next; /* the next item to read: taken with an atomic add */
  dl_scan_block *block; /* the calling thread's block for texts */
  unsigned started;
  dl_os_thread tid[8];
} dl_scan_run;

/* Starts the workers (threads as dl_scan_read's, counting this thread). */
void dl_scan_start(dl_scan_run *run, dl_scan *s, unsigned threads,
                   dl_scan_hook hook, void *ctx);

/* Returns once item i is read; reads items itself meanwhile (any not yet
 * taken), so it never waits on threads that could not start. */
void dl_scan_wait(dl_scan_run *run, size_t i);

/* Reads what is left and joins the workers. */
void dl_scan_finish(dl_scan_run *run);

/* Lists (or takes the caller's paths, a NULL-terminated list, when paths
 * is not NULL) and sorts; reads nothing. Errors as dl_scan_list's or
 * dl_scan_add's. */
int dl_scan_gather(dl_scan *s, const char *dir, const char *const *paths,
                   int recursive, dynlib_error *err);

/* All of a scan: the caller's paths (a NULL-terminated list) when paths
 * is not NULL, else the listing of dir; then sorted and read (the hook as
 * dl_scan_read's). Errors are dl_scan_list's or dl_scan_add's. Used by the
 * C API's dynlib_scan and by the binding, so both scan alike. */
int dl_scan_collect(dl_scan *s, const char *dir, const char *const *paths,
                    int recursive, unsigned threads, dl_scan_hook hook,
                    void *ctx, dynlib_error *err);

/* Frees every item; drop (may be NULL) frees what the hook left in user. */
void dl_scan_free(dl_scan *s, void (*drop)(void *user));

#endif
