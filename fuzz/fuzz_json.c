/*
 * fuzz_json.c - libFuzzer over the metadata JSON reader (formats/json.c).
 *
 * Each input is read twice: checking only, and with a sink that keeps the
 * reader honest. The two must agree (the sink never refuses), the opens
 * and closes must pair up, no value may be deeper than the depth reported,
 * every string handed over must lie in the input or the reader's scratch,
 * and the member counts given to open must match what followed. A
 * difference aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/json.h"

#define LEVELS 64

typedef struct state {
  unsigned level, deepest;
  size_t want[LEVELS], got[LEVELS]; /* counts told by open, members seen */
  unsigned long strings;
} state;

static void member(state *s) {
  if (s->level > 0 && s->level <= LEVELS) s->got[s->level - 1]++;
}

static const char *on_open(void *ctx, int object, size_t count) {
  state *s = ctx;
  (void)object;
  member(s);
  if (s->level < LEVELS) {
    s->want[s->level] = count;
    s->got[s->level] = 0;
  }
  if (++s->level > s->deepest) s->deepest = s->level;
  return NULL;
}

static const char *on_close(void *ctx, int object) {
  state *s = ctx;
  (void)object;
  if (s->level == 0) abort();
  s->level--;
  /* a count of 0 is "not counted"; any other must be exact */
  if (s->level < LEVELS && s->want[s->level] != 0 && s->want[s->level] != s->got[s->level])
    abort();
  return NULL;
}

static const char *on_key(void *ctx, const char *p, size_t n) {
  ((state *)ctx)->strings += n > 0 ? (unsigned char)p[n - 1] : 0; /* touch it */
  return NULL;
}

static const char *on_string(void *ctx, const char *p, size_t n) {
  member(ctx);
  return on_key(ctx, p, n);
}

static const char *on_integer(void *ctx, int64_t v) {
  (void)v;
  member(ctx);
  return NULL;
}

static const char *on_real(void *ctx, const char *t, size_t n) {
  member(ctx);
  if (n == 0 || strchr("-0123456789", t[0]) == NULL) abort();
  return NULL;
}

static const char *on_literal(void *ctx, int which) {
  if (which < DL_JSON_FALSE || which > DL_JSON_NULL) abort();
  member(ctx);
  return NULL;
}

static const dl_json_sink SINK = {on_open, on_close, on_key, on_string,
                                  on_integer, on_real, on_literal};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* a copy of exactly size bytes: any read past the end is caught */
  char *text = malloc(size ? size : 1);
  if (text == NULL) return 0;
  memcpy(text, data, size);
  dl_json_result a, b;
  state s;
  memset(&s, 0, sizeof s);
  int ra = dl_json_parse(text, size, NULL, NULL, &a);
  int rb = dl_json_parse(text, size, &SINK, &s, &b);
  if (ra != rb || a.depth != b.depth || a.top_object != b.top_object) abort();
  if (ra == 0 && (s.level != 0 || s.deepest > a.depth)) abort();
  if (ra != 0 && (a.text == NULL || a.line < 1 || a.column < 1)) abort();
  free(text);
  return 0;
}
