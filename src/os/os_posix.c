/*
 * os_posix.c - os.h on Linux (glibc) and other POSIX systems: dlopen and
 * friends, stat/open/pread, readdir, pthreads, secure_getenv.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "os/os.h"

const char *dl_os_name(void) {
#if defined(__linux__)
  return "linux";
#elif defined(__APPLE__)
  return "macos";
#elif defined(__FreeBSD__)
  return "freebsd";
#else
  return "posix";
#endif
}

/* ---- errors ---------------------------------------------------------------- */

dl_os_errkind dl_os_errkind_of(int e) {
  switch (e) {
    case ENOENT: return DL_OS_E_MISSING;
    case ENOTDIR: return DL_OS_E_NOTDIR;
    case ENOMEM: return DL_OS_E_NOMEM;
    default: return DL_OS_E_OTHER;
  }
}

const char *dl_os_strerror(int e, char *buf, size_t n) {
  /* strerror is not thread-safe; strerror_r's GNU form may return a
   * static string instead of filling buf. */
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
  return strerror_r(e, buf, n);
#else
  if (strerror_r(e, buf, n) != 0) snprintf(buf, n, "error %d", e);
  return buf;
#endif
}

/* ---- the loader ------------------------------------------------------------- */

static int rtld_flags(unsigned hints) {
  /* RTLD_NOW by default: with lazy binding an unresolved symbol kills the
   * whole process at call time instead of failing the open. */
  int flags = (hints & DYNLIB_LAZY) ? RTLD_LAZY : RTLD_NOW;
  flags |= (hints & DYNLIB_GLOBAL) ? RTLD_GLOBAL : RTLD_LOCAL;
#ifdef RTLD_NODELETE
  if (hints & DYNLIB_NODELETE) flags |= RTLD_NODELETE;
#endif
#ifdef RTLD_DEEPBIND
  if (hints & DYNLIB_DEEPBIND) flags |= RTLD_DEEPBIND;
#endif
  return flags;
}

static void loader_text(char *why, size_t n) {
  const char *e = dlerror();
  snprintf(why, n, "%s", e ? e : "unknown loader error");
}

void *dl_os_load(const char *path, unsigned hints, char *why, size_t n) {
  void *h = dlopen(path, rtld_flags(hints));
  if (h == NULL) loader_text(why, n);
  return h;
}

int dl_os_promote(const char *path, unsigned hints, char *why, size_t n) {
  void *h = dlopen(path, rtld_flags(hints) | RTLD_NOLOAD);
  if (h == NULL) {
    loader_text(why, n);
    return -1;
  }
  dlclose(h);
  return 0;
}

int dl_os_is_loaded(const char *path) {
  void *h = dlopen(path, RTLD_LAZY | RTLD_NOLOAD);
  if (h == NULL) return 0;
  dlclose(h);
  return 1;
}

void *dl_os_symbol(void *handle, const char *name, char *why, size_t n) {
  dlerror(); /* clear: a NULL result alone does not mean absent */
  void *p = dlsym(handle, name);
  if (p == NULL) {
    const char *e = dlerror();
    snprintf(why, n, "%s", e ? e : "");
  }
  return p;
}

void dl_os_unload(void *handle) {
  if (handle != NULL) dlclose(handle);
}

int dl_os_loaded_identity(void *handle, unsigned long long *dev,
                          unsigned long long *ino) {
  struct link_map *map = NULL;
  struct stat st;
  if (dlinfo(handle, RTLD_DI_LINKMAP, &map) != 0 || map == NULL ||
      map->l_name == NULL || stat(map->l_name, &st) != 0)
    return -1;
  *dev = (unsigned long long)st.st_dev;
  *ino = (unsigned long long)st.st_ino;
  return 0;
}

/* ---- files ------------------------------------------------------------------ */

static dl_os_kind kind_of_mode(mode_t m) {
  if (S_ISREG(m)) return DL_OS_FILE;
  if (S_ISDIR(m)) return DL_OS_DIR;
  if (S_ISLNK(m)) return DL_OS_LINK;
  if (S_ISFIFO(m)) return DL_OS_FIFO;
  if (S_ISSOCK(m)) return DL_OS_SOCKET;
  if (S_ISCHR(m)) return DL_OS_CHARDEV;
  if (S_ISBLK(m)) return DL_OS_BLOCKDEV;
  return DL_OS_OTHER;
}

static void fill_info(const struct stat *st, dl_os_info *info) {
  info->kind = kind_of_mode(st->st_mode);
  info->size = st->st_size > 0 ? (uint64_t)st->st_size : 0;
  info->dev = (unsigned long long)st->st_dev;
  info->ino = (unsigned long long)st->st_ino;
  info->uid = (unsigned long long)st->st_uid;
  info->group_or_other_writable = (st->st_mode & (S_IWGRP | S_IWOTH)) != 0;
  info->sticky = (st->st_mode & S_ISVTX) != 0;
}

