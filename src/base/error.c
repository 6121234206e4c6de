/*
 * error.c - error codes, their names, and the DYNLIB_DEBUG log.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/internal.h"
#include "os/os.h"

static const char *const code_names[] = {
    "ok",          "not_found",    "not_a_library", "wrong_arch",
    "debug_file",  "untrusted",    "load_failed",   "no_symbol",
    "bad_metadata", "no_metadata", "closed",        "io",
    "invalid"};

const char *dynlib_code_name(dynlib_code code) {
  if ((unsigned)code >= sizeof code_names / sizeof code_names[0])
    return "invalid";
  return code_names[code];
}

int dl_seterr(dynlib_error *err, dynlib_code code, const char *fmt, ...) {
  if (err == NULL) return -1;
  va_list ap;
  va_start(ap, fmt);
  err->code = code;
  vsnprintf(err->msg, sizeof err->msg, fmt, ap);
  va_end(ap);
  dynlib_debug("%s (%s)", err->msg, dynlib_code_name(code));
  return -1;
}

void dl_clearerr(dynlib_error *err) {
  if (err == NULL) return;
  err->code = DYNLIB_OK;
  err->msg[0] = '\0';
}

/* Read once: the environment is not expected to change under us, and a
 * getenv per log line would race with setenv in other threads anyway. */
int dynlib_debug_enabled(void) {
  static int enabled = -1; /* atomics: TSan-clean when threads race here */
  int e = __atomic_load_n(&enabled, __ATOMIC_RELAXED);
  if (e < 0) {
    const char *v = dl_os_getenv("DYNLIB_DEBUG");
    e = (v != NULL && v[0] != '\0' && strcmp(v, "0") != 0);
    __atomic_store_n(&enabled, e, __ATOMIC_RELAXED);
  }
  return e;
}

void dynlib_debug(const char *fmt, ...) {
  if (!dynlib_debug_enabled()) return;
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  /* One write per line keeps lines whole when several threads log. */
  fprintf(stderr, "dynlib: %s\n", line);
}
