/*
 * os.h - the one seam between dynlib and the operating system.
 *
 * Everything that touches the OS goes through these functions: the
 * loader, files, directories, threads and the environment. Only the files
 * in src/os/ include OS headers, so a port is a new os_<name>.c (and
 * os_<name>.h for the few types that must be concrete) rather than #ifdefs
 * through the core. This is the bottom layer: it reports facts (an OS
 * error number, the loader's own text) and the layers above turn them into
 * dynlib errors; it includes nothing of dynlib's but the public header.
 *
 * Errors: functions returning int give 0 on success or an OS error number
 * (errno on POSIX, GetLastError() on Windows) unless they say otherwise.
 */
#ifndef DYNLIB_OS_H
#define DYNLIB_OS_H

#include <stddef.h>
#include <stdint.h>

#include "dynlib.h"

#if defined(_WIN32)
#include "os/os_win32.h"
#else
#include "os/os_posix.h"
#endif

/* ---- identity ----------------------------------------------------------- */

/* "linux", "windows", "macos", ...: what dynlib.os reports. */
const char *dl_os_name(void);

/* ---- errors --------------------------------------------------------------- */

typedef enum {
  DL_OS_E_MISSING = 1, /* no such file, or a path component is missing */
  DL_OS_E_NOTDIR,      /* a path component (or the folder asked for) is a file */
  DL_OS_E_NOMEM,
  DL_OS_E_OTHER
} dl_os_errkind;

dl_os_errkind dl_os_errkind_of(int e);
/* The OS's own text for e, in buf (UTF-8). */
const char *dl_os_strerror(int e, char *buf, size_t n);

/* ---- the loader ----------------------------------------------------------- */

/* Load the library at path (a real path) with dynlib's hints. NULL on
 * failure with the loader's own text in why. */
void *dl_os_load(const char *path, unsigned hints, char *why, size_t n);

/* Ask the loader again for an already-loaded library so that a hint
 * (global, nodelete) takes effect; the extra reference is dropped. */
int dl_os_promote(const char *path, unsigned hints, char *why, size_t n);

/* Is a library with this path loaded right now? Never loads it and never
 * changes its reference count. */
int dl_os_is_loaded(const char *path);

/* The address of name in handle, or NULL with the loader's text in why
 * (empty when the symbol exists and its value is NULL). */
void *dl_os_symbol(void *handle, const char *name, char *why, size_t n);

void dl_os_unload(void *handle);

/* Device and inode (volume and file index) of the file the loader really
 * mapped for handle: 0, or -1 when unknown. */
int dl_os_loaded_identity(void *handle, unsigned long long *dev,
                          unsigned long long *ino);

/* ---- files ---------------------------------------------------------------- */

typedef enum {
  DL_OS_UNKNOWN = 0, /* the directory listing did not say */
  DL_OS_FILE,
  DL_OS_DIR,
  DL_OS_LINK,
  DL_OS_FIFO,
  DL_OS_SOCKET,
  DL_OS_CHARDEV,
  DL_OS_BLOCKDEV,
  DL_OS_OTHER
} dl_os_kind;

typedef struct dl_os_info {
  dl_os_kind kind;
  uint64_t size;
  unsigned long long dev, ino; /* the file's identity */
  unsigned long long uid;      /* owner (POSIX) */
  int group_or_other_writable; /* POSIX mode bits S_IWGRP | S_IWOTH */
  int sticky;                  /* S_ISVTX */
} dl_os_info;

/* stat (follow links) and lstat (do not). Never opens the file. */
int dl_os_stat(const char *path, dl_os_info *info);
int dl_os_lstat(const char *path, dl_os_info *info);

/* Open for reading without side effects: non-blocking (a FIFO never
 * blocks), never a controlling terminal, not inherited by children. */
int dl_os_open_read(const char *path, dl_os_fd *fd);
int dl_os_fstat(dl_os_fd fd, dl_os_info *info);
/* Exactly len bytes at off: 0, or -1 on error or end of file. */
int dl_os_read_at(dl_os_fd fd, uint64_t off, void *buf, size_t len);
/* One read of at most len bytes at off (a single system call): 0 with the
 * count in *got (0 at the end of the file), or -1 on error (a FIFO, a
 * directory...). */
