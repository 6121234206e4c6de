/*
 * os_posix.h - the concrete types behind os.h on POSIX systems: locks and
 * thread identities are taken on every open and must be static-initialised
 * and inlined, so they cannot hide behind a function call.
 */
#ifndef DYNLIB_OS_POSIX_H
#define DYNLIB_OS_POSIX_H

#include <pthread.h>

/* Separates directories in DYNLIB_PATH and LD_LIBRARY_PATH. */
#define DL_OS_PATH_LIST_SEP ':'

typedef int dl_os_fd;
#define DL_OS_NO_FD (-1)

typedef pthread_mutex_t dl_os_mutex;
#define DL_OS_MUTEX_INIT PTHREAD_MUTEX_INITIALIZER
static inline void dl_os_lock(dl_os_mutex *m) { pthread_mutex_lock(m); }
static inline void dl_os_unlock(dl_os_mutex *m) { pthread_mutex_unlock(m); }

typedef pthread_cond_t dl_os_cond;
#define DL_OS_COND_INIT PTHREAD_COND_INITIALIZER
static inline void dl_os_cond_wait(dl_os_cond *c, dl_os_mutex *m) {
  pthread_cond_wait(c, m);
}
static inline void dl_os_cond_broadcast(dl_os_cond *c) {
  pthread_cond_broadcast(c);
}

typedef pthread_once_t dl_os_once;
#define DL_OS_ONCE_INIT PTHREAD_ONCE_INIT
static inline void dl_os_call_once(dl_os_once *o, void (*fn)(void)) {
  pthread_once(o, fn);
}

typedef pthread_t dl_os_thread_id;
static inline dl_os_thread_id dl_os_thread_self(void) { return pthread_self(); }
static inline int dl_os_thread_same(dl_os_thread_id a, dl_os_thread_id b) {
  return pthread_equal(a, b);
}

/* A worker thread; lives (in the caller's memory) until joined. */
typedef struct dl_os_thread {
  pthread_t id;
  void (*fn)(void *);
  void *arg;
} dl_os_thread;

#endif
