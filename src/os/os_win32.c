/*
 * os_win32.c - os.h on Windows: LoadLibraryExW and friends, files through
 * handles, FindFirstFileExW, SRW locks, Windows threads.
 *
 * Paths cross this seam as UTF-8 and are used as UTF-16 (the "W"
 * functions: any Unicode path works, whatever the ANSI code page). Paths
 * coming back (real paths, the temporary folder) use '/' between
 * components, as Qt does: the layers above split on '/' only, and Windows
 * accepts both.
 */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "os/os.h"

const char *dl_os_name(void) { return "windows"; }

/* ---- text --------------------------------------------------------------------- */

/* UTF-8 -> UTF-16, malloc'd; NULL on invalid UTF-8 or out of memory. */
static wchar_t *to_wide(const char *s) {
  int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
  if (n <= 0) return NULL;
  wchar_t *w = malloc((size_t)n * sizeof *w);
  if (w && MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, w, n) != n) {
    free(w);
    w = NULL;
  }
  return w;
}

/* UTF-16 -> UTF-8, malloc'd, with '\\' turned into '/'. */
static char *to_utf8(const wchar_t *w) {
  int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL);
  if (n <= 0) return NULL;
  char *s = malloc((size_t)n);
  if (s && WideCharToMultiByte(CP_UTF8, 0, w, -1, s, n, NULL, NULL) != n) {
    free(s);
    return NULL;
  }
  for (char *p = s; p && *p; p++)
    if (*p == '\\') *p = '/';
  return s;
}

/* The absolute UTF-16 form of path (GetFullPathNameW: relative to the
 * current folder), malloc'd; NULL with *e. LoadLibraryExW with
 * LOAD_LIBRARY_SEARCH_DLL_LOAD_DIR needs a fully qualified path. */
static wchar_t *full_path(const char *path, int *e) {
  wchar_t *w = to_wide(path);
  if (w == NULL) {
    *e = ERROR_INVALID_NAME;
    return NULL;
  }
  for (wchar_t *p = w; *p; p++)
    if (*p == L'/') *p = L'\\';
  DWORD n = GetFullPathNameW(w, 0, NULL, NULL);
  wchar_t *full = n ? malloc(n * sizeof *full) : NULL;
  if (full == NULL || GetFullPathNameW(w, n, full, NULL) == 0) {
    *e = full ? (int)GetLastError() : ERROR_NOT_ENOUGH_MEMORY;
    free(full);
    full = NULL;
  }
  free(w);
  return full;
}

/* ---- errors ----------------------------------------------------------------------- */

dl_os_errkind dl_os_errkind_of(int e) {
  switch (e) {
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND:
    case ERROR_INVALID_NAME:
    case ERROR_BAD_NETPATH:
    case ERROR_INVALID_DRIVE:
      return DL_OS_E_MISSING;
    case ERROR_DIRECTORY: return DL_OS_E_NOTDIR;
    case ERROR_NOT_ENOUGH_MEMORY:
    case ERROR_OUTOFMEMORY: return DL_OS_E_NOMEM;
    default: return DL_OS_E_OTHER;
  }
}

const char *dl_os_strerror(int e, char *buf, size_t n) {
  wchar_t w[512];
  DWORD len = FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
                             NULL, (DWORD)e, 0, w, sizeof w / sizeof w[0], NULL);
  while (len > 0 && (w[len - 1] == L'\n' || w[len - 1] == L'\r' || w[len - 1] == L'.'))
    w[--len] = 0;
  char *text = len ? to_utf8(w) : NULL;
  snprintf(buf, n, "%s (error %d)", text ? text : "system error", e);
  free(text);
  return buf;
}

/* ---- the loader ---------------------------------------------------------------------- */

static void error_text(int e, char *why, size_t n) { dl_os_strerror(e, why, n); }

/* The loader must never show a dialog (a missing dependency, a bad image):
 * an unattended host would hang on it. */
