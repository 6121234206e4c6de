/*
 * store_threads.c - the store under many threads (run plain by the specs
 * and under ThreadSanitizer by `make test-tsan`).
 *
 *   store_threads FIXTURE_DIR
 *
 * 1. Rounds of THREADS threads opening the same not-yet-loaded file at
 *    once (a barrier lines them up): one store entry, THREADS references.
 * 2. Threads opening, resolving, asking for the plugin instance and closing
 *    two libraries in a loop: the instance entry point runs once per load,
 *    every thread sees the same instance, and the store ends empty.
 * 3. A library whose constructor opens another library through dynlib
 *    loads without deadlock.
 * 4. One whose constructor opens itself gets an error, not a deadlock.
 * 5. Threads opening by short name (the name cache) while another sets the
 *    dynlib path over and over (emptying the cache): every open finds the
 *    right file, and the store ends empty.
 * Prints "ok N" lines; exits non-zero on the first failure.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dynlib.h"

#define THREADS 8
#define ROUNDS 50
#define LOOPS 300

__attribute__((visibility("default"))) const char *reentrant_target;

static char basic[4096], instance[4096], reentrant[4096], fixdir[4096];
static int setting_path; /* phase 5: the path setter is still running */
static pthread_barrier_t barrier;
static int checks;

#define CHECK(cond, ...)                                   \
  do {                                                     \
    if (!(cond)) {                                         \
      fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
      fprintf(stderr, __VA_ARGS__);                        \
      fputc('\n', stderr);                                 \
      exit(1);                                             \
    }                                                      \
    __atomic_add_fetch(&checks, 1, __ATOMIC_RELAXED);      \
  } while (0)

static void count_refs(const dynlib_entry_info *e, void *ud) {
  if (strstr(e->path, "libbasic.so")) *(int *)ud += e->refs;
}

static void *same_file(void *arg) {
  dynlib_handle **slot = arg;
  dynlib_error err;
  pthread_barrier_wait(&barrier);
  *slot = dynlib_open(basic, NULL, &err);
  CHECK(*slot != NULL, "open: %s", err.msg);
  return NULL;
}

static void phase_same_file(void) {
  for (int r = 0; r < ROUNDS; r++) {
    pthread_t t[THREADS];
    dynlib_handle *h[THREADS];
    for (int i = 0; i < THREADS; i++)
      pthread_create(&t[i], NULL, same_file, &h[i]);
    for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
    int refs = 0;
    size_t n = dynlib_store_foreach(count_refs, &refs);
    CHECK(n == 1, "round %d: %zu store entries, expected 1", r, n);
    CHECK(refs == THREADS, "round %d: %d references, expected %d", r, refs,
          THREADS);
    for (int i = 0; i < THREADS; i++) dynlib_free(h[i]);
    CHECK(dynlib_store_foreach(NULL, NULL) == 0, "store not empty");
  }
  printf("ok 1 - %d rounds of %d threads opening one file: one entry\n",
         ROUNDS, THREADS);
}

static void *churn(void *arg) {
  (void)arg;
  dynlib_error err;
  pthread_barrier_wait(&barrier);
  for (int i = 0; i < LOOPS; i++) {
    dynlib_handle *a = dynlib_open(instance, NULL, &err);
    CHECK(a != NULL, "open: %s", err.msg);
    dynlib_handle *b = dynlib_open(basic, NULL, &err);
    CHECK(b != NULL, "open: %s", err.msg);
    CHECK(dynlib_sym(b, "basic_answer", &err) != NULL, "sym: %s", err.msg);
    int *inst = dynlib_instance(a, &err);
    CHECK(inst != NULL && *inst == 99, "instance: %s", err.msg);
    int *calls = dynlib_sym(a, "instance_calls", &err);
    CHECK(calls != NULL, "sym: %s", err.msg);
    /* While we hold the library, no reload can happen: one call. */
    CHECK(__atomic_load_n(calls, __ATOMIC_SEQ_CST) == 1,
          "instance entry ran %d times in one load", *calls);
    dynlib_free(b);
    dynlib_free(a);
  }
  return NULL;
}

