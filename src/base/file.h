/*
 * file.h - opening a file that should be a library, safely: stat before
 * open (opening a device or FIFO has side effects or blocks), then a
 * non-blocking open (os.h) and bounded reads at offsets only.
 */
#ifndef DYNLIB_FILE_H
#define DYNLIB_FILE_H

#include <stdint.h>
#include "dynlib.h"
#include "os/os.h"

/* The first bytes of the file, read once: the ELF header, the program
 * headers and the notes usually lie there, so a check or a metadata read
 * costs one pread. */
#define DL_FILE_HEAD 4096

typedef struct dl_file {
  dl_os_fd fd;
  uint64_t size;
  unsigned long long dev, ino;
  const char *path; /* borrowed, for messages */
  size_t headlen;   /* bytes valid in head; 0 until first read */
  int head_read;
  unsigned char head[DL_FILE_HEAD];
  struct dl_file_cache *cache; /* blocks past the head, made on demand */
} dl_file;

/* Open a regular file for reading. Errors: not_found (missing),
 * not_a_library (directory, FIFO, socket, device, empty), io. */
int dl_file_open(dl_file *f, const char *path, dynlib_error *err);

/* dl_file_open without its first stat, for a path the caller's directory
 * listing says is a regular file: the check on the opened file decides. */
int dl_file_open_listed(dl_file *f, const char *path, dynlib_error *err);

/* Open without the check on the opened file, for a reader that can often
 * answer from the first bytes alone (a scan's metadata): one system call
 * (with listed, for a path a directory listing called a regular file) or
 * two (a stat first, refusing what is not a regular file, as
 * dl_file_open). The size is unknown (0) and dl_file_read_at reads nothing
 * until dl_file_check; dl_file_head may be read before. */
int dl_file_open_deferred(dl_file *f, const char *path, int listed,
                          dynlib_error *err);

/* The deferred check: fstat of the opened file, which must be a regular,
 * non-empty file; sets the size. On failure the file is closed. */
int dl_file_check(dl_file *f, dynlib_error *err);

/* The first bytes of the file (up to DL_FILE_HEAD, fewer when the file is
 * shorter), read with one system call on first use; returns how many are
 * in f->head (0 when the read failed: a FIFO, a directory...). */
size_t dl_file_head(dl_file *f);

/* The read-at callback for readers (elf.c, meta.c): reads exactly len bytes
 * at off; returns 0, or -1 on error or short read. ctx is a dl_file *.
 * Small reads are served from a few cached blocks: inspection reads many
 * small records (headers, names) close together. */
int dl_file_read_at(void *ctx, uint64_t off, void *buf, size_t len);

void dl_file_close(dl_file *f);

/* An OS error number about path as a dynlib error (not_found for a
 * missing file or folder, io otherwise); returns -1. */
int dl_file_error(dynlib_error *err, const char *path, int e);

/* The next offset >= off holding data (SEEK_DATA), f->size past the last:
 * lets a search skip the holes of sparse files. ctx is a dl_file *. */
uint64_t dl_file_next_data(void *ctx, uint64_t off);

#endif
