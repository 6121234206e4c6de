/*
 * file.h - opening a file that should be a library, safely: stat before
 * open (opening a device or FIFO has side effects or blocks), then
 * O_RDONLY|O_NONBLOCK|O_NOCTTY|O_CLOEXEC and bounded preads only.
 */
#ifndef DYNLIB_FILE_H
#define DYNLIB_FILE_H

#include <stdint.h>
#include <sys/types.h>

#include "dynlib.h"

/* The first bytes of the file, read once: the ELF header, the program
 * headers and the notes usually lie there, so a check or a metadata read
 * costs one pread. */
#define DL_FILE_HEAD 4096

typedef struct dl_file {
  int fd;
  uint64_t size;
  dev_t dev;
  ino_t ino;
  const char *path; /* borrowed, for messages */
  size_t headlen;   /* bytes valid in head; 0 until first read */
  int head_read;
  unsigned char head[DL_FILE_HEAD];
  struct dl_file_cache *cache; /* blocks past the head, made on demand */
} dl_file;

/* Open a regular file for reading. Errors: not_found (missing),
 * not_a_library (directory, FIFO, socket, device, empty), io. */
int dl_file_open(dl_file *f, const char *path, dynlib_error *err);

/* The read-at callback for readers (elf.c, meta.c): reads exactly len bytes
 * at off; returns 0, or -1 on error or short read. ctx is a dl_file *.
 * Small reads are served from a few cached blocks: inspection reads many
 * small records (headers, names) close together. */
int dl_file_read_at(void *ctx, uint64_t off, void *buf, size_t len);

void dl_file_close(dl_file *f);

/* The next offset >= off holding data (SEEK_DATA), f->size past the last:
 * lets a search skip the holes of sparse files. ctx is a dl_file *. */
uint64_t dl_file_next_data(void *ctx, uint64_t off);

#endif