void *dl_os_load(const char *path, unsigned hints, char *why, size_t n) {
  int e = 0;
  wchar_t *w = full_path(path, &e);
  if (w == NULL) {
    error_text(e, why, n);
    return NULL;
  }
  DWORD old = 0;
  SetThreadErrorMode(SEM_FAILCRITICALERRORS | SEM_NOOPENFILEERRORBOX, &old);
  /* The DLL's own folder and the system's: never the current folder or
   * PATH, for the DLL's dependencies too. lazy, global and deepbind have no
   * Windows meaning (binding is always immediate, symbols always local to
   * a module): accepted, no effect. */
  HMODULE h = LoadLibraryExW(w, NULL, LOAD_LIBRARY_SEARCH_DLL_LOAD_DIR |
                                          LOAD_LIBRARY_SEARCH_DEFAULT_DIRS);
  e = (int)GetLastError();
  SetThreadErrorMode(old, NULL);
  if (h == NULL) {
    error_text(e, why, n);
  } else if (hints & DYNLIB_NODELETE) {
    HMODULE pinned;
    GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_PIN, w, &pinned);
  }
  free(w);
  return (void *)h;
}

int dl_os_promote(const char *path, unsigned hints, char *why, size_t n) {
  if (!(hints & DYNLIB_NODELETE)) return 0; /* global: no meaning here */
  int e = 0;
  wchar_t *w = full_path(path, &e);
  HMODULE h;
  if (w == NULL || !GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_PIN, w, &h)) {
    error_text(w ? (int)GetLastError() : e, why, n);
    free(w);
    return -1;
  }
  free(w);
  return 0;
}

int dl_os_is_loaded(const char *path) {
  int e = 0;
  wchar_t *w = full_path(path, &e);
  HMODULE h = NULL;
  int loaded = w && GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT, w, &h);
  free(w);
  return loaded;
}

void *dl_os_symbol(void *handle, const char *name, char *why, size_t n) {
  FARPROC f = GetProcAddress((HMODULE)handle, name);
  void *p;
  memcpy(&p, &f, sizeof p); /* a code address as data: same size here */
  if (p == NULL) error_text((int)GetLastError(), why, n);
  return p;
}

void dl_os_unload(void *handle) {
  if (handle != NULL) FreeLibrary((HMODULE)handle);
}

/* Volume serial number and file index: one identity for every name of a
 * file ("kernel32", "KERNEL32.DLL", the full path). */
static int handle_identity(HANDLE f, unsigned long long *dev, unsigned long long *ino) {
  BY_HANDLE_FILE_INFORMATION bi;
  if (!GetFileInformationByHandle(f, &bi)) return -1;
  *dev = bi.dwVolumeSerialNumber;
  *ino = ((unsigned long long)bi.nFileIndexHigh << 32) | bi.nFileIndexLow;
  return 0;
}

/* A handle for metadata only: no read access, so no side effect. */
static HANDLE open_meta(const wchar_t *w, int follow) {
  DWORD flags = FILE_FLAG_BACKUP_SEMANTICS | (follow ? 0 : FILE_FLAG_OPEN_REPARSE_POINT);
  return CreateFileW(w, 0, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                     NULL, OPEN_EXISTING, flags, NULL);
}

int dl_os_loaded_identity(void *handle, unsigned long long *dev,
                          unsigned long long *ino) {
  wchar_t name[32768];
  DWORD n = GetModuleFileNameW((HMODULE)handle, name, sizeof name / sizeof name[0]);
  if (n == 0 || n >= sizeof name / sizeof name[0]) return -1;
  HANDLE f = open_meta(name, 1);
  if (f == INVALID_HANDLE_VALUE) return -1;
  int rc = handle_identity(f, dev, ino);
  CloseHandle(f);
  return rc;
}

/* ---- files ------------------------------------------------------------------------------ */

static int info_of(HANDLE f, dl_os_info *info) {
  memset(info, 0, sizeof *info);
  switch (GetFileType(f)) {
    case FILE_TYPE_CHAR: info->kind = DL_OS_CHARDEV; return 0;
    case FILE_TYPE_PIPE: info->kind = DL_OS_FIFO; return 0;
    case FILE_TYPE_DISK: break;
    default: info->kind = DL_OS_OTHER; return 0;
  }
  BY_HANDLE_FILE_INFORMATION bi;
  if (!GetFileInformationByHandle(f, &bi)) return (int)GetLastError();
  if (bi.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) info->kind = DL_OS_LINK;
  else if (bi.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) info->kind = DL_OS_DIR;
  else info->kind = DL_OS_FILE;
  info->size = ((uint64_t)bi.nFileSizeHigh << 32) | bi.nFileSizeLow;
  info->dev = bi.dwVolumeSerialNumber;
  info->ino = ((unsigned long long)bi.nFileIndexHigh << 32) | bi.nFileIndexLow;
  return 0; /* owner and mode: trusted mode is refused on Windows */
}

