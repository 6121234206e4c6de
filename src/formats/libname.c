/*
 * libname.c - what every system's library names share (libname.h).
 */
#include "formats/libname.h"

/* Digits and single dots, neither first nor last ("1", "1.2", "0.3.41"). */
int dl_dotted_digits(const char *s, size_t len) {
  if (len == 0 || s[0] == '.' || s[len - 1] == '.') return 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] == '.' ? s[i + 1] == '.' : (s[i] < '0' || s[i] > '9')) return 0;
  }
  return 1;
}
