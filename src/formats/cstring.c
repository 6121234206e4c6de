/*
 * cstring.c - bounded reads of NUL-terminated strings (cstring.h).
 */
#include <stdlib.h>
#include <string.h>

#include "formats/cstring.h"

int dl_read_cstring(int (*read)(void *ctx, uint64_t off, void *buf, size_t len),
                    void *ctx, uint64_t off, uint64_t avail, size_t step, char **out) {
  char *buf = NULL;
  size_t len = 0;
  *out = NULL;
  while (len < avail) {
    size_t want = avail - len < step ? (size_t)(avail - len) : step;
    char *nb = realloc(buf, len + want);
    if (nb == NULL) {
      free(buf);
      return -2;
    }
    buf = nb;
    if (read(ctx, off + len, buf + len, want) != 0) {
      free(buf);
      return -1;
    }
    if (memchr(buf + len, '\0', want) != NULL) {
      *out = buf;
      return 1;
    }
    len += want;
    step *= 2;
  }
  free(buf);
  return 0;
}