static int stat_path(const char *path, dl_os_info *info, int follow) {
  int e = 0;
  wchar_t *w = full_path(path, &e);
  if (w == NULL) return e;
  HANDLE f = open_meta(w, follow);
  free(w);
  if (f == INVALID_HANDLE_VALUE) return (int)GetLastError();
  e = info_of(f, info);
  CloseHandle(f);
  /* A reparse point opened through (follow) is whatever it points at. */
  if (e == 0 && follow && info->kind == DL_OS_LINK) info->kind = DL_OS_FILE;
  return e;
}

int dl_os_stat(const char *path, dl_os_info *info) { return stat_path(path, info, 1); }
int dl_os_lstat(const char *path, dl_os_info *info) { return stat_path(path, info, 0); }

int dl_os_open_read(const char *path, dl_os_fd *fd) {
  int e = 0;
  wchar_t *w = full_path(path, &e);
  *fd = DL_OS_NO_FD;
  if (w == NULL) return e;
  /* Not inherited by child processes (no SECURITY_ATTRIBUTES); others may
   * keep reading, writing or renaming it. */
  HANDLE f = CreateFileW(w, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                         NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
  free(w);
  if (f == INVALID_HANDLE_VALUE) return (int)GetLastError();
  *fd = (dl_os_fd)f;
  return 0;
}

int dl_os_fstat(dl_os_fd fd, dl_os_info *info) { return info_of((HANDLE)fd, info); }

int dl_os_read_at(dl_os_fd fd, uint64_t off, void *buf, size_t len) {
  char *p = buf;
  while (len > 0) {
    DWORD want = len > (1u << 30) ? (1u << 30) : (DWORD)len, got = 0;
    OVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    ov.Offset = (DWORD)off;
    ov.OffsetHigh = (DWORD)(off >> 32);
    if (!ReadFile((HANDLE)fd, p, want, &got, &ov) || got == 0) return -1;
    p += got;
    off += got;
    len -= got;
  }
  return 0;
}

int dl_os_read_upto(dl_os_fd fd, uint64_t off, void *buf, size_t len, size_t *got) {
  DWORD want = len > (1u << 30) ? (1u << 30) : (DWORD)len, n = 0;
  OVERLAPPED ov;
  memset(&ov, 0, sizeof ov);
  ov.Offset = (DWORD)off;
  ov.OffsetHigh = (DWORD)(off >> 32);
  *got = 0;
  if (!ReadFile((HANDLE)fd, buf, want, &n, &ov))
    return GetLastError() == ERROR_HANDLE_EOF ? 0 : -1; /* at the end: none */
  *got = n;
  return 0;
}

uint64_t dl_os_next_data(dl_os_fd fd, uint64_t off, uint64_t size) {
  (void)fd, (void)size;
  return off; /* no cheap hole query: the search reads through */
}

void dl_os_close(dl_os_fd fd) {
  if (fd != DL_OS_NO_FD) CloseHandle((HANDLE)fd);
}

char *dl_os_realpath(const char *path, int *e) {
  int err = 0;
  wchar_t *w = full_path(path, &err);
  HANDLE f = w ? open_meta(w, 1) : INVALID_HANDLE_VALUE;
  free(w);
  if (f == INVALID_HANDLE_VALUE) {
    if (e) *e = err ? err : (int)GetLastError();
    return NULL;
  }
  wchar_t buf[32768];
  DWORD n = GetFinalPathNameByHandleW(f, buf, sizeof buf / sizeof buf[0],
                                      FILE_NAME_NORMALIZED | VOLUME_NAME_DOS);
  if (n == 0 || n >= sizeof buf / sizeof buf[0]) err = (int)GetLastError();
  CloseHandle(f);
  if (err || n == 0) {
    if (e) *e = err ? err : ERROR_INVALID_NAME;
    return NULL;
  }
  /* "\\?\C:\dir\x.dll" -> "C:/dir/x.dll"; "\\?\UNC\host\share" -> "//host/share" */
  const wchar_t *p = buf;
  wchar_t unc[32768];
  if (wcsncmp(p, L"\\\\?\\UNC\\", 8) == 0) {
    swprintf(unc, sizeof unc / sizeof unc[0], L"\\\\%ls", p + 8);
    p = unc;
  } else if (wcsncmp(p, L"\\\\?\\", 4) == 0) {
    p += 4;
  }
  char *real = to_utf8(p);
  if (real == NULL && e) *e = ERROR_NOT_ENOUGH_MEMORY;
  return real;
}

unsigned long long dl_os_euid(void) { return 0; }

/* Owners and ACLs are not POSIX modes: rather than pass every file, the
 * trusted option is refused until an ACL check exists. */
const char *dl_os_trust_unsupported(void) {
  return "trusted mode is not available on Windows (it checks POSIX owners and modes)";
}

/* ---- private copies --------------------------------------------------------------------- */

int dl_os_private_dir(char **dir) {
  wchar_t tmp[MAX_PATH + 1], path[MAX_PATH + 32];
  DWORD n = GetTempPathW(sizeof tmp / sizeof tmp[0], tmp);
  if (n == 0 || n > MAX_PATH) return (int)GetLastError();
  /* %TEMP% is the user's own folder; the name only has to be new. */
  for (unsigned i = 0; i < 100; i++) {
    unsigned long long r = ((unsigned long long)GetCurrentProcessId() << 32) ^
                           GetTickCount64() ^ ((unsigned long long)i * 2654435761u);
    swprintf(path, sizeof path / sizeof path[0], L"%lsdynlib-%08llx", tmp,
             r & 0xffffffffull);
    if (CreateDirectoryW(path, NULL)) {
      *dir = to_utf8(path);
      return *dir ? 0 : ERROR_NOT_ENOUGH_MEMORY;
    }
    if (GetLastError() != ERROR_ALREADY_EXISTS) return (int)GetLastError();
  }
  return ERROR_ALREADY_EXISTS;
}

int dl_os_create_new(const char *path, dl_os_fd *fd) {
  int e = 0;
  wchar_t *w = full_path(path, &e);
  *fd = DL_OS_NO_FD;
  if (w == NULL) return e;
  HANDLE f = CreateFileW(w, GENERIC_WRITE, 0, NULL, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, NULL);
  free(w);
  if (f == INVALID_HANDLE_VALUE) return (int)GetLastError();
  *fd = (dl_os_fd)f;
  return 0;
}

int dl_os_copy(dl_os_fd in, dl_os_fd out, uint64_t size) {
  enum { BLOCK = 64 << 10 };
  char *buf = malloc(BLOCK);
  if (buf == NULL) return ERROR_NOT_ENOUGH_MEMORY;
  int rc = 0;
  for (uint64_t off = 0; rc == 0 && off < size;) {
    DWORD n = size - off < BLOCK ? (DWORD)(size - off) : BLOCK, put = 0;
    if (dl_os_read_at(in, off, buf, n) != 0) rc = ERROR_READ_FAULT;
    else if (!WriteFile((HANDLE)out, buf, n, &put, NULL) || put != n)
      rc = (int)GetLastError();
    off += n;
  }
  free(buf);
  return rc;
}

int dl_os_close_checked(dl_os_fd fd) {
  return CloseHandle((HANDLE)fd) ? 0 : (int)GetLastError();
}

static int path_call(const char *path, BOOL(WINAPI *fn)(LPCWSTR)) {
  int e = 0;
  wchar_t *w = full_path(path, &e);
  if (w == NULL) return e;
  e = fn(w) ? 0 : (int)GetLastError();
  free(w);
  return e;
}

int dl_os_remove(const char *path) { return path_call(path, DeleteFileW); }
int dl_os_remove_dir(const char *path) { return path_call(path, RemoveDirectoryW); }

unsigned long dl_os_pid(void) { return GetCurrentProcessId(); }

int dl_os_pid_alive(unsigned long pid) {
  HANDLE h = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, (DWORD)pid);
  if (h == NULL) return GetLastError() == ERROR_ACCESS_DENIED;
  DWORD code = 0;
  int alive = GetExitCodeProcess(h, &code) && code == STILL_ACTIVE;
  CloseHandle(h);
  return alive;
}

