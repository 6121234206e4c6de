/*
 * ldscript.c - the library named by a GNU ld script's GROUP or INPUT
 * command. Only what linker scripts for shared libraries use is understood:
 * C comments, GROUP/INPUT with AS_NEEDED inside, file names (bare or
 * quoted), -lNAME and -l:FILE. Other commands (OUTPUT_FORMAT, ...) are
 * skipped with their arguments.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dynlib.h"
#include "formats/libname.h"
#include "base/file.h"
#include "formats/ldscript.h"

#define SCRIPT_MAX 65536
#define WORD_MAX 4096

/* Skips blanks and C comments; returns the next position. */
static size_t skip_space(const char *s, size_t i, size_t len) {
  while (i < len) {
    if (isspace((unsigned char)s[i])) {
      i++;
    } else if (s[i] == '/' && i + 1 < len && s[i + 1] == '*') {
      const char *end = memmem(s + i + 2, len - i - 2, "*/", 2);
      if (end == NULL) return len;
      i = (size_t)(end - s) + 2;
    } else {
      break;
    }
  }
  return i;
}

static int word_char(char c) {
  return !isspace((unsigned char)c) && c != '(' && c != ')' && c != ',' &&
         c != '"';
}

/* The next word into w (a quoted one without its quotes); returns its end.
 * *cut is set when the word did not fit. */
static size_t next_word(const char *s, size_t i, size_t len, char *w,
                        size_t wsize, int *cut) {
  size_t n = 0;
  *cut = 0;
  if (s[i] == '"') {
    for (i++; i < len && s[i] != '"'; i++) {
      if (n + 1 < wsize) w[n++] = s[i];
      else *cut = 1;
    }
    if (i < len) i++; /* the closing quote */
  } else {
    for (; i < len && word_char(s[i]); i++) {
      if (n + 1 < wsize) w[n++] = s[i];
      else *cut = 1;
    }
  }
  w[n] = '\0';
  return i;
}

/* The file an item stands for: -lNAME is libNAME.so (ld looks for the
 * shared library first), -l:FILE is FILE. */
static int item_file(const char *w, char *out, size_t outsize) {
  int n;
  if (strncmp(w, "-l:", 3) == 0 && w[3] != '\0')
    n = snprintf(out, outsize, "%s", w + 3);
  else if (strncmp(w, "-l", 2) == 0 && w[2] != '\0')
    n = snprintf(out, outsize, "lib%s.so", w + 2);
  else
    n = snprintf(out, outsize, "%s", w);
  return n > 0 && (size_t)n < outsize;
}

/* The state of the scan: depth of parentheses inside GROUP/INPUT (0:
 * outside), of other commands, and the first item seen. */
typedef struct scan {
  int in_cmd, other;
  int have_first;
  char first[WORD_MAX];
} scan;

/* Handles one word; returns 1 when out holds the answer. */
static int take_word(scan *st, const char *w, int cut, int opens, char *out,
                     size_t outsize) {
  if (st->in_cmd == 0) {
    if (opens && st->other == 0 &&
        (strcmp(w, "GROUP") == 0 || strcmp(w, "INPUT") == 0))
      st->in_cmd = -1; /* the next '(' opens it */
    return 0;
  }
  if (opens && strcmp(w, "AS_NEEDED") == 0) return 0;
  if (cut || w[0] == '\0') return 0;
  char file[WORD_MAX];
  if (!item_file(w, file, sizeof file)) return 0;
  /* A shared library wins over an archive listed before it. */
  if (dynlib_is_library(file))
    return item_file(w, out, outsize);
  if (!st->have_first) {
    memcpy(st->first, file, strlen(file) + 1);
    st->have_first = 1;
  }
  return 0;
}

int dl_ldscript_parse(const char *s, size_t len, char *out, size_t outsize) {
  if (len >= 4 && memcmp(s, "\x7f" "ELF", 4) == 0) return 0;
  if (memchr(s, '\0', len) != NULL) return 0; /* binary, not a script */
  scan *st = calloc(1, sizeof *st);
  if (st == NULL) return 0;
  char w[WORD_MAX];
  int found = 0;
  for (size_t i = skip_space(s, 0, len); i < len && !found;
       i = skip_space(s, i, len)) {
    if (s[i] == '(') {
      if (st->in_cmd != 0) st->in_cmd = st->in_cmd < 0 ? 1 : st->in_cmd + 1;
      else st->other++;
      i++;
    } else if (s[i] == ')') {
      if (st->in_cmd > 0) st->in_cmd--;
      else if (st->other > 0) st->other--;
      i++;
    } else if (s[i] == ',') {
      i++;
    } else {
      int cut;
      i = next_word(s, i, len, w, sizeof w, &cut);
      size_t j = skip_space(s, i, len);
      found = take_word(st, w, cut, j < len && s[j] == '(', out, outsize);
    }
  }
  if (!found && st->have_first &&
      snprintf(out, outsize, "%s", st->first) < (int)outsize)
    found = 1;
  free(st);
  return found;
}

int dl_ldscript_target(const char *path, char *out, size_t outsize) {
  dl_file f;
  /* dl_file_open stats first: opening a device or a FIFO can have effects. */
  if (dl_file_open(&f, path, NULL) != 0) return 0;
  char *buf = NULL;
  unsigned char head[4];
  size_t k = f.size < 4 ? (size_t)f.size : 4; /* f.size >= 1: empty is refused */
  int n = 0;
  /* An ELF file (the usual case) costs one read of the file's head. */
  if (f.size <= SCRIPT_MAX && dl_file_read_at(&f, 0, head, k) == 0 &&
      memcmp(head, "\x7f" "ELF", k) != 0 &&
      (buf = malloc((size_t)f.size)) != NULL &&
      dl_file_read_at(&f, 0, buf, (size_t)f.size) == 0)
    n = 1;
  dl_file_close(&f);
  int r = n ? dl_ldscript_parse(buf, (size_t)f.size, out, outsize) : 0;
  free(buf);
  return r;
}
