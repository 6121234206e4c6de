/*
 * json.h - a JSON reader (RFC 8259) for plugin metadata. It checks a text
 * and, given a sink, reports every value in document order, so the binding
 * builds Lua tables straight from the text: no tree in between, no
 * allocation but a scratch buffer for strings longer than 256 bytes that
 * hold escapes. Iterative: a hostile text cannot make it recurse.
 *
 * What it accepts is what jansson accepted with JSON_REJECT_DUPLICATES
 * (which this replaced): an object or array at the top, nothing after it
 * but white space, integers that fit in 64 bits, no "\u0000", no lone
 * surrogate. Duplicate keys and real-number overflow are for the sink to
 * find (it holds the table and converts the reals).
 */
#ifndef DYNLIB_JSON_H
#define DYNLIB_JSON_H

#include <stddef.h>
#include <stdint.h>

/* Containers nested deeper than this are refused as invalid JSON (a bound
 * on the reader's own stack of open containers). */
#define DL_JSON_MAX_NESTING 2048

enum { DL_JSON_FALSE, DL_JSON_TRUE, DL_JSON_NULL };

/* Each call returns NULL to go on, or a short static reason that stops the
 * parse and becomes the error's text. Strings are decoded UTF-8 with their
 * length (valid until the call returns); reals come as their token, for the
 * sink to convert. */
/* open's count: how many members the container holds (so that tables are
 * made at their size); 0 when not counted. A hint only. Exact in a small
 * document (64 values, containers and keys or fewer, the first
 * DL_JSON_COUNT_LEVELS levels), which is read once before the sink hears
 * of it; in a larger one, looked ahead for the first DL_JSON_COUNT_LEVELS
 * levels within DL_JSON_COUNT_SPAN bytes. Either way the sink's calls come
 * in document order and stop at the first refusal, its or the text's. */
#define DL_JSON_COUNT_LEVELS 32
#define DL_JSON_COUNT_SPAN (64u << 10)

typedef struct dl_json_sink {
  const char *(*open)(void *ctx, int object, size_t count);
  const char *(*close)(void *ctx, int object);
  const char *(*key)(void *ctx, const char *s, size_t n);
  const char *(*string)(void *ctx, const char *s, size_t n);
  const char *(*integer)(void *ctx, int64_t v);
  const char *(*real)(void *ctx, const char *token, size_t n);
  const char *(*literal)(void *ctx, int which);
} dl_json_sink;

typedef struct dl_json_result {
  const char *text; /* why the text was refused (NULL when it was not) */
  int line, column; /* where: 1-based, column in bytes */
  int top_object;   /* the top value is an object (not an array) */
  unsigned depth;   /* deepest value: 1 for the top one, 2 inside it... */
} dl_json_result;

/* Parses text[0, n). sink may be NULL (check only). Returns 0, or -1 with
 * r->text, r->line and r->column set. */
int dl_json_parse(const char *text, size_t n, const dl_json_sink *sink,
                  void *ctx, dl_json_result *r);

#endif