/* ---- directories ----------------------------------------------------------------------------- */

struct dl_os_dir {
  HANDLE h;
  int pending; /* fd holds an entry not yet returned */
  WIN32_FIND_DATAW fd;
  char *name;
};

int dl_os_dir_open(const char *path, dl_os_dir **dir) {
  int e = 0;
  wchar_t *w = full_path(path, &e);
  if (w == NULL) return e;
  DWORD attr = GetFileAttributesW(w);
  if (attr == INVALID_FILE_ATTRIBUTES) {
    e = (int)GetLastError();
    free(w);
    return e;
  }
  if (!(attr & FILE_ATTRIBUTE_DIRECTORY)) {
    free(w);
    return ERROR_DIRECTORY;
  }
  size_t len = wcslen(w);
  wchar_t *pattern = malloc((len + 3) * sizeof *pattern);
  dl_os_dir *d = calloc(1, sizeof *d);
  if (pattern == NULL || d == NULL) {
    free(w), free(pattern), free(d);
    return ERROR_NOT_ENOUGH_MEMORY;
  }
  swprintf(pattern, len + 3, L"%ls%ls", w, (len && w[len - 1] == L'\\') ? L"*" : L"\\*");
  free(w);
  d->h = FindFirstFileExW(pattern, FindExInfoBasic, &d->fd, FindExSearchNameMatch, NULL,
                          FIND_FIRST_EX_LARGE_FETCH);
  free(pattern);
  if (d->h == INVALID_HANDLE_VALUE) {
    e = (int)GetLastError();
    if (e == ERROR_FILE_NOT_FOUND) { /* an empty folder (not even "."): fine */
      d->pending = 0;
      *dir = d;
      return 0;
    }
    free(d);
    return e;
  }
  d->pending = 1;
  *dir = d;
  return 0;
}