static void phase_churn(void) {
  pthread_t t[THREADS];
  for (int i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, churn, NULL);
  for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
  CHECK(dynlib_store_foreach(NULL, NULL) == 0, "store not empty at the end");
  printf("ok 2 - %d threads x %d open/sym/instance/close cycles\n", THREADS,
         LOOPS);
}

static void phase_reentrant(void) {
  dynlib_error err;
  reentrant_target = basic;
  dynlib_handle *h = dynlib_open(reentrant, NULL, &err);
  CHECK(h != NULL, "open: %s", err.msg);
  int *ok = dynlib_sym(h, "reentrant_ok", &err);
  CHECK(ok && *ok == 1, "constructor could not open a library");
  dynlib_free(h);
  printf("ok 3 - a constructor opening a library through dynlib\n");
}

/* A constructor opening its own library gets an error, not a deadlock. */
static void phase_self(void) {
  dynlib_error err;
  reentrant_target = reentrant;
  dynlib_handle *h = dynlib_open(reentrant, NULL, &err);
  CHECK(h != NULL, "open: %s", err.msg);
  int *ok = dynlib_sym(h, "reentrant_ok", &err);
  CHECK(ok && *ok == 0, "a constructor opened its own library");
  dynlib_free(h);
  printf("ok 4 - a constructor opening its own library is refused\n");
}

static void *open_by_name(void *arg) {
  (void)arg;
  dynlib_error err;
  pthread_barrier_wait(&barrier);
  for (int i = 0; i < LOOPS || __atomic_load_n(&setting_path, __ATOMIC_SEQ_CST); i++) {
    const char *name = i % 2 ? "basic" : "instance";
    dynlib_handle *h = dynlib_open(name, NULL, &err);
    CHECK(h != NULL, "open %s: %s", name, err.msg);
    CHECK(strstr(dynlib_path(h), name) != NULL, "open %s gave %s", name,
          dynlib_path(h));
    dynlib_free(h);
  }
  return NULL;
}

static void *set_paths(void *arg) {
  (void)arg;
  char other[4200];
  snprintf(other, sizeof other, "/nonexistent:%s", fixdir);
  pthread_barrier_wait(&barrier);
  for (int i = 0; i < LOOPS; i++)
    CHECK(dynlib_set_path(i % 2 ? fixdir : other) == 0, "set_path");
  __atomic_store_n(&setting_path, 0, __ATOMIC_SEQ_CST);
  return NULL;
}

static void phase_names(void) {
  pthread_t t[THREADS];
  CHECK(dynlib_set_path(fixdir) == 0, "set_path");
  setting_path = 1;
  pthread_create(&t[0], NULL, set_paths, NULL);
  for (int i = 1; i < THREADS; i++)
    pthread_create(&t[i], NULL, open_by_name, NULL);
  for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
  CHECK(dynlib_store_foreach(NULL, NULL) == 0, "store not empty at the end");
  printf("ok 5 - %d threads opening by short name while the path changes\n",
         THREADS - 1);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: store_threads FIXTURE_DIR\n");
    return 2;
  }
  snprintf(basic, sizeof basic, "%s/libbasic.so", argv[1]);
  snprintf(instance, sizeof instance, "%s/libinstance.so", argv[1]);
  snprintf(reentrant, sizeof reentrant, "%s/libreentrant.so", argv[1]);
  /* The dynlib path takes absolute folders only. */
  CHECK(realpath(argv[1], fixdir) != NULL, "realpath %s", argv[1]);
  pthread_barrier_init(&barrier, NULL, THREADS);
  phase_same_file();
  phase_churn();
  phase_reentrant();
  phase_self();
  phase_names();
  printf("%d checks\n", checks);
  return 0;
}
