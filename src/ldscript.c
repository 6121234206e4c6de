/*
 * ldscript.c - the first library named by a GNU ld script's GROUP or INPUT
 * command. Only what linker scripts for shared libraries use is understood:
 * comments, GROUP/INPUT, AS_NEEDED, paths and -lNAME.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ldscript.h"

#define SCRIPT_MAX 65536

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
  return !isspace((unsigned char)c) && c != '(' && c != ')' && c != ',';
}

/* The next word (a command name or a file), into w; returns its end. */
static size_t next_word(const char *s, size_t i, size_t len, char *w,
                        size_t wsize) {
  size_t n = 0;
  while (i < len && word_char(s[i])) {
    if (n + 1 < wsize) w[n++] = s[i];
    i++;
  }
  w[n] = '\0';
  return i;
}

int dl_ldscript_parse(const char *s, size_t len, char *out, size_t outsize) {
  if (len >= 4 && memcmp(s, "\x7f" "ELF", 4) == 0) return 0;
  if (memchr(s, '\0', len) != NULL) return 0; /* binary, not a script */
  char w[4096];
  int in_cmd = 0; /* inside GROUP( or INPUT( */
  for (size_t i = skip_space(s, 0, len); i < len; i = skip_space(s, i, len)) {
    if (s[i] == '(' || s[i] == ')' || s[i] == ',') {
      i++;
      continue;
    }
    i = next_word(s, i, len, w, sizeof w);
    if (w[0] == '\0') {
      i++;
      continue;
    }
    if (!in_cmd) {
      size_t j = skip_space(s, i, len);
      if ((strcmp(w, "GROUP") == 0 || strcmp(w, "INPUT") == 0) && j < len &&
          s[j] == '(')
        in_cmd = 1;
      continue;
    }
    if (strcmp(w, "AS_NEEDED") == 0) continue;
    if (strncmp(w, "-l", 2) == 0 && w[2] != '\0') {
      if (snprintf(out, outsize, "lib%s.so", w + 2) >= (int)outsize) return 0;
    } else if (snprintf(out, outsize, "%s", w) >= (int)outsize) {
      return 0;
    }
    return 1;
  }
  return 0;
}

int dl_ldscript_target(const char *path, char *out, size_t outsize) {
  struct stat st;
  if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
      st.st_size > SCRIPT_MAX)
    return 0;
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[SCRIPT_MAX];
  ssize_t n = pread(fd, buf, sizeof buf, 0);
  close(fd);
  if (n <= 0) return 0;
  return dl_ldscript_parse(buf, (size_t)n, out, outsize);
}