const char *dl_os_dir_next(dl_os_dir *d, dl_os_kind *kind) {
  for (;;) {
    if (!d->pending) {
      if (d->h == INVALID_HANDLE_VALUE || !FindNextFileW(d->h, &d->fd)) return NULL;
    }
    d->pending = 0;
    const wchar_t *n = d->fd.cFileName;
    if (n[0] == L'.' && (n[1] == 0 || (n[1] == L'.' && n[2] == 0))) continue;
    free(d->name);
    if ((d->name = to_utf8(n)) == NULL) continue;
    DWORD a = d->fd.dwFileAttributes;
    *kind = (a & FILE_ATTRIBUTE_REPARSE_POINT) ? DL_OS_LINK
            : (a & FILE_ATTRIBUTE_DIRECTORY)   ? DL_OS_DIR
                                               : DL_OS_FILE;
    return d->name;
  }
}

void dl_os_dir_close(dl_os_dir *d) {
  if (d == NULL) return;
  if (d->h != INVALID_HANDLE_VALUE && d->h != NULL) FindClose(d->h);
  free(d->name);
  free(d);
}

/* ---- threads and locks ------------------------------------------------------------------------- */

/* dl_os_mutex, dl_os_cond and dl_os_once have the layout of SRWLOCK,
 * CONDITION_VARIABLE and INIT_ONCE (one pointer, zero-initialised). */
_Static_assert(sizeof(dl_os_mutex) == sizeof(SRWLOCK), "SRWLOCK layout");
_Static_assert(sizeof(dl_os_cond) == sizeof(CONDITION_VARIABLE), "CONDITION_VARIABLE layout");
_Static_assert(sizeof(dl_os_once) == sizeof(INIT_ONCE), "INIT_ONCE layout");

void dl_os_lock(dl_os_mutex *m) { AcquireSRWLockExclusive((PSRWLOCK)m); }
void dl_os_unlock(dl_os_mutex *m) { ReleaseSRWLockExclusive((PSRWLOCK)m); }

void dl_os_cond_wait(dl_os_cond *c, dl_os_mutex *m) {
  SleepConditionVariableSRW((PCONDITION_VARIABLE)c, (PSRWLOCK)m, INFINITE, 0);
}