int dl_os_read_upto(dl_os_fd fd, uint64_t off, void *buf, size_t len, size_t *got);
/* The next offset >= off holding data (SEEK_DATA), size past the last;
 * off itself when the system cannot tell. */
uint64_t dl_os_next_data(dl_os_fd fd, uint64_t off, uint64_t size);
void dl_os_close(dl_os_fd fd);

/* The canonical absolute path (links resolved), malloc'd; NULL with *e. */
char *dl_os_realpath(const char *path, int *e);
/* The effective user, for trusted mode's owner checks. */
unsigned long long dl_os_euid(void);
/* Why trusted mode cannot be checked on this system (it rests on POSIX
 * owners and mode bits), or NULL where it can. */
const char *dl_os_trust_unsupported(void);

/* ---- private copies -------------------------------------------------------- */

/* A new folder only we can use, in the temporary directory (TMPDIR when
 * absolute and the process is not privileged): malloc'd path in *dir. */
int dl_os_private_dir(char **dir);
/* Create path for writing: it must not exist (no link followed), mode 0700. */
int dl_os_create_new(const char *path, dl_os_fd *fd);
/* Copy size bytes of in to out: in the kernel (reflink/copy_file_range)
 * where the system can, through a buffer otherwise. */
int dl_os_copy(dl_os_fd in, dl_os_fd out, uint64_t size);
/* close that reports a failed write-back. */
int dl_os_close_checked(dl_os_fd fd);
int dl_os_remove(const char *path);
int dl_os_remove_dir(const char *path);

/* This process's id, and whether a process with that id is still running
 * (copies named after a process that is gone are stale). */
unsigned long dl_os_pid(void);
int dl_os_pid_alive(unsigned long pid);

/* ---- directories ------------------------------------------------------------ */

typedef struct dl_os_dir dl_os_dir;
int dl_os_dir_open(const char *path, dl_os_dir **dir);
/* The next entry's name (never "." or ".."), its kind when the listing
 * says (DL_OS_UNKNOWN otherwise); NULL at the end. Valid until the next
 * call. */
const char *dl_os_dir_next(dl_os_dir *dir, dl_os_kind *kind);
void dl_os_dir_close(dl_os_dir *dir);

/* ---- threads ---------------------------------------------------------------- */

/* Processors online (at least 1). */
unsigned dl_os_cpu_count(void);
/* Start fn(arg) on a new thread that receives no signals; 0 on success. */
int dl_os_thread_start(dl_os_thread *t, void (*fn)(void *), void *arg);
void dl_os_thread_join(dl_os_thread *t);
/* Lets another thread run (a wait for a worker's result). */
void dl_os_yield(void);

/* ---- the system's library folders and path syntax ------------------------------- */

/* The folders the system's loader searches by itself, in its order (after
 * the user's: dynlib.path and the loader's environment variable): Linux's
 * multiarch and default folders; Windows' application and system folders. */
void dl_os_library_dirs(void (*add)(void *ud, const char *dir), void *ud);

/* The environment variable the loader reads for extra folders
 * (LD_LIBRARY_PATH), or NULL where dynlib does not follow one (Windows:
 * PATH is never searched). */
const char *dl_os_loader_path_var(void);

/* Path syntax: a separator ('/', and '\\' on Windows); an absolute path
 * ("/x"; "C:/x", "//host/share" on Windows). */
int dl_os_is_sep(char c);
int dl_os_path_is_absolute(const char *path);

/* The last component of path: what follows its last separator (path
 * itself when it has none). */
static inline const char *dl_os_path_base(const char *path) {
  const char *base = path;
  for (const char *p = path; *p; p++)
    if (dl_os_is_sep(*p)) base = p + 1;
  return base;
}

/* The calling thread's last OS error: GetLastError() on Windows, errno on
 * POSIX. Read right after a foreign call, before anything can change it. */
int dl_os_last_error(void);

/* The C library's errno for the calling thread (on Windows too: its C
 * runtime keeps one beside GetLastError), and setting it: a typed call with
 * {errno = true} clears it first, since most functions set it only on
 * failure. */
int dl_os_errno(void);
void dl_os_set_errno(int e);

/* ---- environment ------------------------------------------------------------ */

/* getenv, but NULL in a privileged (setuid) process, as the loader does. */
const char *dl_os_getenv(const char *name);

#endif
