/*
 * use_core.c - a C program using the installed core (dynlib.h, libdynlib,
 * dynlib.pc) without any Lua header: open libm by its short name, resolve
 * cos, call it, close.
 */
#include <dynlib.h>
#include <stdio.h>
#include <string.h>

/* The load hook: told of every real load and unload. */
static void hook(const char *event, const char *path, void *ud) {
  (void)ud;
  if (strstr(path, "libm.so")) printf("hook: %s libm\n", event);
}

int main(void) {
  dynlib_error err;
  dynlib_set_hook(hook, NULL);
  dynlib_handle *m = dynlib_open("m", NULL, &err);
  if (m == NULL) {
    fprintf(stderr, "open: %s (%s)\n", err.msg, dynlib_code_name(err.code));
    return 1;
  }
  void *sym = dynlib_sym(m, "cos", &err);
  if (sym == NULL) {
    fprintf(stderr, "sym: %s\n", err.msg);
    return 1;
  }
  double (*cosine)(double);
  memcpy(&cosine, &sym, sizeof cosine);
  printf("cos(0) = %.1f from %s\n", cosine(0.0), dynlib_path(m));
  dynlib_handle *again = dynlib_open("m", NULL, &err); /* no second load */
  dynlib_free(again);
  dynlib_free(m);
  dynlib_handle *none = dynlib_open("dynlib_no_such_library", NULL, &err);
  printf("missing: %s %s\n", none ? "opened?" : "refused",
         dynlib_code_name(err.code));
  return 0;
}