void dl_os_cond_broadcast(dl_os_cond *c) { WakeAllConditionVariable((PCONDITION_VARIABLE)c); }

struct once_call {
  void (*fn)(void);
};

static BOOL CALLBACK run_once(PINIT_ONCE once, PVOID param, PVOID *ctx) {
  (void)once, (void)ctx;
  ((struct once_call *)param)->fn();
  return TRUE;
}

void dl_os_call_once(dl_os_once *o, void (*fn)(void)) {
  struct once_call call = {fn};
  InitOnceExecuteOnce((PINIT_ONCE)o, run_once, &call, NULL);
}

dl_os_thread_id dl_os_thread_self(void) { return GetCurrentThreadId(); }

unsigned dl_os_cpu_count(void) {
  SYSTEM_INFO si;
  GetSystemInfo(&si);
  return si.dwNumberOfProcessors > 0 ? (unsigned)si.dwNumberOfProcessors : 1;
}

static DWORD WINAPI trampoline(LPVOID arg) {
  dl_os_thread *t = arg;
  t->fn(t->arg);
  return 0;
}

int dl_os_thread_start(dl_os_thread *t, void (*fn)(void *), void *arg) {
  t->fn = fn;
  t->arg = arg;
  t->handle = CreateThread(NULL, 0, trampoline, t, 0, NULL);
  return t->handle ? 0 : (int)GetLastError();
}

void dl_os_thread_join(dl_os_thread *t) {
  WaitForSingleObject((HANDLE)t->handle, INFINITE);
  CloseHandle((HANDLE)t->handle);
}

void dl_os_yield(void) { SwitchToThread(); }

/* ---- the system's library folders and path syntax ----------------------------------------------- */

/* The application's folder (the host's .exe) and the system folder: what
 * LOAD_LIBRARY_SEARCH_DEFAULT_DIRS means, without the current folder and
 * PATH, which a planted DLL could come from. */
void dl_os_library_dirs(void (*add)(void *ud, const char *dir), void *ud) {
  wchar_t w[32768];
  DWORD n = GetModuleFileNameW(NULL, w, sizeof w / sizeof w[0]);
  if (n > 0 && n < sizeof w / sizeof w[0]) {
    wchar_t *slash = wcsrchr(w, L'\\');
    if (slash) *slash = 0;
    char *dir = to_utf8(w);
    if (dir) add(ud, dir);
    free(dir);
  }
  n = GetSystemDirectoryW(w, sizeof w / sizeof w[0]);
  if (n > 0 && n < sizeof w / sizeof w[0]) {
    char *dir = to_utf8(w);
    if (dir) add(ud, dir);
    free(dir);
  }
}

const char *dl_os_loader_path_var(void) { return NULL; }

int dl_os_is_sep(char c) { return c == '/' || c == '\\'; }

int dl_os_path_is_absolute(const char *p) {
  if (dl_os_is_sep(p[0]) && dl_os_is_sep(p[1])) return 1; /* //host/share */
  return ((p[0] | 0x20) >= 'a' && (p[0] | 0x20) <= 'z') && p[1] == ':' && dl_os_is_sep(p[2]);
}

int dl_os_last_error(void) { return (int)GetLastError(); }

int dl_os_errno(void) { return errno; }

void dl_os_set_errno(int e) { errno = e; }

/* ---- environment --------------------------------------------------------------------------------- */

/* Windows has no setuid: the environment is the user's own. The value is
 * UTF-8 in a per-thread buffer, valid until this thread's next call. */
const char *dl_os_getenv(const char *name) {
  static _Thread_local char *buf;
  wchar_t *wname = to_wide(name);
  if (wname == NULL) return NULL;
  DWORD n = GetEnvironmentVariableW(wname, NULL, 0);
  wchar_t *w = n ? malloc(n * sizeof *w) : NULL;
  const char *result = NULL;
  if (w && GetEnvironmentVariableW(wname, w, n) < n) {
    free(buf);
    int m = WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL);
    buf = m > 0 ? malloc((size_t)m) : NULL;
    if (buf && WideCharToMultiByte(CP_UTF8, 0, w, -1, buf, m, NULL, NULL) == m) result = buf;
  }
  free(w);
  free(wname);
  return result;
}
