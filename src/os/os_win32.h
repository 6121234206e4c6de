/*
 * os_win32.h - the concrete types behind os.h on Windows. They mirror the
 * layout of SRWLOCK, CONDITION_VARIABLE and INIT_ONCE (one pointer each,
 * zero when initialised statically) so that windows.h stays inside
 * os_win32.c and its macros out of the core; the operations are calls.
 */
#ifndef DYNLIB_OS_WIN32_H
#define DYNLIB_OS_WIN32_H

#include <stdint.h>

/* Separates directories in DYNLIB_PATH, as in PATH (drive letters hold ':'). */
#define DL_OS_PATH_LIST_SEP ';'

typedef intptr_t dl_os_fd; /* a HANDLE */
#define DL_OS_NO_FD ((intptr_t)-1) /* INVALID_HANDLE_VALUE */

typedef struct { void *p; } dl_os_mutex;
#define DL_OS_MUTEX_INIT {0}
void dl_os_lock(dl_os_mutex *m);
void dl_os_unlock(dl_os_mutex *m);

typedef struct { void *p; } dl_os_cond;
#define DL_OS_COND_INIT {0}
void dl_os_cond_wait(dl_os_cond *c, dl_os_mutex *m);
void dl_os_cond_broadcast(dl_os_cond *c);

typedef struct { void *p; } dl_os_once;
#define DL_OS_ONCE_INIT {0}
void dl_os_call_once(dl_os_once *o, void (*fn)(void));

typedef unsigned long dl_os_thread_id; /* a DWORD thread id */
dl_os_thread_id dl_os_thread_self(void);
static inline int dl_os_thread_same(dl_os_thread_id a, dl_os_thread_id b) {
  return a == b;
}

typedef struct dl_os_thread {
  void *handle;
  void (*fn)(void *);
  void *arg;
} dl_os_thread;

#endif