int dl_os_stat(const char *path, dl_os_info *info) {
  struct stat st;
  if (stat(path, &st) != 0) return errno;
  fill_info(&st, info);
  return 0;
}

int dl_os_lstat(const char *path, dl_os_info *info) {
  struct stat st;
  if (lstat(path, &st) != 0) return errno;
  fill_info(&st, info);
  return 0;
}

int dl_os_open_read(const char *path, dl_os_fd *fd) {
  *fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  return *fd < 0 ? errno : 0;
}

int dl_os_fstat(dl_os_fd fd, dl_os_info *info) {
  struct stat st;
  if (fstat(fd, &st) != 0) return errno;
  fill_info(&st, info);
  return 0;
}

int dl_os_read_at(dl_os_fd fd, uint64_t off, void *buf, size_t len) {
  char *p = buf;
  while (len > 0) {
    if (off > (uint64_t)INT64_MAX) return -1;
    ssize_t n = pread(fd, p, len, (off_t)off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    p += n;
    off += (uint64_t)n;
    len -= (size_t)n;
  }
  return 0;
}

int dl_os_read_upto(dl_os_fd fd, uint64_t off, void *buf, size_t len, size_t *got) {
  ssize_t n;
  *got = 0;
  if (off > (uint64_t)INT64_MAX) return -1;
  do {
    n = pread(fd, buf, len, (off_t)off);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return -1;
  *got = (size_t)n;
  return 0;
}

uint64_t dl_os_next_data(dl_os_fd fd, uint64_t off, uint64_t size) {
#ifdef SEEK_DATA
  off_t next = lseek(fd, (off_t)off, SEEK_DATA);
  if (next < 0) return errno == ENXIO ? size : off; /* ENXIO: no more data */
  return (uint64_t)next;
#else
  (void)fd;
  (void)size;
  return off;
#endif
}

void dl_os_close(dl_os_fd fd) {
  if (fd >= 0) close(fd);
}

char *dl_os_realpath(const char *path, int *e) {
  char *real = realpath(path, NULL);
  if (real == NULL && e) *e = errno;
  return real;
}

unsigned long long dl_os_euid(void) { return (unsigned long long)geteuid(); }

const char *dl_os_trust_unsupported(void) { return NULL; }

/* ---- private copies ------------------------------------------------------------ */

int dl_os_private_dir(char **dir) {
  const char *tmp = secure_getenv("TMPDIR");
  if (tmp == NULL || tmp[0] != '/') tmp = "/tmp";
  size_t len = strlen(tmp) + sizeof "/dynlib-XXXXXX";
  char *path = malloc(len);
  if (path == NULL) return ENOMEM;
  snprintf(path, len, "%s/dynlib-XXXXXX", tmp);
  if (mkdtemp(path) == NULL) { /* made 0700 */
    int e = errno;
    free(path);
    return e;
  }
  *dir = path;
  return 0;
}

int dl_os_create_new(const char *path, dl_os_fd *fd) {
  *fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0700);
  return *fd < 0 ? errno : 0;
}

static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return w < 0 ? errno : EIO;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static int copy_buffered(int in, int out, uint64_t off, uint64_t size) {
  enum { BLOCK = 64 << 10 };
  char *buf = malloc(BLOCK);
  if (buf == NULL) return ENOMEM;
  int rc = 0;
  while (rc == 0 && off < size) {
    size_t n = size - off < BLOCK ? (size_t)(size - off) : BLOCK;
    if (dl_os_read_at(in, off, buf, n) != 0)
      rc = EIO;
    else
      rc = write_all(out, buf, n);
    off += n;
  }
  free(buf);
  return rc;
}

int dl_os_copy(dl_os_fd in, dl_os_fd out, uint64_t size) {
  uint64_t done = 0;
#if defined(__linux__)
  /* In the kernel: a reflink on filesystems that share extents. */
  loff_t off_in = 0;
  while (done < size) {
    size_t want = size - done > (1u << 30) ? (1u << 30) : (size_t)(size - done);
    ssize_t n = copy_file_range(in, &off_in, out, NULL, want, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break; /* unsupported here (EXDEV, ENOSYS, ...): buffer the rest */
    done += (uint64_t)n;
  }
#endif
  return done < size ? copy_buffered(in, out, done, size) : 0;
}

int dl_os_close_checked(dl_os_fd fd) { return close(fd) != 0 ? errno : 0; }

int dl_os_remove(const char *path) { return unlink(path) != 0 ? errno : 0; }

int dl_os_remove_dir(const char *path) { return rmdir(path) != 0 ? errno : 0; }

unsigned long dl_os_pid(void) { return (unsigned long)getpid(); }

int dl_os_pid_alive(unsigned long pid) {
  if (pid == 0 || pid > (unsigned long)INT32_MAX) return 0;
  return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

/* ---- directories --------------------------------------------------------------- */

struct dl_os_dir {
  DIR *d;
};

int dl_os_dir_open(const char *path, dl_os_dir **dir) {
  dl_os_dir *od = malloc(sizeof *od);
  if (od == NULL) return ENOMEM;
  if ((od->d = opendir(path)) == NULL) {
    int e = errno;
    free(od);
    return e;
  }
  *dir = od;
  return 0;
}

static dl_os_kind kind_of_dirent(unsigned char type) {
  switch (type) {
#ifdef DT_REG
    case DT_REG: return DL_OS_FILE;
    case DT_DIR: return DL_OS_DIR;
    case DT_LNK: return DL_OS_LINK;
    case DT_FIFO: return DL_OS_FIFO;
    case DT_SOCK: return DL_OS_SOCKET;
    case DT_CHR: return DL_OS_CHARDEV;
    case DT_BLK: return DL_OS_BLOCKDEV;
#endif
    default: return DL_OS_UNKNOWN;
  }
}

const char *dl_os_dir_next(dl_os_dir *dir, dl_os_kind *kind) {
  struct dirent *ent;
  while ((ent = readdir(dir->d)) != NULL) {
    const char *n = ent->d_name;
    if (n[0] == '.' && (n[1] == '\0' || (n[1] == '.' && n[2] == '\0'))) continue;
    *kind = kind_of_dirent(ent->d_type);
    return n;
  }
  return NULL;
}

void dl_os_dir_close(dl_os_dir *dir) {
  if (dir == NULL) return;
  closedir(dir->d);
  free(dir);
}

/* ---- threads ------------------------------------------------------------------- */

unsigned dl_os_cpu_count(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (unsigned)n : 1;
}

static void *trampoline(void *arg) {
  dl_os_thread *t = arg;
  t->fn(t->arg);
  return NULL;
}

int dl_os_thread_start(dl_os_thread *t, void (*fn)(void *), void *arg) {
  /* Workers take no signals: the host's handlers expect its own threads. */
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  t->fn = fn;
  t->arg = arg;
  int rc = pthread_create(&t->id, NULL, trampoline, t);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  return rc;
}

void dl_os_thread_join(dl_os_thread *t) { pthread_join(t->id, NULL); }

void dl_os_yield(void) { sched_yield(); }

/* ---- the system's library folders and path syntax ---------------------------------- */

#if defined(__x86_64__) && defined(__ILP32__)
#define MULTIARCH "x86_64-linux-gnux32"
#elif defined(__x86_64__)
#define MULTIARCH "x86_64-linux-gnu"
#elif defined(__aarch64__)
#define MULTIARCH "aarch64-linux-gnu"
#elif defined(__i386__)
#define MULTIARCH "i386-linux-gnu"
#elif defined(__arm__) && defined(__ARM_PCS_VFP)
#define MULTIARCH "arm-linux-gnueabihf"
#else
#define MULTIARCH ""
#endif

/* ld.so's trusted directories with Debian's multiarch ones first, and
 * /usr/local/lib, which Debian's ld.so.conf lists (its libNAME.so
 * development links are not in the cache). */
void dl_os_library_dirs(void (*add)(void *ud, const char *dir), void *ud) {
  static const char *const dirs[] = {
      "/lib/" MULTIARCH, "/usr/lib/" MULTIARCH, "/lib64", "/usr/lib64",
      "/lib",            "/usr/lib",            "/usr/local/lib"};
  for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
    if (strcmp(dirs[i], "/lib/") != 0 && strcmp(dirs[i], "/usr/lib/") != 0)
      add(ud, dirs[i]); /* no multiarch folder on this system */
}

const char *dl_os_loader_path_var(void) { return "LD_LIBRARY_PATH"; }

int dl_os_is_sep(char c) { return c == '/'; }

int dl_os_path_is_absolute(const char *path) { return path[0] == '/'; }

int dl_os_last_error(void) { return errno; }

int dl_os_errno(void) { return errno; }

void dl_os_set_errno(int e) { errno = e; }

/* ---- environment ---------------------------------------------------------------- */

const char *dl_os_getenv(const char *name) {
#if defined(__GLIBC__)
  return secure_getenv(name);
#else
  return getenv(name);
#endif
}
